/**
 * Updating the record from what the engine shows now: uses by containers,
 * events and the current build, bases used whenever an image built on them is,
 * and regrets (removed images that came back).
 */
import { fullImageId } from '../domain/image-id';
import { repositoryOf } from '../domain/reference';
import { LayerIndex } from '../planner/layer-index';
import type { ImageRecord, Snapshot } from '../planner/snapshot';
import { later, layersKeyOf, live, unionSorted, unionUses, type Arrival, type Regret, type RemovedEntry, type UsageEntry, type UsageRecord, type UsageWhy } from './record';

export interface ObserveOptions {
  /** The current build's images: used now. */
  currentImageIds?: string[];
  /** A removed image back within this window is a regret; older removals are forgotten (the regret-window setting). */
  regretWindowMs: number;
  /** When the job being cleaned up after started (post-job step): an image created since was built by it. */
  jobStartedAt?: number;
}

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

/** Events that say how an image arrived. */
const ARRIVAL_OF: Record<string, Arrival> = { pull: 'pulled', build: 'built', load: 'loaded', import: 'loaded' };

/** Uses closer together than this are one (a pull, then the container made from it). */
const ONE_USE_MS = 60_000;

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
  // Uses later than the record knew, per image: how often, not only how lately.
  const fresh: number[][] = Array.from({ length: n }, () => []);
  const arrived: (Arrival | undefined)[] = new Array(n);

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
    const prior = isNew[i] ? undefined : record.images[images[i]!.id];
    // The current build is a protection, not another use: the job's pull or build already counted.
    if ((!prior || t > prior.lastUsed) && reason !== 'current-build') fresh[i]!.push(t);
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
    if (!reason) continue;
    const i = resolve(a.imageId, a.reference);
    use(i, a.time, reason);
    const how = ARRIVAL_OF[a.action];
    if (i !== undefined && how && isNew[i] && arrived[i] === undefined) arrived[i] = how;
  }
  for (const id of options.currentImageIds ?? []) use(index.get(fullImageId(id) ?? id), now, 'current-build');

  propagateToEarlierBuilds(images, fresh);
  propagateToBases(images, index, time, why, fresh);

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
    const observed: UsageEntry = {
      firstSeen: prior ? prior.firstSeen : now,
      lastUsed: time[i]!,
      why: why[i]!,
      references: refs,
      layersKey: keys[i]!,
    };
    const uses = unionUses(prior?.uses, distinctUses(fresh[i]!));
    if (uses) observed.uses = uses;
    const builtInJob = isNew[i] && options.jobStartedAt !== undefined && image.created >= options.jobStartedAt && image.created <= now;
    const how = prior?.arrived ?? arrived[i] ?? (builtInJob ? 'built' : undefined);
    if (how) observed.arrived = how;
    const buildMs = prior?.buildMs ?? (builtInJob ? image.created - options.jobStartedAt! : undefined);
    if (buildMs !== undefined) observed.buildMs = buildMs;
    out[image.id] = observed;
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
    // Back again: it was needed after all, so its earlier uses count again.
    const history = unionUses(entry.uses, out[image.id]!.uses);
    if (history) out[image.id]!.uses = history;
    if (out[image.id]!.buildMs === undefined && entry.buildMs !== undefined) out[image.id]!.buildMs = entry.buildMs;
    regrets.push({ imageId: image.id, references: entry.references, removedAt: entry.removedAt, returnedAt: now, sameId });
    delete removed[gone];
  }
  return {
    record: { version: 1, updatedAt: Math.max(now, record.updatedAt), lastRunAt: now, images: out, removed },
    regrets,
  };
}

/**
 * A base (an image whose layer chain is a strict prefix of another's) is used
 * whenever an image built on it is: the planner's layer index gives each image
 * the latest use among those built on it.
 */
function propagateToBases(images: readonly ImageRecord[], index: ReadonlyMap<string, number>, time: Float64Array, why: UsageWhy[], fresh: number[][]): void {
  const latest = new LayerIndex(images).maxOverDependents((image) => time[index.get(image.id)!]!);
  for (let i = 0; i < images.length; i++) {
    const t = latest.get(images[i]!.id);
    if (t !== undefined && t > time[i]!) {
      time[i] = t;
      why[i] = 'base-of-used';
      fresh[i]!.push(t);
    }
  }
}

/**
 * A build that reuses an earlier build's layers (all but its top one: the
 * dependency layers a Dockerfile caches) uses that earlier build: losing both
 * would mean rebuilding them. Only within one repository, where builds are
 * one Dockerfile's; found by the earlier build's second-to-top layer and its place.
 */
function propagateToEarlierBuilds(images: readonly ImageRecord[], fresh: number[][]): void {
  const byCacheLayer = new Map<string, number[]>();
  for (let i = 0; i < images.length; i++) {
    const layers = images[i]!.layers;
    if (layers.length < 2 || images[i]!.tags.length === 0) continue;
    const key = `${layers.length - 2}:${layers[layers.length - 2]}`;
    const list = byCacheLayer.get(key);
    if (list) list.push(i);
    else byCacheLayer.set(key, [i]);
  }
  if (byCacheLayer.size === 0) return;
  const uses: [number, number][] = [];
  for (let x = 0; x < images.length; x++) {
    const latest = fresh[x]!.length ? Math.max(...fresh[x]!) : undefined;
    if (latest === undefined) continue;
    const built = images[x]!;
    const repos = new Set(built.tags.map(repositoryOf));
    for (let k = 0; k < built.layers.length - 1; k++) {
      for (const y of byCacheLayer.get(`${k}:${built.layers[k]}`) ?? []) {
        const earlier = images[y]!;
        if (y === x || !earlier.tags.some((t) => repos.has(repositoryOf(t)))) continue;
        if (earlier.layers.slice(0, k).every((l, j) => l === built.layers[j])) uses.push([y, latest]);
      }
    }
  }
  // Counted among its uses (how often it is needed), not as its last use: the least-recently-used order stays as it was.
  for (const [y, t] of uses) if (!fresh[y]!.includes(t)) fresh[y]!.push(t);
}

/** Fresh use times, ascending, those within ONE_USE_MS of the previous counted once. */
function distinctUses(times: number[]): number[] {
  if (times.length <= 1) return times;
  const sorted = times.slice().sort((a, b) => a - b);
  const out = [sorted[0]!];
  for (const t of sorted) if (t - out[out.length - 1]! >= ONE_USE_MS) out.push(t);
  return out;
}
