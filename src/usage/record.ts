/**
 * The persistent usage record: when each image was last used, kept between
 * runs so disk-pressure eviction can be least-recently-used for real (the
 * engine itself forgets: it keeps only its last 256 events).
 *
 * Pure: no I/O, no clock. Every function returns a new record.
 */
import { createHash } from 'node:crypto';
import type { ImageRecord, Snapshot } from '../planner/snapshot';
import { fullImageId } from '../domain/image-id';

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
}

export interface RemovedEntry {
  removedAt: number;
  references: string[];
  layersKey: string;
  /** Set when the engine removed this (or its references) beyond the plan: what happened, for the next run's report. */
  incident?: string;
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

export interface ObserveOptions {
  /** The current build's images: used now. */
  currentImageIds?: string[];
  /** A removed image back within this window is a regret; older removals are forgotten (the regret-window setting). */
  regretWindowMs: number;
}

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

const WHYS = new Set(Object.keys(WHY_RANK));

/** Engine image actions (events API) that count as a use. */
const ACTIVITY_WHY: Record<string, UsageWhy> = {
  pull: 'pulled',
  tag: 'tagged',
  load: 'loaded',
  import: 'loaded',
  build: 'built',
  'container-create': 'container-created',
  'container-start': 'container-running',
};

export function emptyRecord(): UsageRecord {
  return { version: 1, updatedAt: 0, images: {}, removed: {} };
}

/** sha256 of the diff-id chain, first 16 hex digits; '' when the layers are unknown. */
export function layersKeyOf(layers: readonly string[]): string {
  if (layers.length === 0) return '';
  return createHash('sha256').update(layers.join('\n')).digest('hex').slice(0, 16);
}

function later(a: { time: number; why: UsageWhy }, time: number, why: UsageWhy): boolean {
  return time > a.time || (time === a.time && WHY_RANK[why] > WHY_RANK[a.why]);
}

function unionSorted(a: readonly string[], b: readonly string[]): string[] {
  if (a.length === 0) return b.length <= MAX_REFERENCES ? b.slice().sort() : b.slice().sort().slice(0, MAX_REFERENCES);
  const set = new Set(a);
  for (const r of b) set.add(r);
  const all = [...set].sort();
  return all.length > MAX_REFERENCES ? all.slice(0, MAX_REFERENCES) : all;
}

function referencesOf(image: ImageRecord): string[] {
  return unionSorted(image.tags, image.digests);
}

/**
 * Updates the record from what the engine shows now. Images no longer present
 * are dropped (removals by this tool are kept by `recordRemovals`); removed
 * images that are back within the regret window are returned as regrets.
 * Linear in images + layers + containers + events.
 */
export function observe(
  record: UsageRecord,
  snapshot: Snapshot,
  now: number,
  options: ObserveOptions,
): { record: UsageRecord; regrets: Regret[] } {
  const window = options.regretWindowMs;
  const images = snapshot.images;
  const n = images.length;
  const index = new Map<string, number>();
  const byReference = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const image = images[i]!;
    index.set(image.id, i);
    for (const r of image.tags) byReference.set(r, i);
    for (const r of image.digests) byReference.set(r, i);
  }
  const time = new Float64Array(n);
  const why: UsageWhy[] = new Array(n);
  const isNew: boolean[] = new Array(n);
  const keys: string[] = new Array(n);

  for (let i = 0; i < n; i++) {
    const image = images[i]!;
    const prior = live(record, image.id);
    // IDs are content addresses: a known image's layers (and key) cannot have changed.
    keys[i] = prior?.layersKey || layersKeyOf(image.layers);
    isNew[i] = prior === undefined;
    if (prior) {
      time[i] = prior.lastUsed;
      why[i] = prior.why;
    } else {
      time[i] = Math.min(now, Math.max(image.created || 0, image.lastTagged ?? 0));
      why[i] = 'first-seen';
    }
  }
  const use = (i: number | undefined, at: number, reason: UsageWhy) => {
    if (i === undefined || !Number.isFinite(at)) return;
    const t = Math.min(at, now);
    if (later({ time: time[i]!, why: why[i]! }, t, reason)) {
      time[i] = t;
      why[i] = reason;
    }
  };
  const resolve = (id: string | undefined, reference: string | undefined): number | undefined => {
    const full = fullImageId(id);
    if (full !== undefined) {
      const i = index.get(full);
      if (i !== undefined) return i;
    }
    return reference ? (byReference.get(reference) ?? index.get(fullImageId(reference) ?? '')) : undefined;
  };

  for (const c of snapshot.containers) {
    const i = resolve(c.imageId, c.image);
    switch (c.state) {
      case 'running':
      case 'paused':
      case 'restarting':
        use(i, now, 'container-running');
        break;
      case 'created':
        use(i, c.created, 'container-created');
        break;
      default: // exited, dead, removing
        use(i, c.created, 'container-exited');
    }
  }
  for (const a of snapshot.activity) {
    const reason = ACTIVITY_WHY[a.action];
    if (reason) use(resolve(a.imageId, a.reference), a.time, reason);
  }
  for (const id of options.currentImageIds ?? []) use(index.get(fullImageId(id) ?? id), now, 'current-build');

  propagateToBases(images, time, why);

  // Regrets: removed images back (new to the record) within the window.
  const removed: Record<string, RemovedEntry> = {};
  const removedByKey = new Map<string, string>();
  for (const [id, entry] of Object.entries(record.removed)) {
    if (now - entry.removedAt > window) continue;
    removed[id] = entry;
    if (entry.layersKey) {
      const other = removedByKey.get(entry.layersKey);
      if (other === undefined || removed[other]!.removedAt < entry.removedAt) removedByKey.set(entry.layersKey, id);
    }
  }
  const regrets: Regret[] = [];
  const out: Record<string, UsageEntry> = {};
  for (let i = 0; i < n; i++) {
    const image = images[i]!;
    const prior = isNew[i] ? undefined : record.images[image.id];
    let refs = referencesOf(image);
    if (refs.length === 0 && prior) refs = prior.references;
    out[image.id] = {
      firstSeen: prior ? prior.firstSeen : now,
      lastUsed: time[i]!,
      why: why[i]!,
      references: refs,
      layersKey: keys[i]!,
    };
    if (!isNew[i]) continue;
    let gone: string | undefined;
    let sameId = false;
    if (removed[image.id]) {
      gone = image.id;
      sameId = true;
    } else if (keys[i]) {
      const other = removedByKey.get(keys[i]!);
      if (other !== undefined && removed[other]) gone = other;
    }
    if (gone === undefined) continue;
    const entry = removed[gone]!;
    regrets.push({ imageId: image.id, references: entry.references, removedAt: entry.removedAt, returnedAt: now, sameId });
    delete removed[gone];
  }
  return {
    record: { version: 1, updatedAt: Math.max(now, record.updatedAt), lastRunAt: now, images: out, removed },
    regrets,
  };
}

/** The entry unless a later removal made it history. */
function live(record: UsageRecord, id: string): UsageEntry | undefined {
  const entry = record.images[id];
  if (!entry) return undefined;
  const gone = record.removed[id];
  return gone && gone.removedAt >= entry.lastUsed ? undefined : entry;
}

/**
 * A base (an image whose layer chain is a strict prefix of another's) is used
 * whenever an image built on it is. Trie of layer chains: node numbers grow
 * from parent to child, so one backwards pass folds each subtree's latest use
 * into its root. Linear in the number of layers.
 */
function propagateToBases(images: readonly ImageRecord[], time: Float64Array, why: UsageWhy[]): void {
  const layerIds = new Map<string, number>();
  for (const image of images) for (const layer of image.layers) if (!layerIds.has(layer)) layerIds.set(layer, layerIds.size);
  // child key = parent * stride + layer: a number, far cheaper to hash than a string (and exact below 2^53).
  const stride = layerIds.size + 1;
  const children = new Map<number, number>();
  const parent: number[] = [-1];
  const nodeOf = new Int32Array(images.length).fill(-1);
  for (let i = 0; i < images.length; i++) {
    const layers = images[i]!.layers;
    if (layers.length === 0) continue;
    let node = 0;
    for (const layer of layers) {
      const key = node * stride + layerIds.get(layer)!;
      let child = children.get(key);
      if (child === undefined) {
        child = parent.length;
        parent.push(node);
        children.set(key, child);
      }
      node = child;
    }
    nodeOf[i] = node;
  }
  const count = parent.length;
  const own = new Float64Array(count).fill(-Infinity); // latest use of images ending here
  const below = new Float64Array(count).fill(-Infinity); // latest use strictly below
  for (let i = 0; i < images.length; i++) {
    const node = nodeOf[i]!;
    if (node >= 0 && time[i]! > own[node]!) own[node] = time[i]!;
  }
  for (let node = count - 1; node > 0; node--) {
    const up = Math.max(own[node]!, below[node]!);
    const p = parent[node]!;
    if (up > below[p]!) below[p] = up;
  }
  for (let i = 0; i < images.length; i++) {
    const node = nodeOf[i]!;
    if (node < 0) continue;
    const t = below[node]!;
    if (t > time[i]!) {
      time[i] = t;
      why[i] = 'base-of-used';
    }
  }
}

/** Records images this tool removed (only those whose ID was actually deleted). */
export function recordRemovals(
  record: UsageRecord,
  removed: { imageId: string; references: string[]; layers: string[]; incident?: string }[],
  now: number,
): UsageRecord {
  const images = { ...record.images };
  const gone = { ...record.removed };
  for (const r of removed) {
    const prior = images[r.imageId];
    delete images[r.imageId];
    gone[r.imageId] = {
      removedAt: now,
      references: unionSorted(r.references, prior?.references ?? []),
      layersKey: layersKeyOf(r.layers) || prior?.layersKey || '',
      ...(r.incident ? { incident: r.incident } : {}),
    };
  }
  return { ...record, updatedAt: Math.max(now, record.updatedAt), images, removed: gone };
}

function mergeEntry(a: UsageEntry, b: UsageEntry): UsageEntry {
  const takeB = later({ time: a.lastUsed, why: a.why }, b.lastUsed, b.why);
  return {
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastUsed: takeB ? b.lastUsed : a.lastUsed,
    why: takeB ? b.why : a.why,
    references: unionSorted(a.references, b.references),
    layersKey: a.layersKey > b.layersKey ? a.layersKey : b.layersKey,
  };
}

function mergeRemoved(a: RemovedEntry, b: RemovedEntry): RemovedEntry {
  // The larger text wins: a total order keeps merging commutative.
  const incident = (a.incident ?? '') > (b.incident ?? '') ? a.incident : b.incident;
  return {
    removedAt: Math.max(a.removedAt, b.removedAt),
    references: unionSorted(a.references, b.references),
    layersKey: a.layersKey > b.layersKey ? a.layersKey : b.layersKey,
    ...(incident ? { incident } : {}),
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

/** Last use per image ID, for the planner; images removed since their last use are left out. */
export function lastUsedMap(record: UsageRecord): Map<string, { time: number; why: UsageWhy }> {
  const map = new Map<string, { time: number; why: UsageWhy }>();
  for (const id of Object.keys(record.images)) {
    const entry = live(record, id);
    if (entry) map.set(id, { time: entry.lastUsed, why: entry.why });
  }
  return map;
}

/**
 * A record from stored JSON text. Never throws: damaged text gives an empty
 * record, damaged entries are left out; both are reported in `warnings`.
 */
export function parseRecord(text: string, source: string, now?: number): { record: UsageRecord; warnings: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { record: emptyRecord(), warnings: [`usage record ${source} is damaged (${(error as Error).message}); starting a new one`] };
  }
  const result = fromJson(raw, source);
  return now === undefined ? result : clampFuture(result, source, now);
}

/**
 * Times later than `now` (plus a day: clock skew, and tests that run a clock ahead) are clamped to `now`:
 * a future `lastRunAt` made every image "younger than min-age", an `updatedAt`
 * of 1e300 failed every save. Clamping only makes images look more recently
 * used, so it never widens what is removed.
 */
export function clampFuture(result: { record: UsageRecord; warnings: string[] }, source: string, now: number): { record: UsageRecord; warnings: string[] } {
  const limit = now + 86_400_000;
  let clamped = 0;
  const clamp = (t: number) => (t > limit ? (clamped++, now) : t);
  const r = result.record;
  r.updatedAt = clamp(r.updatedAt);
  if (r.lastRunAt !== undefined) r.lastRunAt = clamp(r.lastRunAt);
  for (const e of Object.values(r.images)) {
    e.firstSeen = clamp(e.firstSeen);
    e.lastUsed = clamp(e.lastUsed);
  }
  for (const e of Object.values(r.removed)) e.removedAt = clamp(e.removedAt);
  if (clamped > 0) result.warnings.push(`usage record ${source}: ${clamped} times in the future set to now`);
  return result;
}

export function fromJson(raw: unknown, source: string): { record: UsageRecord; warnings: string[] } {
  const fail = (what: string) => ({ record: emptyRecord(), warnings: [`usage record ${source} is damaged (${what}); starting a new one`] });
  if (!isObject(raw)) return fail('not an object');
  if (raw.version !== 1) return fail(`unknown version ${JSON.stringify(raw.version)}`);
  if (!isObject(raw.images) || !isObject(raw.removed)) return fail('images or removed missing');
  const record = emptyRecord();
  record.updatedAt = finite(raw.updatedAt) ? raw.updatedAt : 0;
  if (finite(raw.lastRunAt)) record.lastRunAt = raw.lastRunAt;
  let bad = 0;
  for (const [id, e] of Object.entries(raw.images)) {
    if (isObject(e) && finite(e.firstSeen) && finite(e.lastUsed) && typeof e.why === 'string' && WHYS.has(e.why) && strings(e.references) && typeof e.layersKey === 'string') {
      record.images[id] = { firstSeen: e.firstSeen, lastUsed: e.lastUsed, why: e.why as UsageWhy, references: e.references, layersKey: e.layersKey };
    } else bad++;
  }
  for (const [id, e] of Object.entries(raw.removed)) {
    if (isObject(e) && finite(e.removedAt) && strings(e.references) && typeof e.layersKey === 'string' && (e.incident === undefined || typeof e.incident === 'string')) {
      record.removed[id] = { removedAt: e.removedAt, references: e.references, layersKey: e.layersKey, ...(e.incident ? { incident: e.incident as string } : {}) };
    } else bad++;
  }
  const warnings = bad > 0 ? [`usage record ${source}: ${bad} damaged entries left out`] : [];
  return { record, warnings };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}
