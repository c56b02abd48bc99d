/**
 * Updating the record from what the engine shows now: uses by containers,
 * events and the current build, bases used whenever an image built on them is,
 * and regrets (removed images that came back).
 */
import { fullImageId } from '../domain/image-id';
import { LayerIndex } from '../planner/layer-index';
import type { ImageRecord, Snapshot } from '../planner/snapshot';
import { later, layersKeyOf, live, unionSorted, type Regret, type RemovedEntry, type UsageEntry, type UsageRecord, type UsageWhy } from './record';

export interface ObserveOptions {
  /** The current build's images: used now. */
  currentImageIds?: string[];
  /** A removed image back within this window is a regret; older removals are forgotten (the regret-window setting). */
  regretWindowMs: number;
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

  propagateToBases(images, index, time, why);

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

/**
 * A base (an image whose layer chain is a strict prefix of another's) is used
 * whenever an image built on it is: the planner's layer index gives each image
 * the latest use among those built on it.
 */
function propagateToBases(images: readonly ImageRecord[], index: ReadonlyMap<string, number>, time: Float64Array, why: UsageWhy[]): void {
  const latest = new LayerIndex(images).maxOverDependents((image) => time[index.get(image.id)!]!);
  for (let i = 0; i < images.length; i++) {
    const t = latest.get(images[i]!.id);
    if (t !== undefined && t > time[i]!) {
      time[i] = t;
      why[i] = 'base-of-used';
    }
  }
}
