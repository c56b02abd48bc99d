import type { PlatformPart } from './snapshot';

/** Why an image (or one of its references) stays. Every reason that applies is listed. */
export type KeepReason =
  | { kind: 'current'; reference: string; pattern: string }
  | { kind: 'job-image'; detail: 'new' | 'retagged'; reference?: string }
  | ({ kind: 'newest'; reference: string } & BuildPlace)
  | { kind: 'protected-pattern'; reference: string; pattern: string }
  | { kind: 'protected-id'; pattern: string }
  | { kind: 'protected-label'; label: string }
  | { kind: 'dockerfile-base'; reference: string; dockerfile: string }
  | { kind: 'base-of'; imageId: string; reference?: string }
  | { kind: 'in-use'; containerId: string; containerName: string; state: string }
  | { kind: 'young'; ageMs: number; minAgeMs: number; source: 'created' | 'tagged' | 'event' }
  /** A reference outside `repositories`; no reference: an untagged image while the scope is limited. */
  | { kind: 'outside-scope'; reference?: string }
  /** The tool's own usage record stored on the engine. */
  | { kind: 'tool-state'; reference: string };

/** Where a build stands in its repository (newest first, in the order of `order`). */
export interface BuildPlace {
  repository: string;
  /** Place among the builds keep-N counts (the current build takes no slot). */
  rank: number;
  /** Place among all images of the repository, the current build included. */
  position: number;
  /** A current build ranks above this one (so position > rank). */
  currentNewer: boolean;
  keep: number;
}

/** Which disk-pressure rule asked for space. */
export type PressureRule = 'max-image-bytes' | 'max-docker-bytes' | 'ensure-free' | 'min-free' | 'min-free-inodes';

/** What the space rules span: images always; build cache records and volumes when opted in. */
export type SpaceKind = 'image' | 'build-cache' | 'volume';

/** How far eviction had to reach: the plan's own removals first, then the opt-in tiers. */
export type EvictionTier = 'policy' | 'kept-build' | 'base-image';

/** Why an image (or one of its references) goes. */
export type RemoveReason =
  | ({ kind: 'old-build'; reference: string } & BuildPlace)
  | { kind: 'dangling' }
  | { kind: 'evicted'; rule: PressureRule; tier: EvictionTier; lastUsed: number; lastUsedWhy: string; cost?: CostNote }
  | { kind: 'unused'; lastUsed: number; lastUsedWhy: string; maxUnusedMs: number };

/** Why the cost-aware order let an image go first: what getting it back would take, and how often it was needed. */
export interface CostNote {
  /** Bytes its removal frees (what getting it back would fetch). */
  bytes: number;
  /** How it arrived, when the record knows. */
  arrived?: string;
  /** Uses the record holds (at most its last few)... */
  uses: number;
  /** ...over this period up to now (since first seen when it holds none). */
  overMs: number;
}

/** What the space rules asked for and what the plan reaches. */
export interface EvictionSummary {
  rules: PressureRule[];
  /** Bytes the rules asked to free beyond the keep-N plan... */
  neededBytes: number;
  /** ...and what the evictions free (shared layers once). */
  freedBytes: number;
  reached: boolean;
  /** When not reached: the bytes still missing, and why nothing more could go. */
  shortByBytes: number;
  /** Evicted images and build cache records, least recently used first (a record's ID and description in imageId/references). */
  order: { kind: 'image' | 'build-cache'; imageId: string; references: string[]; lastUsed: number; lastUsedWhy: string; tier: EvictionTier; bytes: number; cost?: CostNote }[];
  /** Images engine-wide before and after the plan, as the layer accounting sees them. */
  imagesBytesBefore: number;
  imagesBytesAfter: number;
  /** Bytes each kind gives towards the rules (the keep-N plan's and the volume rules' removals included). */
  byKind: Record<SpaceKind, number>;
  /** Images + build cache (+ volumes when the volume rules are on) before and after: what max-docker-bytes counts. */
  dockerBytesBefore: number;
  dockerBytesAfter: number;
}

/** A build cache record the space rules evict (POST /build/prune with its id filter). */
export interface BuildCacheEviction {
  id: string;
  description: string;
  type: string;
  /** Its size; 0 when shared (pruning it may free nothing while images or records hold the content). */
  bytes: number;
  shared: boolean;
  lastUsed: number;
  rule: PressureRule;
}

export type Action = 'keep' | 'untag' | 'remove';

export interface ImageDecision {
  imageId: string;
  /** All normalized references (tags, then digests) the image had in the snapshot. */
  references: string[];
  /**
   * keep: nothing happens; untag: some references go, the image stays;
   * remove: every reference goes and the image is deleted.
   */
  action: Action;
  keepReasons: KeepReason[];
  removeReasons: RemoveReason[];
  /** References to untag, in order. */
  untag: string[];
  /** Delete the image by ID once no reference is left. */
  delete: boolean;
  created: number;
  size: number;
  /** Bytes only this image holds (layers no other image in the snapshot uses). */
  uniqueBytes: number;
  /** Multi-platform images: what each platform holds here (only present ones count in `size`). */
  platforms?: PlatformPart[];
}

export interface Plan {
  createdAt: number;
  decisions: ImageDecision[];
  /** Bytes the removals free, counting a shared layer only when no surviving image uses it. */
  predictedBytes: number;
  /** Things the user should know (event window too short, Dockerfile without FROM, …). */
  warnings: string[];
  /** Present when space rules (budget, watermarks) were evaluated. */
  eviction?: EvictionSummary;
  /** Build cache records the space rules evict, least recently used first (empty unless build cache joins the rules). */
  buildCacheEvictions: BuildCacheEviction[];
  /** Patterns of current, protect, protect-label and repositories that selected nothing. */
  unmatched: UnmatchedPattern[];
  /**
   * Present when the engine's events do not cover the grace period and the plan
   * removes or untags images: whether those arrived within min-age cannot be told.
   */
  arrivalUnknown?: { coveredMs: number; minAgeMs: number; images: { imageId: string; references: string[] }[] };
}

export interface UnmatchedPattern {
  setting: 'current' | 'protect' | 'protect-label' | 'repositories';
  pattern: string;
}

export function removals(plan: Plan): ImageDecision[] {
  return plan.decisions.filter((d) => d.action === 'remove');
}

export function untags(plan: Plan): ImageDecision[] {
  return plan.decisions.filter((d) => d.action === 'untag');
}
