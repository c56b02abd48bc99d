/**
 * The replayer's engine: images as layer chains (shared layers stored once, as
 * an engine's disk use counts them), tags, the job's containers and the last
 * 256 image events, shown to the planner as the Snapshot a real engine gives.
 * It counts what getting evicted content back costs: bytes of layers that were
 * on disk before and are fetched again, seconds of layers rebuilt.
 */
import { createHash } from 'node:crypto';
import type { ContainerRecord, ImageActivity, ImageRecord, Snapshot } from '../planner/snapshot';
import type { ImageUse, LayerDef } from './trace';

interface SimImage {
  id: string;
  tags: string[];
  layers: LayerDef[];
  created: number;
  lastTagged: number;
}

/** What getting content back cost so far. */
export interface Costs {
  /** Bytes of layers fetched although they had been on disk before (evicted, then needed). */
  bytesFetchedAgain: number;
  /** Seconds of layers rebuilt although they had been built here before. */
  rebuildSeconds: number;
  /** Bytes fetched the first time: what no policy can avoid. */
  bytesFetchedFirst: number;
  /** Bytes the removals freed (layers no image held any more). */
  bytesFreed: number;
}

/** The engine keeps only its last 256 events. */
const EVENT_BUFFER = 256;

export function imageIdOf(layers: readonly LayerDef[], created: number): string {
  return 'sha256:' + createHash('sha256').update(layers.map((l) => l.id).join('\n') + '\n' + created).digest('hex');
}

export function diffIdOf(layerId: string): string {
  return 'sha256:' + createHash('sha256').update(layerId).digest('hex');
}

export class SimEngine {
  private readonly images = new Map<string, SimImage>();
  private readonly everOnDisk = new Set<string>();
  private containers: ContainerRecord[] = [];
  private events: ImageActivity[] = [];
  private eventsLost = false;
  private containerCount = 0;
  readonly costs: Costs = { bytesFetchedAgain: 0, rebuildSeconds: 0, bytesFetchedFirst: 0, bytesFreed: 0 };

  /** Pulls, builds or loads `use` at `now`: fetches or rebuilds only the layers not on disk. */
  arrive(use: ImageUse, now: number): string {
    const id = imageIdOf(use.layers, use.created);
    if (!this.images.has(id)) {
      const present = this.layersOnDisk();
      for (const layer of use.layers) {
        if (present.has(layer.id)) continue;
        present.add(layer.id);
        const before = this.everOnDisk.has(layer.id);
        if (use.how === 'build' && layer.buildSeconds !== undefined) {
          if (before) this.costs.rebuildSeconds += layer.buildSeconds;
        } else if (before) this.costs.bytesFetchedAgain += layer.bytes;
        else this.costs.bytesFetchedFirst += layer.bytes;
        this.everOnDisk.add(layer.id);
      }
      this.images.set(id, { id, tags: [], layers: use.layers, created: use.created, lastTagged: now });
    }
    this.tag(id, use.ref, now);
    this.event({ time: now, action: use.how, imageId: id, reference: use.ref });
    if (use.run) {
      this.containerCount++;
      this.containers.push({ id: `c${this.containerCount}`, name: `job-${this.containerCount}`, image: use.ref, imageId: id, state: 'running', created: now, labels: {} });
    }
    return id;
  }

  /** The job's containers stop; the runner removes them once its post-job steps ran (`endJob`). */
  stopContainers(): void {
    for (const c of this.containers) c.state = 'exited';
  }

  endJob(): void {
    this.containers = [];
  }

  /** Untags references; deletes the image when asked and nothing runs from it. Returns whether it was deleted. */
  remove(id: string, untag: readonly string[], del: boolean): boolean {
    const image = this.images.get(id);
    if (!image) return false;
    image.tags = image.tags.filter((t) => !untag.includes(t));
    if (!del || this.containers.some((c) => c.imageId === id)) return false;
    this.costs.bytesFreed += this.bytesFreedBy(new Set([id]));
    this.images.delete(id);
    return true;
  }

  has(id: string): boolean {
    return this.images.has(id);
  }

  imageIds(): string[] {
    return [...this.images.keys()];
  }

  /** Bytes of the distinct layers on disk. */
  diskBytes(): number {
    let sum = 0;
    const seen = new Set<string>();
    for (const image of this.images.values()) {
      for (const l of image.layers) {
        if (seen.has(l.id)) continue;
        seen.add(l.id);
        sum += l.bytes;
      }
    }
    return sum;
  }

  /** What the engine's image list, container list and events show at `now`. */
  snapshot(now: number): Snapshot {
    const images: ImageRecord[] = [...this.images.values()].map((i) => ({
      id: i.id,
      tags: i.tags.slice(),
      digests: [],
      created: i.created,
      lastTagged: i.lastTagged,
      size: i.layers.reduce((s, l) => s + l.bytes, 0),
      labels: {},
      layers: i.layers.map((l) => diffIdOf(l.id)),
      layerSizes: i.layers.map((l) => l.bytes),
    }));
    const activity = this.events.slice();
    return {
      takenAt: now,
      engine: { kind: 'docker', version: 'replay', apiVersion: '1.41', storageDriver: 'overlay2' },
      images,
      containers: this.containers.map((c) => ({ ...c })),
      activity,
      activityWindow: { since: activity[0]?.time ?? now, complete: !this.eventsLost, oldest: activity[0]?.time },
    };
  }

  /** Images containers use now. */
  inUse(): Set<string> {
    return new Set(this.containers.map((c) => c.imageId));
  }

  /** Bytes removing `ids` (on top of nothing else) would free: layers no other image holds. */
  bytesFreedBy(ids: ReadonlySet<string>): number {
    const kept = new Set<string>();
    for (const i of this.images.values()) if (!ids.has(i.id)) for (const l of i.layers) kept.add(l.id);
    let sum = 0;
    const counted = new Set<string>();
    for (const id of ids) {
      for (const l of this.images.get(id)?.layers ?? []) {
        if (kept.has(l.id) || counted.has(l.id)) continue;
        counted.add(l.id);
        sum += l.bytes;
      }
    }
    return sum;
  }

  /** An image's layers and creation time, for policies that judge by them. */
  describe(id: string): { layers: readonly LayerDef[]; created: number; tags: readonly string[] } | undefined {
    const i = this.images.get(id);
    return i && { layers: i.layers, created: i.created, tags: i.tags };
  }

  private layersOnDisk(): Set<string> {
    const set = new Set<string>();
    for (const i of this.images.values()) for (const l of i.layers) set.add(l.id);
    return set;
  }

  private tag(id: string, ref: string, now: number): void {
    for (const other of this.images.values()) {
      if (other.id !== id && other.tags.includes(ref)) other.tags = other.tags.filter((t) => t !== ref);
    }
    const image = this.images.get(id)!;
    if (!image.tags.includes(ref)) {
      image.tags.push(ref);
      image.lastTagged = now;
    }
  }

  private event(e: ImageActivity): void {
    this.events.push(e);
    if (this.events.length > EVENT_BUFFER) {
      this.events.splice(0, this.events.length - EVENT_BUFFER);
      this.eventsLost = true;
    }
  }
}
