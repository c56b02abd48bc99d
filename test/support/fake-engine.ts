import type {
  BuildCachePruneOutcome,
  BuildCachePruneQuery,
  ContainerRemovalOutcome,
  ContainerState,
  DiskUsage,
  EnginePort,
  ImageEvent,
  ImageEventWatch,
  ImageState,
  NetworkRecord,
  RemovalOutcome,
  SnapshotOptions,
} from '../../src/engine/port';
import type { BuildCacheRecord, ContainerRecord, Snapshot } from '../../src/planner/snapshot';

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
  /**
   * Called inside a removal, after the engine read the names of the image it resolved and
   * before it deletes them by name, whatever they name by then (both engines' own window).
   */
  withinRemove?: (name: string) => void;
  /** Containerd store: an image is its name records, and one left without any is gone. */
  imagesNeedNames = false;
  /** Image events as the engine logs them, for watchImageEvents. */
  readonly events: ImageEvent[] = [];

  constructor(private readonly snap?: Snapshot) {
    for (const img of snap?.images ?? []) {
      this.images.add(img.id);
      for (const r of [...img.tags, ...img.digests]) this.refs.set(r, img.id);
    }
  }

  async snapshot(options: SnapshotOptions): Promise<Snapshot> {
    this.calls.push('snapshot');
    if (!this.snap) throw new Error('no snapshot');
    options.onEngine?.(this.snap.engine);
    return this.snap;
  }

  async inspectImage(name: string): Promise<ImageState | undefined> {
    this.calls.push(`inspect ${name}`);
    const id = this.images.has(name) ? name : this.refs.get(name);
    // A name left naming a deleted image (a tag that landed inside its delete) names nothing: 404.
    if (!id || !this.images.has(id)) return undefined;
    return { id, references: [...this.refs].filter(([, v]) => v === id).map(([k]) => k) };
  }

  async removeImage(name: string): Promise<RemovalOutcome> {
    this.calls.push(`remove ${name}`);
    this.beforeRemove?.(name);
    const fault = this.failWith?.(name);
    if (fault instanceof Error) throw fault;
    if (fault) return fault;
    // As dockerd: the last reference or the ID of an image a container uses is refused;
    // by ID, one tag (and any digests) go with the image, two tags are refused.
    const used = (id: string) => [...this.containers.values()].some((c) => c.imageId === id);
    const refsOf = (id: string) => [...this.refs].filter(([, v]) => v === id).map(([k]) => k);
    if (this.refs.has(name)) {
      const id = this.refs.get(name)!;
      const last = refsOf(id).length === 1;
      if (last && used(id)) return { status: 'conflict', message: `unable to remove repository reference ${name} (must force) - container is using its referenced image` };
      this.withinRemove?.(name);
      this.untag(id, [name]);
      if (!last) return { status: 'done', untagged: [name], deleted: [] };
      this.images.delete(id);
      this.log('delete', id);
      return { status: 'done', untagged: [name], deleted: [id] };
    }
    if (this.images.has(name)) {
      const refs = refsOf(name);
      if (refs.filter((r) => !r.includes('@')).length > 1) return { status: 'conflict', message: 'unable to delete (must be forced) - image is referenced in multiple repositories' };
      if (used(name)) return { status: 'conflict', message: 'unable to delete (must be forced) - image is being used by stopped container' };
      this.withinRemove?.(name);
      this.untag(name, refs);
      // The containerd store: a name record made after the engine listed the names keeps the image, though the answer says deleted.
      if (this.namesMidDeleteKeep && refsOf(name).length > 0) return { status: 'done', untagged: refs, deleted: [name] };
      this.images.delete(name);
      this.log('delete', name);
      return { status: 'done', untagged: refs, deleted: [name] };
    }
    return { status: 'gone' };
  }

  /** Deletes names by name (whatever image each names now) and logs them under the resolved image, as the engines do. */
  private untag(resolved: string, names: string[]): void {
    for (const name of names) {
      const holder = this.refs.get(name);
      this.refs.delete(name);
      this.log('untag', resolved);
      if (this.imagesNeedNames && holder && holder !== resolved && ![...this.refs.values()].includes(holder)) this.images.delete(holder);
    }
  }

  /** The watch looks at a named image only once the call that took its name is over (else right away). */
  watchLooksLate = false;
  /** A name given inside a delete by ID keeps the image (the containerd store), the answer saying deleted all the same. */
  namesMidDeleteKeep = false;
  /** The engine's log trails its answers past the watch's wait: deletes (and what came with them) are never logged. */
  logTrails = false;

  private log(action: string, imageId?: string, reference?: string): void {
    const event: ImageEvent = { time: Date.now(), action, ...(imageId ? { imageId } : {}), ...(reference ? { reference } : {}) };
    if (imageId && !this.watchLooksLate && ['tag', 'load', 'import'].includes(action)) event.namesAtArrival = [...this.refs].filter(([, v]) => v === imageId).map(([k]) => k);
    if (this.logTrails && ['delete', 'tag'].includes(action)) return;
    this.events.push(event);
  }

  /** Another job loads an image under this name (the name moves onto it; on the containerd store the old image goes if that was its last name). */
  load(id: string, reference: string): void {
    const before = this.refs.get(reference);
    this.images.add(id);
    this.refs.set(reference, id);
    if (this.imagesNeedNames && before && ![...this.refs.values()].includes(before)) this.images.delete(before);
    this.log('load', id);
  }

  /** Another job tags an image (docker tag). */
  tag(id: string, reference: string): void {
    this.refs.set(reference, id);
    this.log('tag', id, reference);
  }

  async watchImageEvents(): Promise<ImageEventWatch> {
    const from = this.events.length;
    const seen = async () => {
      const events = this.events.slice(from).map((e) => ({ ...e }));
      if (this.watchLooksLate) for (const e of events) if (e.imageId && ['tag', 'load', 'import'].includes(e.action)) e.namesAtArrival = (await this.inspectImage(e.imageId))?.references ?? [];
      return events;
    };
    const stop = async (caughtUp?: { deleted: readonly string[] }) => {
      const events = await seen();
      const logged = (id: string) => events.some((e) => e.action === 'delete' && e.imageId === id);
      return { events, complete: (caughtUp?.deleted ?? []).every(logged) };
    };
    return { seen, stop };
  }

  async diskUsage(): Promise<DiskUsage> {
    this.calls.push('df');
    return { imagesBytes: this.images.size * 1000 };
  }

  // Maintenance (fleet mode): containers and the build cache.

  /** Containers by ID; finishedAt per ID for inspect. */
  readonly containers = new Map<string, ContainerRecord & { finishedAt?: number }>();
  /** Answer of POST /build/prune; a function to vary it per query. */
  buildPrune?: (query: BuildCachePruneQuery) => BuildCachePruneOutcome | Error;
  /** Called before a container removal (e.g. to start it meanwhile). */
  beforeRemoveContainer?: (id: string) => void;

  async listContainers(): Promise<ContainerRecord[]> {
    this.calls.push('containers');
    return [...this.containers.values()].map(({ finishedAt: _f, ...c }) => ({ ...c }));
  }

  async inspectContainer(id: string): Promise<ContainerState | undefined> {
    this.calls.push(`inspect container ${id}`);
    const c = this.containers.get(id);
    return c && { id, status: c.state, finishedAt: c.finishedAt, labels: c.labels };
  }

  async removeContainer(id: string): Promise<ContainerRemovalOutcome> {
    this.calls.push(`remove container ${id}`);
    this.beforeRemoveContainer?.(id);
    const c = this.containers.get(id);
    if (!c) return { status: 'gone' };
    if (!['exited', 'created', 'dead'].includes(c.state)) return { status: 'conflict', message: `cannot remove a ${c.state} container` };
    this.containers.delete(id);
    return { status: 'done' };
  }

  /** The build cache system/df lists; undefined: the engine lists none. */
  buildCache?: BuildCacheRecord[];

  async listBuildCache(): Promise<BuildCacheRecord[] | undefined> {
    this.calls.push('build cache');
    return this.buildCache?.map((r) => ({ ...r }));
  }

  async pruneBuildCache(query: BuildCachePruneQuery): Promise<BuildCachePruneOutcome> {
    this.calls.push(`build prune ${JSON.stringify(query)}`);
    const answer = this.buildPrune?.(query) ?? { status: 'done', spaceReclaimed: 0, cachesDeleted: 0 };
    if (answer instanceof Error) throw answer;
    return answer;
  }

  /** Networks by ID; `users` joins them. A removal hook stands for another job between the re-check and the call. */
  readonly networks = new Map<string, NetworkRecord>();
  beforeRemoveNetwork?: (id: string) => void;

  async listNetworks(): Promise<NetworkRecord[]> {
    this.calls.push('networks');
    return [...this.networks.values()].map((n) => ({ ...n, users: [...n.users] }));
  }

  async inspectNetwork(id: string): Promise<{ id: string; name: string; labels: Record<string, string>; users: string[] } | undefined> {
    this.calls.push(`inspect network ${id}`);
    const n = this.networks.get(id);
    return n && { id, name: n.name, labels: n.labels, users: n.users.map((u) => u.name) };
  }

  async removeNetwork(id: string): Promise<ContainerRemovalOutcome> {
    this.calls.push(`remove network ${id}`);
    this.beforeRemoveNetwork?.(id);
    const n = this.networks.get(id);
    if (!n) return { status: 'gone' };
    // As dockerd: only a running container's endpoint refuses it (403, read as a conflict).
    if (n.users.some((u) => this.containers.get(u.id)?.state === 'running')) return { status: 'conflict', message: `network ${n.name} has active endpoints` };
    this.networks.delete(id);
    return { status: 'done' };
  }
}
