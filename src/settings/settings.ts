import type { LabelSelector } from '../domain/labels';
import type { ReferencePattern } from '../domain/pattern';

export type { LabelSelector } from '../domain/labels';

/** A free-space watermark: a share of the filesystem, or an absolute amount (bytes or inodes). */
export type Threshold = { percent: number } | { amount: number };

/** Disk-pressure rules: applied after the keep-N plan, in least-recently-used order. */
export interface SpaceRules {
  /** Images may use at most this many bytes (engine accounting, shared layers once)... */
  maxImageBytes?: number;
  /** ...and eviction stops once they use this many (hysteresis; default 80% of the maximum). */
  targetImageBytes?: number;
  /** Images + build cache (+ volumes when the volume rules are on) may use at most this many bytes... */
  maxDockerBytes?: number;
  /** ...and eviction stops once they use this many (default 80% of the maximum). */
  targetDockerBytes?: number;
  /** Guarantee this many free bytes on `freePath` (pre-job): evict until reached, else the run fails naming what was tried. */
  ensureFreeBytes?: number;
  /** Build cache records (never in use) join the eviction order of every space rule; on with max-docker-bytes. */
  evictBuildCache: boolean;
  /** Free space on `freePath` below this triggers eviction... */
  minFree?: Threshold;
  /** ...which stops once this much is free (default 1.5x the minimum). */
  targetFree?: Threshold;
  minFreeInodes?: Threshold;
  targetFreeInodes?: Threshold;
  /** The filesystem holding the engine's data root, when this host can see it. */
  freePath: string;
  /** Remove images not used for longer than this, unless a rule protects them. */
  maxUnusedMs?: number;
  /** Under pressure, builds kept only by keep-N may go too (opt-in). */
  evictKeptBuilds: boolean;
  /** Emergency: base images kept only as bases or Dockerfile FROMs may go too (opt-in). */
  evictBaseImages: boolean;
  /** The order within each tier under pressure; absent: `recent`. */
  evictionOrder?: EvictionOrder;
  /** Bytes per second a pull fetches: what getting a pulled image back costs, in the cost order and what-if. */
  pullBytesPerSecond: number;
}

/** `recent`: least recently used first. `cost`: least expected cost to get back per byte freed first. */
export type EvictionOrder = 'recent' | 'cost';
export const EVICTION_ORDERS: readonly EvictionOrder[] = ['recent', 'cost'];

/** Where the least-recently-used record lives between runs. */
export type UsageStoreKind = 'file' | 'engine' | 'none';

export interface UsageSettings {
  store: UsageStoreKind;
  /** File store path; undefined means the front's default. */
  file?: string;
  /** A removed image that comes back within this window is reported as a regret. */
  regretWindowMs: number;
}

/**
 * Builder cache maintenance (POST /build/prune), opt-in: on when either limit is set.
 * Entries in use by a running build are never pruned (the engine's rule).
 */
export interface BuildCacheRules {
  /** Keep at most this many bytes of build cache, most recently used first (keep-storage / reserved-space). */
  keepBytes?: number;
  /** Prune build cache entries unused for longer than this. */
  maxAgeMs?: number;
}

/** Volumes and buildx builder leftovers (opt-in: every rule is off by default). */
export interface VolumeRules {
  /** Anonymous volumes no container mounts, unused (created, mounted, unmounted) for longer than this, go. undefined: volumes stay. */
  olderThanMs?: number;
  /** Dangling named volumes go too, by the same age rule. */
  named: boolean;
  /** Volume names (`*` matches any run of characters) that always stay. */
  protect: string[];
  /** Stopped `buildx_buildkit_*` containers and their `_state` volumes go when their builder no longer runs and is older than this. */
  buildxOlderThanMs?: number;
}

/** How builds of one repository are ranked for keep-N. */
export type BuildOrder = 'created' | 'tag';

/**
 * The one typed, validated settings object every front produces
 * (CLI flags, Azure task inputs, GitHub Action inputs) and the core consumes.
 * Built only by `parseSettings`, so every value here is already valid.
 */
export interface Settings {
  /** Builds kept per repository besides the current build (integer >= 0). */
  keep: number;
  /** The current build's images: always kept. */
  current: ReferencePattern[];
  /** Patterns of references, or image IDs, that are always kept. */
  protect: ReferencePattern[];
  /** Labels that protect an image. */
  protectLabels: LabelSelector[];
  /** Repositories the tool may remove from; empty means all. */
  repositories: ReferencePattern[];
  /** Paths or globs of Dockerfiles whose FROM images are protected. */
  dockerfiles: string[];
  /** Grace period: images that arrived more recently are kept. */
  minAgeMs: number;
  /** Remove untagged images nothing needs. */
  dangling: boolean;
  /** Refuse the run when the plan removes more images than this. */
  maxRemovals?: number;
  /** Images removed at once; undefined: the store's tuning (src/engine/store-tuning.ts). */
  removalConcurrency?: number;
  dryRun: boolean;
  order: BuildOrder;
  /** Engine address; undefined means DOCKER_HOST or the default socket. */
  host?: string;
  space: SpaceRules;
  usage: UsageSettings;
  buildCache: BuildCacheRules;
  /**
   * Remove stopped containers (exited, created, dead) older than this before
   * planning; never running, paused or restarting ones, never protected labels,
   * never forced. undefined: containers are left alone (opt-in).
   */
  containersOlderThanMs?: number;
  volumes: VolumeRules;
  /**
   * Remove user-defined networks no container (running or stopped) joins, unused for
   * longer than this; never the engine's own. undefined: networks are left alone (opt-in).
   */
  networksOlderThanMs?: number;
  /** Deadline of every engine call (ms): a paused or overloaded engine fails the run instead of hanging it. */
  timeoutMs: number;
  /** How long a real run waits for another cleanup holding the engine's run lock before giving up (ms). */
  lockWaitMs: number;
}
