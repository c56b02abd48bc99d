/**
 * Concurrent writers: the join of two records, and the three-way merge a store
 * does when somebody else wrote while it worked.
 */
import { eitherArrival, eitherBuildMs, later, unionSorted, unionUses, type RemovedEntry, type UsageEntry, type UsageRecord } from './record';

function mergeEntry(a: UsageEntry, b: UsageEntry): UsageEntry {
  const takeB = later({ time: a.lastUsed, why: a.why }, b.lastUsed, b.why);
  const merged: UsageEntry = {
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastUsed: takeB ? b.lastUsed : a.lastUsed,
    why: takeB ? b.why : a.why,
    references: unionSorted(a.references, b.references),
    layersKey: a.layersKey > b.layersKey ? a.layersKey : b.layersKey,
  };
  const uses = unionUses(a.uses, b.uses);
  if (uses) merged.uses = uses;
  const arrived = eitherArrival(a.arrived, b.arrived);
  if (arrived) merged.arrived = arrived;
  const buildMs = eitherBuildMs(a.buildMs, b.buildMs);
  if (buildMs !== undefined) merged.buildMs = buildMs;
  return merged;
}

function mergeRemoved(a: RemovedEntry, b: RemovedEntry): RemovedEntry {
  // The larger text wins: a total order keeps merging commutative.
  const incident = (a.incident ?? '') > (b.incident ?? '') ? a.incident : b.incident;
  const uses = unionUses(a.uses, b.uses);
  const buildMs = eitherBuildMs(a.buildMs, b.buildMs);
  return {
    removedAt: Math.max(a.removedAt, b.removedAt),
    references: unionSorted(a.references, b.references),
    layersKey: a.layersKey > b.layersKey ? a.layersKey : b.layersKey,
    ...(incident ? { incident } : {}),
    ...(uses ? { uses } : {}),
    ...(buildMs !== undefined ? { buildMs } : {}),
  };
}

/**
 * The join of two records: per image the earliest firstSeen, the latest use
 * (with its reason), the union of references; per removal the latest. An
 * image removed after its last use is gone: `lastUsedMap` and `observe` treat
 * it as absent (kept in the join itself so that merging stays associative;
 * `observe` drops it for good). Commutative, associative and idempotent, so
 * concurrent runs merged in any order lose no update.
 */
export function mergeRecords(a: UsageRecord, b: UsageRecord): UsageRecord {
  const images: Record<string, UsageEntry> = { ...a.images };
  for (const [id, entry] of Object.entries(b.images)) {
    const other = images[id];
    images[id] = other ? mergeEntry(other, entry) : entry;
  }
  const removed: Record<string, RemovedEntry> = { ...a.removed };
  for (const [id, entry] of Object.entries(b.removed)) {
    const other = removed[id];
    removed[id] = other ? mergeRemoved(other, entry) : entry;
  }
  const merged: UsageRecord = { version: 1, updatedAt: Math.max(a.updatedAt, b.updatedAt), images, removed };
  const lastRunAt = Math.max(a.lastRunAt ?? -Infinity, b.lastRunAt ?? -Infinity);
  if (Number.isFinite(lastRunAt)) merged.lastRunAt = lastRunAt;
  return merged;
}

/**
 * Three-way merge for stores: `changed` was computed from `base`, and the
 * store now holds `stored`. Whatever `stored` gained or changed since `base`
 * (a concurrent writer) is merged in; entries `changed` dropped on purpose
 * stay dropped unless somebody else touched them meanwhile. When nobody else
 * wrote (`stored` equals `base`) the result is `changed`.
 */
export function rebase(base: UsageRecord, changed: UsageRecord, stored: UsageRecord): UsageRecord {
  const delta: UsageRecord = { version: 1, updatedAt: stored.updatedAt, images: {}, removed: {} };
  for (const [id, entry] of Object.entries(stored.images)) {
    if (!sameEntry(base.images[id], entry)) delta.images[id] = entry;
  }
  for (const [id, entry] of Object.entries(stored.removed)) {
    if (!sameEntry(base.removed[id], entry)) delta.removed[id] = entry;
  }
  if (stored.lastRunAt !== undefined) delta.lastRunAt = stored.lastRunAt;
  return mergeRecords(changed, delta);
}

function sameEntry(a: object | undefined, b: object): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
