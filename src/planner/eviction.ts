import type { SpaceRules, Threshold } from '../settings/settings';
import type { LayerIndex } from './layer-index';
import type { BuildCacheEviction, CostNote, EvictionSummary, EvictionTier, ImageDecision, KeepReason, PressureRule, RemoveReason } from './plan';
import type { BuildCacheRecord } from './snapshot';
import { repositoryOf } from '../domain/reference';

/** When an image was last used, from the usage record or, failing that, its arrival. */
export interface LastUse {
  time: number;
  why: string;
  /** From the usage record: when it was first seen, its recent use times (ascending), how it arrived. */
  firstSeen?: number;
  uses?: readonly number[];
  arrived?: string;
  /** At most how long its build took, when the record learned it. */
  buildMs?: number;
}

/** The filesystem holding the engine's data root, when this host can see it. */
export interface FilesystemStats {
  totalBytes: number;
  freeBytes: number;
  totalInodes: number;
  freeInodes: number;
}

export interface SpaceInput {
  rules: SpaceRules;
  now: number;
  lastUse: (imageId: string) => LastUse;
  filesystem?: FilesystemStats;
  /** Build cache records: counted by max-docker-bytes, evicted with the images when `rules.evictBuildCache`. */
  buildCache?: BuildCacheRecord[];
  /** Records used more recently than this stay (the images' min-age). */
  minAgeMs?: number;
  /** Volumes, when the volume rules are on: all their bytes, and what those rules already remove. */
  volumes?: { bytes: number; freed: number };
}

/** Reasons no space rule may override: the image stays whatever the disk says. */
const HARD: ReadonlySet<KeepReason['kind']> = new Set([
  'current',
  'job-image',
  'protected-pattern',
  'protected-id',
  'protected-label',
  'in-use',
  'young',
  'outside-scope',
  'tool-state',
]);

/** The tier an image belongs to, or undefined when it can never be evicted. */
function tierOf(d: ImageDecision): EvictionTier | undefined {
  if (d.keepReasons.some((r) => HARD.has(r.kind))) return undefined;
  const has = (kind: KeepReason['kind']) => d.keepReasons.some((r) => r.kind === kind);
  // A Dockerfile FROM, or the newest of its own repository that builds stand on: a base worth keeping.
  if (has('dockerfile-base') || (has('base-of') && has('newest'))) return 'base-image';
  if (has('newest') || (d.references.length === 0 && d.action === 'keep')) return 'kept-build';
  // Kept only as a base of other images: it may go once nothing that stays stands on it.
  return 'policy';
}

const TIER_RANK: Record<EvictionTier, number> = { policy: 0, 'kept-build': 1, 'base-image': 2 };

/**
 * Applies max-unused and the disk-pressure rules on top of the keep-N plan:
 * evicts in least-recently-used order, first what the policy lets go, then
 * (opt-in) kept builds, then (opt-in, emergency) base images. Mutates and
 * returns the decisions it turns into removals.
 */
export function applySpaceRules(
  decisions: ImageDecision[],
  layers: LayerIndex,
  input: SpaceInput,
): { summary?: EvictionSummary; cacheEvictions: BuildCacheEviction[]; warnings: string[] } {
  const { rules, now } = input;
  const sim = layers.simulate();
  const before = layers.totalBytes();
  let plannedFree = 0;
  for (const d of decisions) if (d.action === 'remove') plannedFree += sim.remove(d.imageId);

  type ImageCandidate = { kind: 'image'; id: string; d: ImageDecision; tier: EvictionTier; use: LastUse };
  type CacheCandidate = { kind: 'build-cache'; id: string; r: BuildCacheRecord; tier: EvictionTier; use: LastUse };
  type Candidate = ImageCandidate | CacheCandidate;
  const images: ImageCandidate[] = decisions
    .filter((d) => d.action !== 'remove')
    .map((d) => ({ kind: 'image' as const, id: d.imageId, d, tier: tierOf(d)!, use: input.lastUse(d.imageId) }))
    .filter((c) => c.tier !== undefined);

  // Build cache: shared records once, as `docker system df` counts them.
  const cache = input.buildCache ?? [];
  const cacheBytes = cache.reduce((sum, r) => sum + (r.shared ? 0 : r.size), 0);
  const cacheGone = new Set<string>();
  const cacheCandidates: CacheCandidate[] = rules.evictBuildCache
    ? cache
        .filter((r) => !r.inUse && now - (r.lastUsed ?? r.created ?? 0) >= (input.minAgeMs ?? 0))
        .map((r) => ({ kind: 'build-cache' as const, id: r.id, r, tier: 'policy' as const, use: { time: r.lastUsed ?? r.created ?? 0, why: 'build cache record last used' } }))
    : [];
  const childrenLeft = (id: string) => cache.some((r) => !cacheGone.has(r.id) && r.parents.includes(id));

  const byRecency = (a: Candidate, b: Candidate) => a.use.time - b.use.time || createdOf(a) - createdOf(b);
  const costOrder = rules.evictionOrder === 'cost';
  const keys = new Map<Candidate, { expected: number; perByte: number }>();
  if (costOrder) {
    const builds = repositoryBuilds(decisions, input.lastUse);
    for (const c of [...images, ...cacheCandidates]) {
      const bytes = c.kind === 'image' ? c.d.uniqueBytes || c.d.size : c.r.size;
      const perByte = secondsToGetBack(c.use, bytes, rules.pullBytesPerSecond) / Math.max(1, bytes);
      const uses = c.kind === 'image' ? buildUses(c.d, c.use, builds) : c.use.uses;
      keys.set(c, { expected: reuseRate({ ...c.use, uses }, now) * perByte, perByte });
    }
  }
  // Under the cost order the hysteresis (limit down to target) takes only what no use is expected of.
  const freeOnly = (c: Candidate) => costOrder && (keys.get(c)?.expected ?? 0) > 0;
  const byCost = (a: Candidate, b: Candidate) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    // Used once (no expected reuse): the cheapest to get back per byte first.
    return ka.expected - kb.expected || ka.perByte - kb.perByte || byRecency(a, b);
  };
  const candidates: Candidate[] = [...images, ...cacheCandidates]
    // Equally recently used (e.g. all loaded in one go): the older build goes first.
    .sort(costOrder ? byCost : byRecency);
  const costNote = (c: Candidate, bytes: number): CostNote | undefined => {
    if (!costOrder) return undefined;
    const uses = c.use.uses ?? [];
    const note: CostNote = { bytes, uses: uses.length, overMs: Math.max(0, now - (uses[0] ?? c.use.firstSeen ?? c.use.time)) };
    if (c.use.arrived) note.arrived = c.use.arrived;
    return note;
  };

  const cacheEvictions: BuildCacheEviction[] = [];
  const evict = (c: Candidate, reason: RemoveReason & { kind: 'evicted' | 'unused' }): number => {
    if (c.kind === 'build-cache') {
      cacheGone.add(c.id);
      const bytes = c.r.shared ? 0 : c.r.size;
      cacheEvictions.push({ id: c.id, description: c.r.description, type: c.r.type, bytes, shared: c.r.shared, lastUsed: c.use.time, rule: reason.kind === 'evicted' ? reason.rule : 'max-docker-bytes' });
      return bytes;
    }
    const bytes = sim.remove(c.d.imageId);
    c.d.action = 'remove';
    c.d.untag = c.d.references;
    c.d.delete = true;
    c.d.removeReasons.push(reason);
    return bytes;
  };
  const gone = (c: Candidate) => (c.kind === 'image' ? sim.isRemoved(c.id) : cacheGone.has(c.id));
  const blocked = (c: Candidate) => (c.kind === 'image' ? sim.hasSurvivingDependents(c.id) : childrenLeft(c.id));

  // Removing an image (or a record) can free the base under it, so sweep until nothing more goes.
  const sweep = (eligible: (c: Candidate) => boolean, onEvict: (c: Candidate) => boolean) => {
    for (let progress = true; progress; ) {
      progress = false;
      for (const c of candidates) {
        if (gone(c) || !eligible(c) || blocked(c)) continue;
        progress = true;
        if (onEvict(c)) return;
      }
    }
  };

  if (rules.maxUnusedMs !== undefined) {
    const limit = rules.maxUnusedMs;
    sweep(
      (c) => c.kind === 'image' && now - c.use.time > limit,
      (c) => {
        plannedFree += evict(c, { kind: 'unused', lastUsed: c.use.time, lastUsedWhy: c.use.why, maxUnusedMs: limit });
        return false;
      },
    );
  }

  const volumes = input.volumes ?? { bytes: 0, freed: 0 };
  const afterPlan = before - plannedFree;
  const dockerBefore = before + cacheBytes + volumes.bytes;
  const needs = pressure(rules, afterPlan, plannedFree + volumes.freed, input.filesystem, afterPlan + cacheBytes + volumes.bytes - volumes.freed);
  if (needs.rules.length === 0) return { cacheEvictions, warnings: [] };

  const allowed = new Set<EvictionTier>(['policy']);
  if (rules.evictKeptBuilds) allowed.add('kept-build');
  if (rules.evictBaseImages) allowed.add('base-image');
  const order: EvictionSummary['order'] = [];
  const byKind = { image: plannedFree, 'build-cache': 0, volume: volumes.freed };
  let freed = 0;
  // Build cache helps the disk-wide rules; max-image-bytes alone counts images only.
  const cacheHelps = needs.rules.some((r) => r !== 'max-image-bytes');
  // Lower tiers are exhausted before a higher one is touched.
  for (const tier of [...allowed].sort((a, b) => TIER_RANK[a] - TIER_RANK[b])) {
    if (freed >= needs.bytes) break;
    sweep(
      (c) => TIER_RANK[c.tier] <= TIER_RANK[tier] && (c.kind === 'image' || cacheHelps) && !(freed >= needs.limitBytes && freeOnly(c)),
      (c) => {
        const reason: RemoveReason & { kind: 'evicted' } = { kind: 'evicted', rule: needs.rules[0], tier: c.tier, lastUsed: c.use.time, lastUsedWhy: c.use.why };
        const bytes = evict(c, reason);
        const cost = costNote(c, bytes);
        if (cost) reason.cost = cost;
        freed += bytes;
        byKind[c.kind] += bytes;
        order.push({
          kind: c.kind,
          imageId: c.id,
          references: c.kind === 'image' ? c.d.references : [c.r.description || c.r.type],
          lastUsed: c.use.time,
          lastUsedWhy: c.use.why,
          tier: c.tier,
          bytes,
          ...(cost ? { cost } : {}),
        });
        return freed >= needs.bytes;
      },
    );
  }
  const reached = freed >= needs.bytes;
  const warnings: string[] = [];
  if (!reached) {
    const off = [!rules.evictKeptBuilds && 'evict-kept-builds', !rules.evictBaseImages && 'evict-base-images', !rules.evictBuildCache && cache.length > 0 && 'evict-build-cache'].filter(Boolean);
    const locked = off.length > 0 ? ` (${off.join(' / ')} would allow more)` : '';
    warnings.push(`${needs.rules.join(', ')}: cannot free ${needs.bytes - freed} more bytes; the rest is in use, protected, current or younger than min-age${locked}`);
  }
  if (cacheEvictions.some((e) => e.shared)) {
    warnings.push('some evicted build cache records share their content with images or other records: they count 0 bytes here, and pruning them frees only what nothing else holds');
  }
  const imagesEvicted = order.filter((o) => o.kind === 'image').reduce((sum, o) => sum + o.bytes, 0);
  return {
    summary: {
      rules: needs.rules,
      neededBytes: needs.bytes,
      freedBytes: freed,
      reached,
      shortByBytes: Math.max(0, needs.bytes - freed),
      order,
      imagesBytesBefore: before,
      imagesBytesAfter: afterPlan - imagesEvicted,
      byKind,
      dockerBytesBefore: dockerBefore,
      dockerBytesAfter: dockerBefore - byKind.image - byKind['build-cache'] - byKind.volume,
    },
    cacheEvictions,
    warnings,
  };
}

const DAY_MS = 86_400_000;

/** A rebuild's recorded duration; otherwise (pulled, loaded, build time unknown) the bytes over the link (pull-bandwidth). */
export function secondsToGetBack(use: LastUse, bytes: number, pullBytesPerSecond: number): number {
  return use.buildMs !== undefined ? use.buildMs / 1000 : bytes / pullBytesPerSecond;
}

/**
 * The cost-aware order's key: uses per day beyond the first, over the recorded
 * uses up to now (LRU-2 made smooth: an image used once has 0 and goes first,
 * least recently used first among those; one needed every job goes last; a
 * burst of uses long ago decays as time passes). Multiplied by the seconds to
 * get it back per byte freed, it is the expected cost of the eviction per byte.
 */
export function reuseRate(use: LastUse, now: number): number {
  const uses = use.uses ?? [];
  if (uses.length < 2) return 0;
  return ((uses.length - 1) * DAY_MS) / Math.max(1, now - uses[0]!);
}

/** Use times of the images built here, per repository: how often each repository builds. */
function repositoryBuilds(decisions: readonly ImageDecision[], lastUse: (imageId: string) => LastUse): Map<string, number[]> {
  const builds = new Map<string, number[]>();
  for (const d of decisions) {
    const use = lastUse(d.imageId);
    const repository = buildRepository(d, use);
    if (repository === undefined || !use.uses?.length) continue;
    builds.set(repository, [...(builds.get(repository) ?? []), ...use.uses]);
  }
  for (const [repository, times] of builds) builds.set(repository, [...new Set(times)].sort((a, b) => a - b));
  return builds;
}

function buildRepository(d: ImageDecision, use: LastUse): string | undefined {
  return use.arrived === 'built' && d.references.length > 0 ? repositoryOf(d.references[0]!) : undefined;
}

/**
 * The uses that say how soon an image is needed again. A build is needed
 * again by the next build of its repository (its cached layers), not by a run
 * of the same image: so the uses of all its repository's builds here (a new
 * build used once goes after a pulled image used often that is cheaper to get
 * back; see bench/replay/results.md, azure-dood). Any other image: its own.
 */
function buildUses(d: ImageDecision, use: LastUse, builds: ReadonlyMap<string, number[]>): readonly number[] | undefined {
  const repository = buildRepository(d, use);
  return (repository !== undefined && builds.get(repository)) || use.uses;
}

function createdOf(c: { kind: 'image'; d: ImageDecision } | { kind: 'build-cache'; r: BuildCacheRecord }): number {
  return c.kind === 'image' ? c.d.created : (c.r.created ?? 0);
}

/**
 * Bytes the rules still want freed after the keep-N plan, and which rules ask:
 * `bytes` down to the targets, `limitBytes` only back within the limits that
 * triggered (the difference is the hysteresis).
 */
function pressure(rules: SpaceRules, imagesBytes: number, plannedFree: number, fs: FilesystemStats | undefined, dockerBytes: number): { rules: PressureRule[]; bytes: number; limitBytes: number } {
  const asks: [PressureRule, number, number][] = [];
  if (rules.maxImageBytes !== undefined && imagesBytes > rules.maxImageBytes) {
    asks.push(['max-image-bytes', imagesBytes - (rules.targetImageBytes ?? rules.maxImageBytes), imagesBytes - rules.maxImageBytes]);
  }
  if (rules.maxDockerBytes !== undefined && dockerBytes > rules.maxDockerBytes) {
    asks.push(['max-docker-bytes', dockerBytes - (rules.targetDockerBytes ?? rules.maxDockerBytes), dockerBytes - rules.maxDockerBytes]);
  }
  if (fs && rules.ensureFreeBytes !== undefined && fs.freeBytes + plannedFree < rules.ensureFreeBytes) {
    const short = rules.ensureFreeBytes - fs.freeBytes - plannedFree;
    asks.push(['ensure-free', short, short]);
  }
  if (fs && rules.minFree) {
    const free = fs.freeBytes + plannedFree;
    const min = amountOf(rules.minFree, fs.totalBytes);
    if (free < min) asks.push(['min-free', amountOf(rules.targetFree ?? rules.minFree, fs.totalBytes) - free, min - free]);
  }
  if (fs && rules.minFreeInodes && fs.totalInodes > 0) {
    // Inodes per image are not reported; assume they follow bytes on this filesystem.
    const used = fs.totalBytes - fs.freeBytes;
    const bytesPerInode = used / Math.max(1, fs.totalInodes - fs.freeInodes);
    const free = fs.freeInodes + plannedFree / bytesPerInode;
    const min = amountOf(rules.minFreeInodes, fs.totalInodes);
    if (free < min) {
      asks.push(['min-free-inodes', Math.ceil((amountOf(rules.targetFreeInodes ?? rules.minFreeInodes, fs.totalInodes) - free) * bytesPerInode), Math.ceil((min - free) * bytesPerInode)]);
    }
  }
  return { rules: asks.map(([r]) => r), bytes: Math.max(0, ...asks.map(([, b]) => b)), limitBytes: Math.max(0, ...asks.map(([, , l]) => l)) };
}

function amountOf(t: Threshold, total: number): number {
  return 'percent' in t ? (t.percent / 100) * total : t.amount;
}
