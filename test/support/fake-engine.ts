import type { DiskUsage, EnginePort, ImageState, RemovalOutcome, SnapshotOptions } from '../../src/engine/port';
import type { Snapshot } from '../../src/planner/snapshot';

/**
 * A few-line in-memory engine for edge cases a local engine does not show
 * (faults, races). Tags map to image IDs; removing the last tag deletes the image.
 */
export class FakeEngine implements EnginePort {
  readonly calls: string[] = [];
  /** reference -> image ID */
  readonly refs = new Map<string, string>();
  readonly images = new Set<string>();
  /** Called before each removal, to simulate a concurrent job. */
  beforeRemove?: (name: string) => void;
  /** Answer a removal with a fault instead. */
  failWith?: (name: string) => RemovalOutcome | Error | undefined;

  constructor(private readonly snap?: Snapshot) {
    for (const img of snap?.images ?? []) {
      this.images.add(img.id);
      for (const r of [...img.tags, ...img.digests]) this.refs.set(r, img.id);
    }
  }

  async snapshot(_options: SnapshotOptions): Promise<Snapshot> {
    this.calls.push('snapshot');
    if (!this.snap) throw new Error('no snapshot');
    return this.snap;
  }

  async inspectImage(name: string): Promise<ImageState | undefined> {
    this.calls.push(`inspect ${name}`);
    const id = this.images.has(name) ? name : this.refs.get(name);
    if (!id) return undefined;
    return { id, references: [...this.refs].filter(([, v]) => v === id).map(([k]) => k) };
  }

  async removeImage(name: string): Promise<RemovalOutcome> {
    this.calls.push(`remove ${name}`);
    this.beforeRemove?.(name);
    const fault = this.failWith?.(name);
    if (fault instanceof Error) throw fault;
    if (fault) return fault;
    if (this.refs.has(name)) {
      const id = this.refs.get(name)!;
      this.refs.delete(name);
      const left = [...this.refs.values()].includes(id);
      if (!left) this.images.delete(id);
      return { status: 'done', untagged: [name], deleted: left ? [] : [id] };
    }
    if (this.images.has(name)) {
      if ([...this.refs.values()].includes(name)) return { status: 'conflict', message: 'image is referenced in multiple repositories' };
      this.images.delete(name);
      return { status: 'done', untagged: [], deleted: [name] };
    }
    return { status: 'gone' };
  }

  async diskUsage(): Promise<DiskUsage> {
    this.calls.push('df');
    return { imagesBytes: this.images.size * 1000 };
  }
}
