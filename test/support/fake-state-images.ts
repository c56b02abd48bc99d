import { createHash } from 'node:crypto';
import { untarFiles } from '../../src/engine/image-archive';
import type { LockContainerSpec, LockCreation, RemovalOutcome, StateImage, StateImagesPort } from '../../src/engine/port';

/**
 * An in-memory StateImagesPort for what no local engine shows (faults, answers that untag more).
 * Loads real docker-save archives (the store's own), so IDs, labels and layers are the real ones.
 */
export class FakeStateImages implements StateImagesPort {
  readonly images = new Map<string, StateImage & { files: Map<string, string> }>();
  readonly containers = new Map<string, { id: string; image: string; created: number; labels: Record<string, string> }>();
  /** Answer a removal with this instead (a fault, or more than the store asked for). */
  onRemove?: (id: string) => RemovalOutcome | Error | undefined;

  async inspectStateImage(ref: string): Promise<StateImage | undefined> {
    const image = this.images.get(ref) ?? [...this.images.values()].find((i) => i.tags.includes(ref));
    return image && { id: image.id, tags: [...image.tags], digests: [], labels: image.labels, layers: image.layers, size: image.size };
  }
  async listLabelledImages(label: string, value: string): Promise<{ id: string; tags: string[] }[]> {
    return [...this.images.values()].filter((i) => i.labels[label] === value).map((i) => ({ id: i.id, tags: [...i.tags] }));
  }
  async loadImageArchive(archive: Buffer): Promise<void> {
    const files = await untarFiles(archive);
    const [entry] = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    const config = files.get(entry!.Config)!;
    const parsed = JSON.parse(config.toString());
    const layer = await untarFiles(files.get(entry!.Layers[0]!)!);
    const id = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    for (const other of this.images.values()) other.tags = other.tags.filter((t) => !entry!.RepoTags.includes(t)); // a load moves the tag
    const contents = new Map([...layer].map(([name, bytes]) => [name, bytes.toString('utf8')]));
    this.images.set(id, { id, tags: [...entry!.RepoTags], digests: [], labels: parsed.config.Labels ?? {}, layers: parsed.rootfs.diff_ids, size: archive.length, files: contents });
  }
  async readImageFile(id: string, file: string): Promise<string> {
    const text = this.images.get(id)?.files.get(file);
    if (text === undefined) throw new Error(`no ${file} in the image's layers`);
    return text;
  }
  async removeStateImage(id: string): Promise<RemovalOutcome> {
    const fault = this.onRemove?.(id);
    if (fault instanceof Error) throw fault;
    if (fault) return fault;
    const image = this.images.get(id);
    if (!image) return { status: 'gone' };
    if (image.tags.length > 0 || [...this.containers.values()].some((c) => c.image === id)) return { status: 'conflict', message: 'image is in use' };
    this.images.delete(id);
    return { status: 'done', untagged: [], deleted: [id] };
  }
  async createLockContainer(spec: LockContainerSpec): Promise<LockCreation> {
    if (this.containers.has(spec.name)) return { status: 'taken' };
    const image = await this.inspectStateImage(spec.image);
    if (!image) return { status: 'no-image' };
    const id = `c-${this.containers.size}-${Date.now()}`;
    this.containers.set(spec.name, { id, image: image.id, created: Date.now(), labels: spec.labels });
    return { status: 'created', id };
  }
  async lockContainer(name: string) {
    const c = this.containers.get(name);
    return c && { id: c.id, created: c.created, labels: c.labels };
  }
  async removeLockContainer(id: string): Promise<void> {
    for (const [name, c] of this.containers) if (c.id === id) this.containers.delete(name);
  }
}
