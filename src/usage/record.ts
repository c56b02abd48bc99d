/**
 * The persistent usage record: when each image was last used, kept between
 * runs so disk-pressure eviction can be least-recently-used for real (the
 * engine itself forgets: it keeps only its last 256 events).
 *
 * This file is the model: its types and the few rules every operation shares
 * (which use wins, how many references are kept, when an entry is history).
 * The operations live beside it: observe.ts (what the engine shows now),
 * removals.ts (what this tool removed), merge.ts (concurrent writers), codec.ts (stored JSON).
 * Pure: no I/O, no clock. Every function returns a new record.
 */
import { createHash } from 'node:crypto';

export type UsageWhy =
  | 'container-running'
  | 'container-created'
  | 'container-exited'
  | 'built'
  | 'tagged'
  | 'pulled'
  | 'loaded'
  | 'base-of-used'
  | 'current-build'
  | 'first-seen';

export interface UsageEntry {
  /** ms epoch: when this record first saw the image. */
  firstSeen: number;
  /** ms epoch: the latest use known. */
  lastUsed: number;
  /** What the latest use was. */
  why: UsageWhy;
  /** Normalized references the image had (kept after it loses them, for reports). */
  references: string[];
  /** Short stable hash of the RootFS diff-id chain ('' when unknown). */
  layersKey: string;
  /**
   * Distinct times it was used, ascending, the latest USES_KEPT only (absent in
   * records written before uses were counted): how often it is needed, for the
   * cost-aware eviction order.
   */
  uses?: number[];
  /** How it arrived on this engine, when an event said so (absent: unknown). */
  arrived?: Arrival;
  /**
   * Built in a job whose start the fronts gave: its creation time less that start,
   * what a rebuild would take at most (the engine shows no build duration).
   */
  buildMs?: number;
}

/** How an image arrived: what it would take to get it back. */
export type Arrival = 'pulled' | 'built' | 'loaded';
export const ARRIVALS: ReadonlySet<string> = new Set<Arrival>(['pulled', 'built', 'loaded']);

export interface RemovedEntry {
  removedAt: number;
  references: string[];
  layersKey: string;
  /** Set when the engine removed this (or its references) beyond the plan: what happened, for the next run's report. */
  incident?: string;
  /** Its uses and build time when removed: an image that comes back (a regret) takes them up again instead of starting as used once. */
  uses?: number[];
  buildMs?: number;
}

/** A removed image that came back (same ID, or the same layers under another ID). */
export interface Regret {
  imageId: string;
  /** The references it had when removed. */
  references: string[];
  removedAt: number;
  returnedAt: number;
  sameId: boolean;
}

export interface UsageRecord {
  version: 1;
  updatedAt: number;
  lastRunAt?: number;
  images: Record<string, UsageEntry>;
  removed: Record<string, RemovedEntry>;
}

/** Use times kept per entry: enough to tell an image used once from one used every job. */
export const USES_KEPT = 8;

/** References kept per entry: an image retagged on every build must not grow the record without end. */
const MAX_REFERENCES = 16;

/**
 * Tie-break when two uses carry the same time: the stronger reason wins. A
 * total order, so merging is commutative.
 */
const WHY_RANK: Record<UsageWhy, number> = {
  'first-seen': 0,
  'base-of-used': 1,
  tagged: 2,
  loaded: 3,
  pulled: 4,
  built: 5,
  'container-exited': 6,
  'container-created': 7,
  'current-build': 8,
  'container-running': 9,
};

export const WHYS: ReadonlySet<string> = new Set(Object.keys(WHY_RANK));

export function emptyRecord(): UsageRecord {
  return { version: 1, updatedAt: 0, images: {}, removed: {} };
}

/** sha256 of the diff-id chain, first 16 hex digits; '' when the layers are unknown. */
export function layersKeyOf(layers: readonly string[]): string {
  if (layers.length === 0) return '';
  return createHash('sha256').update(layers.join('\n')).digest('hex').slice(0, 16);
}

/** Whether a use at `time` for `why` is later than `a` (same time: the stronger reason). */
export function later(a: { time: number; why: UsageWhy }, time: number, why: UsageWhy): boolean {
  return time > a.time || (time === a.time && WHY_RANK[why] > WHY_RANK[a.why]);
}

/** Sorted union, at most MAX_REFERENCES. */
export function unionSorted(a: readonly string[], b: readonly string[]): string[] {
  if (a.length === 0) return b.length <= MAX_REFERENCES ? b.slice().sort() : b.slice().sort().slice(0, MAX_REFERENCES);
  const set = new Set(a);
  for (const r of b) set.add(r);
  const all = [...set].sort();
  return all.length > MAX_REFERENCES ? all.slice(0, MAX_REFERENCES) : all;
}

/**
 * The latest USES_KEPT of the union of two use lists, ascending. A join
 * (commutative, associative, idempotent), so merging records stays one.
 */
export function unionUses(a: readonly number[] | undefined, b: readonly number[] | undefined): number[] | undefined {
  if (!a?.length) return b?.length ? b.slice(-USES_KEPT) : undefined;
  if (!b?.length) return a.slice(-USES_KEPT);
  const all = [...new Set([...a, ...b])].sort((x, y) => x - y);
  return all.slice(-USES_KEPT);
}

/** One arrival of two, the same whichever order they come in. */
export function eitherArrival(a: Arrival | undefined, b: Arrival | undefined): Arrival | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/** The larger of two build times, either absent (a join, as the rest of the merge). */
export function eitherBuildMs(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** The entry unless a later removal made it history. */
export function live(record: UsageRecord, id: string): UsageEntry | undefined {
  const entry = record.images[id];
  if (!entry) return undefined;
  const gone = record.removed[id];
  return gone && gone.removedAt >= entry.lastUsed ? undefined : entry;
}

/** What the planner learns of an image's use: the latest, and (when recorded) how often and how it arrived. */
export interface UseHistory {
  time: number;
  why: UsageWhy;
  firstSeen: number;
  uses?: readonly number[];
  arrived?: Arrival;
  buildMs?: number;
}

/** Last use per image ID, for the planner; images removed since their last use are left out. */
export function lastUsedMap(record: UsageRecord): Map<string, UseHistory> {
  const map = new Map<string, UseHistory>();
  for (const id of Object.keys(record.images)) {
    const entry = live(record, id);
    if (!entry) continue;
    const use: UseHistory = { time: entry.lastUsed, why: entry.why, firstSeen: entry.firstSeen };
    if (entry.uses) use.uses = entry.uses;
    if (entry.arrived) use.arrived = entry.arrived;
    if (entry.buildMs !== undefined) use.buildMs = entry.buildMs;
    map.set(id, use);
  }
  return map;
}
