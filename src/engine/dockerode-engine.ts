import Docker from 'dockerode';
import { isNoneReference, normalizeReference, repositoryOf } from '../domain/reference';
import type { ContainerRecord, EngineInfo, ImageActivity, ImageRecord, PlatformPart, Snapshot, VolumeRecord } from '../planner/snapshot';
import { mapConcurrent } from './concurrency';
import { tuningFor } from './store-tuning';
import { DEFAULT_TIMEOUT_MS, EngineLostError, EngineTimeoutError, endpointOptions, resolveEndpoint, withDeadlines, type Endpoint, type EngineCallTiming } from './connection';
import {
  type BuildCachePruneOutcome,
  type BuildCachePruneQuery,
  type BuildCacheRecord,
  type ContainerRemovalOutcome,
  type ContainerState,
  type DiskUsage,
  type EnginePort,
  EngineUnreachableError,
  type ImageEvent,
  type ImageEventWatch,
  type ImageState,
  type NetworkRecord,
  type RemovalOutcome,
  type SnapshotOptions,
  type StateImagesPort,
  type VolumeListing,
} from './port';
import { messageOf, readRacingChanges, removal, statusOf, unlessMissing, wentMidRead } from './api-errors';
import { DockerodeStateImages } from './dockerode-state-images';
import { readStream } from './image-archive';
import { acquireRunLock, runLockShare, type RunLockOptions } from './run-lock';
import { type ImageDetails, type ImageDetailsCache, MemoryDetailsCache, detailsKey } from './details-cache';
import { fullImageId, idHex, isCanonicalImageId } from '../domain/image-id';
import { onJsonLines } from './json-lines';

/** The engine keeps this many events in memory (moby daemon/events eventsLimit). */
const ENGINE_EVENT_BUFFER = 256;

/** Events that give an image a name. */
const NAMING_EVENTS = new Set(['tag', 'load', 'import']);
/** How long the event watch waits for the engine to log the deletes it answered (Podman's log trails its answers). */
const EVENT_CATCH_UP_MS = 3_000;

/** Diff ID of an empty layer (a tar of 1024 zero bytes): holds no bytes. */
const EMPTY_LAYER = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

export interface DockerodeEngineOptions {
  host?: string;
  cache?: ImageDetailsCache;
  /** Counts every Engine API call, for the benchmarks' no-op figures. */
  onApiCall?: (what: string) => void;
  /** Deadline of every Engine API call (ms); default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Told every Engine API call's latency (watch mode's metrics). */
  onCallTimed?: (call: EngineCallTiming) => void;
}

/** The EnginePort over the Docker Engine API (and Podman's Docker-compatible API). */
export class DockerodeEngine implements EnginePort {
  readonly docker: Docker;
  readonly host: string;
  private readonly cache: ImageDetailsCache;
  private readonly count: (what: string) => void;
  /** Podman only: our docker-style reference -> the name Podman knows. */
  private readonly podmanNames = new Map<string, string>();
  private podman = false;
  /**
   * Learnt from info(): the containerd image store deletes differently (removeImage), IDs are
   * manifest digests, RepoDigests derive from tags, and listed sizes include content.
   */
  private containerdStore = false;
  /** Learnt from info(): the engine's disk use counts content blobs (see diskUseCountsContent). */
  private countsContent = false;
  private cacheMismatches = 0;

  constructor(options: DockerodeEngineOptions = {}) {
    // Found as the docker CLI finds it: host setting, DOCKER_HOST, DOCKER_CONTEXT, config.json's currentContext, default socket.
    let endpoint: Endpoint;
    try {
      endpoint = resolveEndpoint(options.host);
    } catch (error) {
      const named = process.env.DOCKER_CONTEXT ? `context ${process.env.DOCKER_CONTEXT}` : 'the current docker context';
      throw new EngineUnreachableError(named, error);
    }
    this.docker = new Docker(endpointOptions(endpoint));
    this.host = endpoint.source === 'host setting' ? endpoint.host : `${endpoint.host} (${endpoint.source})`;
    withDeadlines(this.docker, this.host, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.onCallTimed, endpoint.tlsDir);
    this.cache = options.cache ?? new MemoryDetailsCache();
    this.count = options.onApiCall ?? (() => {});
  }

  /** The tool's own bookkeeping on this engine (the on-engine usage record), over the same client and deadlines. */
  stateImages(): StateImagesPort {
    return new DockerodeStateImages(this.docker);
  }

  /** Fails with EngineUnreachableError when the socket is missing, refused or forbidden. */
  async info(): Promise<EngineInfo> {
    let version: Docker.DockerVersion;
    let info: any;
    try {
      this.count('version');
      this.count('info');
      [version, info] = await Promise.all([this.docker.version(), this.docker.info()]);
    } catch (error) {
      // Not reachable at all: the connection error itself says why (ENOENT, ECONNREFUSED, EACCES).
      if (error instanceof EngineTimeoutError) throw error;
      throw new EngineUnreachableError(this.host, error instanceof EngineLostError && error.cause ? error.cause : error);
    }
    const components: { Name?: string }[] = (version as any).Components ?? [];
    const podman = components.some((c) => /podman/i.test(c.Name ?? ''));
    this.podman = podman;
    const driverStatus: [string, string][] = info.DriverStatus ?? [];
    this.containerdStore = driverStatus.some(([k, v]) => k === 'driver-type' && /containerd/.test(v));
    this.countsContent = diskUseCountsContent(this.containerdStore, version.ApiVersion);
    return {
      kind: podman ? 'podman' : 'docker',
      version: version.Version,
      apiVersion: version.ApiVersion,
      storageDriver: info.Driver,
      containerdStore: this.containerdStore,
      diskUseCountsContent: this.countsContent,
      dockerRootDir: typeof info.DockerRootDir === 'string' && info.DockerRootDir ? info.DockerRootDir : undefined,
    };
  }

  async snapshot(options: SnapshotOptions): Promise<Snapshot> {
    const engine = await this.info();
    options.onEngine?.(engine);
    const takenAt = Date.now();
    // Three independent reads at once: each costs the engine little, the round trips add up.
    this.count('images');
    this.count('containers');
    // API >= 1.47: each image's manifests, so a multi-platform image counts only what is present.
    const manifests = apiAtLeast(engine.apiVersion, 1, 47) && !this.podman;
    const [listed, containersListed, events] = await Promise.all([
      readRacingChanges(() => this.docker.listImages({ all: false, ...(manifests ? { manifests: true } : {}) } as Docker.ListImagesOptions)),
      this.docker.listContainers({ all: true }),
      this.events(options.activitySince, takenAt),
    ]);
    this.podmanNames.clear(); // names are learnt afresh from each listing
    // Only for images the details cache does not know; how many at once depends on the store.
    // An image removed between the listing and its inspect (a concurrent cleanup or job) is simply gone.
    // A 500 that says the image went mid-read is asked once more: gone then (404, or the same 500), it is left out.
    const gone = (error: unknown) => (statusOf(error) === 404 ? undefined : Promise.reject(error));
    const records = await mapConcurrent(listed, tuningFor(engine).inspectConcurrency, (summary) =>
      this.imageRecord(summary).catch((error) =>
        wentMidRead(error) ? this.imageRecord(summary).catch((again) => (wentMidRead(again) ? undefined : gone(again))) : gone(error),
      ),
    );
    const images = records.filter((r): r is ImageRecord => r !== undefined);
    await this.cache.save?.();
    const warnings = this.cache.takeWarnings?.() ?? [];
    if (this.cacheMismatches > 0) warnings.push(`details cache: ${this.cacheMismatches} entries disagreed with the engine's image list; inspected afresh`);
    this.cacheMismatches = 0;
    // Read after the listing: Podman's names in the events are translated with what it taught.
    const { activity, complete, oldest } = this.activity(events);
    return {
      takenAt,
      engine,
      images,
      containers: containersListed.map(toContainerRecord),
      activity,
      activityWindow: { since: options.activitySince, complete, oldest },
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  private async imageRecord(summary: Docker.ImageInfo): Promise<ImageRecord> {
    const tags = this.references(summary.RepoTags);
    const digests = this.ownDigests(tags, summary.RepoDigests);
    const key = detailsKey(summary.Id, tags);
    let details = this.cache.get(key);
    // A cached entry must agree with the listing (an image with bytes has layers, and no more bytes
    // than the listing says); one that does not is asked again rather than trusted to change the plan.
    if (details && !agreesWithListing(details, summary)) {
      this.cacheMismatches++;
      details = undefined;
    }
    if (!details) {
      details = await this.details(summary.Id);
      this.cache.set(key, details);
    }
    // Containerd store: the listed Size is content + unpacked snapshots; the
    // engine's disk use (LayersSize) and the history count the snapshots only.
    // With the list's Manifests (API >= 1.47) both are given per platform.
    const platforms = platformParts((summary as any).Manifests);
    let content = this.containerdStore && details.contentBytes !== undefined && details.contentBytes <= summary.Size ? details.contentBytes : undefined;
    let size = summary.Size - (content ?? 0);
    let ownContent: number | undefined;
    if (platforms) {
      content = platforms.reduce((sum, p) => sum + (p.available ? p.contentBytes : 0), 0);
      size = platforms.reduce((sum, p) => sum + (p.available ? p.unpackedBytes : 0), 0);
      if (this.countsContent) {
        // What the engine's disk use counts: every present blob the index reaches (a partly
        // pulled platform's present blobs, attestations), and the index blob itself.
        const index = indexBytes((summary as any).Descriptor);
        content = index + platforms.reduce((sum, p) => sum + p.contentBytes, 0);
        // a manifest's content counts its own blob first: none when the manifest is absent
        ownContent = index + platforms.reduce((sum, p) => sum + Math.min(p.manifestBytes ?? 0, p.contentBytes), 0);
      }
    }
    return {
      id: summary.Id,
      parentId: summary.ParentId || undefined,
      tags,
      digests,
      created: summary.Created * 1000,
      lastTagged: details.lastTagged,
      size,
      contentBytes: content,
      ...(ownContent !== undefined ? { ownContentBytes: ownContent } : {}),
      platforms,
      labels: summary.Labels ?? {},
      layers: details.layers,
      layerSizes: content === undefined ? details.layerSizes : withHiddenSnapshots(details.layerSizes, size),
    };
  }

  private async details(id: string): Promise<ImageDetails> {
    const image = this.docker.getImage(id);
    this.count('image inspect');
    const inspect: any = await image.inspect();
    this.count('image history');
    const history: { Size: number }[] = await image.history();
    const layers: string[] = inspect.RootFS?.Layers ?? [];
    const lastTag = Date.parse(inspect.Metadata?.LastTagTime ?? '');
    return {
      layers,
      layerSizes: layerSizesFromHistory(layers, history),
      lastTagged: Number.isFinite(lastTag) && lastTag > 0 ? lastTag : undefined,
      contentBytes: this.containerdStore && typeof inspect.Size === 'number' ? inspect.Size : undefined,
    };
  }

  /**
   * The digest references that are names of their own. Podman derives one per
   * name from its local manifest; the containerd store derives `repo@digest`
   * from every tag record, and DELETE of such a digest untags every tag of that
   * repository on the image. Only a digest whose repository has no tag on the
   * image is a name record of its own there (made by a pull by digest).
   */
  private ownDigests(tags: string[], repoDigests: string[] | null | undefined): string[] {
    if (this.podman) return [];
    const digests = normalizeAll(repoDigests);
    if (!this.containerdStore) return digests;
    const tagged = new Set(tags.map(repositoryOf));
    return digests.filter((d) => !tagged.has(repositoryOf(d)));
  }

  /**
   * Events since `since`. The engine only buffers its last 256 events, so
   * all types are read to tell whether the buffer reached back far enough.
   */
  private async events(since: number, until: number, filters?: Record<string, string[]>): Promise<any[]> {
    this.count('events');
    // A clock ahead of the engine's (or a test's) must not ask for events from the future.
    since = Math.min(since, until);
    // dockerd takes fractional seconds and closes the stream right at `until`;
    // Podman only reads whole seconds.
    const seconds = (ms: number, round: (x: number) => number) => (this.podman ? String(round(ms / 1000)) : (ms / 1000).toFixed(3));
    const stream = (await this.docker.getEvents({
      since: seconds(since, Math.floor),
      until: seconds(until, Math.ceil),
      ...(filters ? { filters } : {}),
    } as unknown as Docker.GetEventsOptions)) as unknown as NodeJS.ReadableStream;
    const raw = (await readStream(stream)).toString('utf8');
    return raw
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line));
  }

  /** What the events tell of image use and arrival. */
  private activity(events: any[]): { activity: ImageActivity[]; complete: boolean; oldest?: number } {
    const activity: ImageActivity[] = [];
    for (const e of events) {
      const type = e.Type ?? e.type;
      if (type === 'container' && (e.Action === 'create' || e.Action === 'start')) {
        // Usage: the image as the user typed it (a reference, an ID or a digest).
        const typed: string = e.Actor?.Attributes?.image ?? '';
        const time = eventTime(e);
        const full = fullImageId(typed);
        const id = full && isCanonicalImageId(full) ? full : undefined;
        activity.push({
          time,
          action: `container-${e.Action}`,
          imageId: id,
          reference: id ? undefined : this.references([typed], false)[0],
        });
        continue;
      }
      if (type === 'image') activity.push(this.imageEvent(e));
    }
    const oldest = events.length > 0 ? eventTime(events[0]) : undefined;
    // Podman logs events to a file and has no 256-event window.
    return { activity, complete: this.podman || events.length < ENGINE_EVENT_BUFFER, oldest };
  }

  private imageEvent(e: any): ImageActivity {
    const action: string = e.Action ?? e.status;
    const actorId: string = e.Actor?.ID ?? e.id ?? '';
    const name: string = (action === 'pull' ? actorId : e.Actor?.Attributes?.name) ?? '';
    return {
      time: eventTime(e),
      action,
      // Podman names images by bare hex.
      imageId: fullImageId(actorId),
      // dockerd's untag and delete events name the image by its ID: no reference.
      reference: fullImageId(name) ? undefined : this.references([name], false)[0],
    };
  }

  async watchImageEvents(): Promise<ImageEventWatch> {
    const began = Date.now();
    this.count('events');
    const stream = (await this.docker.getEvents({ filters: { type: ['image'] } } as unknown as Docker.GetEventsOptions)) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
    const seen: ImageEvent[] = [];
    const keys = new Set<string>();
    const learning: Promise<void>[] = [];
    let complete = true;
    const take = (raw: any) => {
      const key = `${raw.timeNano ?? raw.time}|${raw.Action}|${raw.Actor?.ID}|${raw.Actor?.Attributes?.name}`;
      if (keys.has(key)) return;
      keys.add(key);
      const event: ImageEvent = this.imageEvent(raw);
      seen.push(event);
      // Its names right away: an image that has none a moment after it got one lost it at once.
      if (event.imageId && NAMING_EVENTS.has(event.action)) {
        const id = event.imageId;
        learning.push(
          this.inspectImage(id).then(
            (state) => void (event.namesAtArrival = state?.references ?? []),
            () => undefined,
          ),
        );
      }
    };
    const incomplete = () => void (complete = false);
    onJsonLines(stream, (raw) => {
      try {
        take(raw);
      } catch {
        incomplete(); // an event of a shape we cannot read: the watch is not whole
      }
    }, incomplete);
    stream.on('error', () => void (complete = false));
    // Our own deletes not logged yet: events of the last moments (another job's tag among them) may be missing too.
    const unlogged = (deleted: readonly string[]) => {
      const logged = new Set(seen.filter((e) => e.action === 'delete' && e.imageId).map((e) => idHex(e.imageId!)));
      return deleted.filter((id) => !logged.has(idHex(id)));
    };
    const finish = async (deleted: readonly string[]): Promise<{ events: ImageEvent[]; complete: boolean }> => {
      const deadline = Date.now() + EVENT_CATCH_UP_MS;
      while (unlogged(deleted).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      // The stream may not have delivered the last moments yet: the engine's buffer has them.
      const from = seen.length > 0 ? seen[seen.length - 1].time : began;
      try {
        for (const raw of await this.events(from, Date.now(), { type: ['image'] })) take(raw);
      } catch {
        complete = false; // what the stream delivered still counts
      } finally {
        stream.destroy?.();
      }
      await Promise.all(learning);
      return { events: [...seen].sort((a, b) => a.time - b.time), complete: complete && unlogged(deleted).length === 0 };
    };
    let stopped: Promise<{ events: ImageEvent[]; complete: boolean }> | undefined;
    return {
      seen: async () => {
        await Promise.all(learning);
        return [...seen].sort((a, b) => a.time - b.time);
      },
      stop: (caughtUp) => (stopped ??= finish(caughtUp?.deleted ?? [])),
    };
  }

  /**
   * Normalized references. Podman names a locally built or loaded `app:1`
   * `localhost/app:1`; it is shown (and matched by patterns) as the docker CLI
   * user wrote it, and translated back for every call to Podman.
   */
  private references(names: string[] | null | undefined, learn = true): string[] {
    const refs = normalizeAll(names);
    if (!this.podman) return refs;
    return refs.map((ref) => {
      const local = /^localhost\/(.+)$/.exec(ref);
      if (!local) return ref;
      const docker = normalizeReference(local[1]);
      const owner = this.podmanNames.get(docker);
      if (owner !== undefined && owner !== ref) return ref; // both names exist: keep Podman's
      // Only names images carry now are learnt; events may name long-gone images.
      if (learn) this.podmanNames.set(docker, ref);
      else if (owner === undefined) return ref;
      return docker;
    });
  }

  private nativeName(reference: string): string {
    return this.podmanNames.get(reference) ?? reference;
  }

  async inspectImage(idOrReference: string): Promise<ImageState | undefined> {
    this.count('image inspect');
    const inspect: any = await unlessMissing(() => this.docker.getImage(this.nativeName(idOrReference)).inspect());
    if (!inspect) return undefined;
    const tags = this.references(inspect.RepoTags);
    const lastTag = Date.parse(inspect.Metadata?.LastTagTime ?? '');
    return {
      id: inspect.Id,
      references: [...tags, ...this.ownDigests(tags, inspect.RepoDigests)],
      ...(Number.isFinite(lastTag) && lastTag > 0 ? { lastTagged: lastTag } : {}),
    };
  }

  removeImage(idOrReference: string): Promise<RemovalOutcome> {
    return removal(async () => {
      this.count('image delete');
      // Never force: the engine's own refusal (409) is a safety net we keep.
      // On the containerd store, noprune: there parents exist only for classic
      // builds (a label), and looking for them reads every image's config on
      // each delete: 400 of 500 images took 318 s with it and 184 s without
      // (dockerd 26.1, 8 in flight). It also shortens the time between the
      // engine resolving the image and deleting its names, and the engine then
      // deletes nothing the plan did not name.
      const answer: { Untagged?: string; Deleted?: string }[] = await this.docker
        .getImage(this.nativeName(idOrReference))
        .remove({ noprune: this.containerdStore });
      // Normalized like every other reference, so they compare with the plan's.
      return {
        status: 'done' as const,
        untagged: this.references(answer.filter((a) => a.Untagged).map((a) => a.Untagged!), false),
        deleted: answer.filter((a) => a.Deleted).map((a) => a.Deleted!),
      };
    });
  }

  async diskUsage(options: { buildCache?: boolean } = {}): Promise<DiskUsage> {
    this.count('system df');
    // dockerode's df() sends no query; type=image (API >= 1.42) spares the
    // engine from sizing every container and volume. Older engines ignore it
    // (and then report the build cache too).
    const df: any = await this.dial('/system/df?', 'GET', { type: options.buildCache ? ['image', 'build-cache'] : 'image' });
    const images: any[] = df.Images ?? [];
    const fromImages = images.reduce((sum: number, i: any) => sum + Math.max(0, (i.Size ?? 0) - Math.max(0, i.SharedSize ?? 0)), 0);
    // Podman 4.3 answers LayersSize 0 (and SharedSize 0): not a measurement. Its
    // images' Sizes are the closest figure it has (shared layers counted in each).
    const layersSize = typeof df.LayersSize === 'number' && (df.LayersSize > 0 || images.length === 0) ? df.LayersSize : undefined;
    // API 1.52 (Docker 29) drops LayersSize and Images for a summary per kind.
    const summary = df.ImagesDiskUsage ?? df.ImageUsage;
    const summarized = typeof summary?.TotalSize === 'number' ? summary.TotalSize : undefined;
    this.count('container inspect');
    const usage: DiskUsage = { imagesBytes: layersSize ?? summarized ?? fromImages, runLockBytes: await runLockShare(this.docker, df, this.containerdStore, this.countsContent) };
    if (options.buildCache && Array.isArray(df.BuildCache)) usage.buildCacheBytes = sumCache(df.BuildCache);
    return usage;
  }

  async listBuildCache(): Promise<BuildCacheRecord[] | undefined> {
    if (this.podman) return undefined;
    this.count('system df');
    const df: any = await this.dial('/system/df?', 'GET', { type: 'build-cache' });
    if (!Array.isArray(df.BuildCache)) return df.BuildCache === null ? [] : undefined;
    return df.BuildCache.map((r: any): BuildCacheRecord => {
      const created = Date.parse(r.CreatedAt ?? '');
      const used = Date.parse(r.LastUsedAt ?? '');
      return {
        id: r.ID,
        parents: r.Parents ?? (r.Parent ? [r.Parent] : []),
        type: r.Type ?? '',
        description: r.Description ?? '',
        inUse: r.InUse === true,
        shared: r.Shared === true,
        size: Math.max(0, Number(r.Size ?? 0)),
        created: Number.isFinite(created) ? created : undefined,
        lastUsed: Number.isFinite(used) && used > 0 ? used : undefined,
      };
    });
  }

  /** The first call of a real run: an engine not there at all is unreachable (exit 2), not lost. */
  async acquireRunLock(options: RunLockOptions): Promise<() => Promise<void>> {
    try {
      return await acquireRunLock(this.docker, options);
    } catch (error) {
      if (error instanceof EngineLostError) throw new EngineUnreachableError(this.host, error.cause ?? error);
      if ((error as { code?: string })?.code && (error as { statusCode?: number }).statusCode === undefined) throw new EngineUnreachableError(this.host, error);
      throw error;
    }
  }

  // Fleet-mode maintenance: stopped containers and the builder cache.

  async listContainers(): Promise<ContainerRecord[]> {
    this.count('containers');
    return (await this.docker.listContainers({ all: true })).map(toContainerRecord);
  }

  async inspectContainer(id: string): Promise<ContainerState | undefined> {
    this.count('container inspect');
    const inspect: any = await unlessMissing(() => this.docker.getContainer(id).inspect());
    if (!inspect) return undefined;
    const finished = Date.parse(inspect.State?.FinishedAt ?? '');
    return {
      id: inspect.Id,
      status: String(inspect.State?.Status ?? 'unknown'),
      // Never-finished containers say 0001-01-01T00:00:00Z.
      finishedAt: Number.isFinite(finished) && finished > 0 ? finished : undefined,
      labels: inspect.Config?.Labels ?? {},
    };
  }

  removeContainer(id: string): Promise<ContainerRemovalOutcome> {
    this.count('container delete');
    // Never force (a container that runs again is refused with 409) and keep its volumes.
    return removal(async () => (await this.docker.getContainer(id).remove({ force: false, v: false }), { status: 'done' as const }));
  }

  async pruneBuildCache(query: BuildCachePruneQuery): Promise<BuildCachePruneOutcome> {
    this.count('build prune');
    const options: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(query)) if (value !== undefined) options[key] = value;
    try {
      const answer: any = await new Promise((resolve, reject) =>
        this.docker.modem.dial(
          {
            path: '/build/prune?',
            method: 'POST',
            options,
            statusCodes: { 200: true, 400: 'bad parameter', 404: 'not found', 409: 'a prune is already running', 500: 'server error', 501: 'not implemented' },
          },
          (err: unknown, data: unknown) => (err ? reject(err) : resolve(data)),
        ),
      );
      const deleted: string[] = answer?.CachesDeleted ?? [];
      return { status: 'done', spaceReclaimed: Number(answer?.SpaceReclaimed ?? 0), cachesDeleted: deleted.length, deletedIds: deleted };
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 501) return { status: 'unsupported', message: `${status}: ${messageOf(error)}` };
      throw error;
    }
  }

  // Volumes and builder leftovers.

  async listVolumes(options: { activitySince: number }): Promise<VolumeListing> {
    const info = await this.info();
    // type= (API >= 1.42) limits the walk to volumes and containers; older engines
    // (and Podman) ignore it and size everything, images included.
    const typed = compareApi(info.apiVersion, [1, 42]) >= 0;
    this.count('volumes');
    this.count('system df');
    const now = Date.now();
    const [listed, df, containers, events] = await Promise.all([
      this.docker.listVolumes(),
      this.dial('/system/df?', 'GET', typed ? { type: ['volume', 'container'] } : {}),
      this.docker.listContainers({ all: true }),
      this.events(options.activitySince, now, { type: ['volume'] }),
    ]);
    const sizes = new Map<string, number>();
    for (const v of df?.Volumes ?? []) {
      const size = v?.UsageData?.Size;
      if (typeof size === 'number' && size >= 0) sizes.set(v.Name, size);
    }
    const sizeRw = new Map<string, number>();
    // SizeRw is omitted when 0 (omitempty); a container df lists was sized.
    for (const c of df?.Containers ?? []) if (c?.Id) sizeRw.set(c.Id, typeof c.SizeRw === 'number' && c.SizeRw > 0 ? c.SizeRw : 0);
    const lastEvent = new Map<string, number>();
    for (const e of events) {
      // dockerd names the volume in Actor.ID, Podman in Actor.Attributes.name.
      const name: string = e.Actor?.ID || e.Actor?.Attributes?.name || '';
      if (name) lastEvent.set(name, Math.max(lastEvent.get(name) ?? 0, eventTime(e)));
    }
    const volumes: VolumeRecord[] = ((listed as any).Volumes ?? []).map((v: any) => {
      const created = Date.parse(v.CreatedAt ?? '');
      return {
        name: v.Name,
        driver: v.Driver ?? '',
        labels: v.Labels ?? {},
        created: Number.isFinite(created) ? created : undefined,
        lastEvent: lastEvent.get(v.Name),
        size: sizes.get(v.Name),
      };
    });
    return {
      volumes,
      containers: containers.map((c) => ({ ...toContainerRecord(c), sizeRw: sizeRw.get(c.Id) })),
      sizeSource: typed ? 'system/df type=volume,container' : `system/df (API ${info.apiVersion} has no type filter: the engine sized everything)`,
    };
  }

  async volumeUsers(name: string): Promise<string[]> {
    this.count('containers');
    const users = await this.docker.listContainers({ all: true, filters: { volume: [name] } });
    // The filter matches by name or mount point; keep those that name the volume.
    return users.filter((c) => (c.Mounts ?? []).some((m: any) => m.Name === name)).map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, ''));
  }

  async inspectVolume(name: string): Promise<{ name: string; labels: Record<string, string> } | undefined> {
    this.count('volume inspect');
    const v: any = await unlessMissing(() => this.docker.getVolume(name).inspect());
    return v && { name: v.Name, labels: v.Labels ?? {} };
  }

  removeVolume(name: string): Promise<ContainerRemovalOutcome> {
    this.count('volume delete');
    // Never force: the engine refuses (409) a volume a container mounts.
    return removal(async () => (await this.docker.getVolume(name).remove({ force: false }), { status: 'done' as const }));
  }

  // Networks.

  async listNetworks(options: { activitySince: number }): Promise<NetworkRecord[]> {
    this.count('networks');
    this.count('containers');
    const now = Date.now();
    const [networks, containers, events] = await Promise.all([
      this.docker.listNetworks(),
      this.docker.listContainers({ all: true }),
      this.events(options.activitySince, now, { type: ['network'] }),
    ]);
    const lastEvent = new Map<string, number>();
    for (const e of events) {
      // dockerd names the network by ID in Actor.ID (its name in Attributes), Podman by name.
      for (const key of [e.Actor?.ID, e.Actor?.Attributes?.name]) if (key) lastEvent.set(key, Math.max(lastEvent.get(key) ?? 0, eventTime(e)));
    }
    return networks.map((n: any) => {
      const created = Date.parse(n.Created ?? '');
      const seen = Math.max(lastEvent.get(n.Id) ?? 0, lastEvent.get(n.Name) ?? 0);
      return {
        id: n.Id,
        name: n.Name,
        driver: n.Driver ?? '',
        scope: n.Scope ?? 'local',
        labels: n.Labels ?? {},
        created: Number.isFinite(created) && created > 0 ? created : undefined,
        ...(seen > 0 ? { lastEvent: seen } : {}),
        users: containers.filter((c) => joins(c, n.Id, n.Name)).map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '') })),
      };
    });
  }

  async inspectNetwork(id: string): Promise<{ id: string; name: string; labels: Record<string, string>; users: string[] } | undefined> {
    this.count('network inspect');
    const n: any = await unlessMissing(() => this.docker.getNetwork(id).inspect());
    if (!n) return undefined;
    this.count('containers');
    // The network filter matches a created container (no endpoint, no network ID yet) by the network's name only.
    const listed = await this.docker.listContainers({ all: true, filters: { network: [n.Name, n.Id] } });
    const users = listed.filter((c) => joins(c, n.Id, n.Name)).map((c) => (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''));
    return { id: n.Id, name: n.Name, labels: n.Labels ?? {}, users };
  }

  async removeNetwork(id: string): Promise<ContainerRemovalOutcome> {
    this.count('network delete');
    try {
      await this.docker.getNetwork(id).remove();
      return { status: 'done' };
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return { status: 'gone' };
      // In use: 409; dockerd answers 403 for active endpoints (and a predefined network), Podman 500 "network is being used" (and for its default).
      if (status === 409 || status === 403 || (status === 500 && /is being used|cannot be removed/i.test(messageOf(error)))) return { status: 'conflict', message: messageOf(error) };
      throw error;
    }
  }

  /** system/df: a read of the whole store, asked again when it meets another job's change. */
  private dial(path: string, method: string, options: Record<string, unknown>): Promise<any> {
    return readRacingChanges(() => this.dialOnce(path, method, options));
  }

  private dialOnce(path: string, method: string, options: Record<string, unknown>): Promise<any> {
    return new Promise((resolve, reject) =>
      this.docker.modem.dial({ path, method, options, statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' } }, (err: unknown, data: unknown) =>
        err ? reject(err) : resolve(data),
      ),
    );
  }
}

/** Bytes of the build cache as `docker system df` counts them: shared records once. */
function sumCache(records: any[]): number {
  return records.reduce((sum: number, r: any) => sum + (r.Shared ? 0 : Math.max(0, Number(r.Size ?? 0))), 0);
}

function compareApi(version: string, than: [number, number]): number {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return -1;
  return Number(m[1]) - than[0] || Number(m[2]) - than[1];
}

/**
 * The one place that says which engines count content blobs in their image disk use (system df
 * LayersSize, the listed and inspected Size): the containerd store from dockerd 28.2, API 1.50
 * (moby f07242f6d7, "include present content size in disk usage calculations"). dockerd 26.1
 * (API 1.45) counts the snapshots only; the graph driver and Podman have no content store.
 */
export function diskUseCountsContent(containerdStore: boolean, apiVersion: string | undefined): boolean {
  return containerdStore && apiAtLeast(apiVersion, 1, 50);
}

/** The index blob's size when the image's target is an index (its manifests' sizes are counted apart). */
function indexBytes(descriptor: { mediaType?: string; size?: number } | undefined): number {
  const index = /image\.index|manifest\.list/.test(descriptor?.mediaType ?? '');
  return index ? Math.max(0, Number(descriptor?.size ?? 0)) : 0;
}

function apiAtLeast(version: string | undefined, major: number, minor: number): boolean {
  const [a, b] = (version ?? '').split('.').map(Number);
  return a! > major || (a === major && (b ?? 0) >= minor);
}

/**
 * The image list's `Manifests` (API >= 1.47, containerd store): one entry per
 * manifest of the index, present or not, images and attestations. Undefined
 * when the engine lists none (graph driver, older APIs).
 */
export function platformParts(manifests: any[] | undefined | null): PlatformPart[] | undefined {
  if (!Array.isArray(manifests) || manifests.length === 0) return undefined;
  const byDigest = new Map<string, any>(manifests.map((m) => [m.ID ?? m.Descriptor?.digest, m]));
  const platformOf = (m: any): string => {
    const p = m?.ImageData?.Platform ?? m?.Descriptor?.platform;
    if (!p?.os) return 'unknown';
    return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
  };
  return manifests.map((m) => {
    const kind: PlatformPart['kind'] = m.Kind === 'image' || m.Kind === 'attestation' ? m.Kind : 'unknown';
    const forImage = kind === 'attestation' ? byDigest.get(m.AttestationData?.For) : undefined;
    return {
      platform: kind === 'attestation' ? (forImage ? platformOf(forImage) : 'unknown') : platformOf(m),
      kind,
      digest: String(m.ID ?? m.Descriptor?.digest ?? ''),
      available: m.Available === true,
      unpackedBytes: Number(m.ImageData?.Size?.Unpacked ?? 0),
      contentBytes: Number(m.Size?.Content ?? 0),
      manifestBytes: Number(m.Descriptor?.size ?? 0),
    };
  });
}

function agreesWithListing(details: ImageDetails, summary: Docker.ImageInfo): boolean {
  if (details.layers.length === 0 && summary.Size > 0) return false;
  const bytes = details.layerSizes?.reduce((a, b) => a + b, 0) ?? 0;
  return bytes <= summary.Size;
}

function eventTime(e: { timeNano?: number; time: number }): number {
  return e.timeNano ? Math.floor(e.timeNano / 1e6) : e.time * 1000;
}

/** Whether a listed container (running or not) is configured to join the network: by name, by ID, or as its network mode. */
function joins(c: Docker.ContainerInfo, id: string, name: string): boolean {
  const networks: Record<string, { NetworkID?: string }> = (c.NetworkSettings?.Networks as any) ?? {};
  return (
    Object.entries(networks).some(([key, n]) => key === name || key === id || (!!n?.NetworkID && n.NetworkID === id)) ||
    c.HostConfig?.NetworkMode === name ||
    c.HostConfig?.NetworkMode === id
  );
}

function toContainerRecord(c: Docker.ContainerInfo): ContainerRecord {
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    imageId: c.ImageID,
    state: c.State,
    created: c.Created * 1000,
    labels: c.Labels ?? {},
    volumes: (c.Mounts ?? []).filter((m: any) => m.Type === 'volume' && m.Name).map((m: any) => m.Name as string),
  };
}

/**
 * History steps with bytes are layers, in order; layers with the empty diff ID
 * hold nothing. When the counts disagree the mapping is unknown, and the layer
 * index falls back to image sizes.
 */
export function layerSizesFromHistory(layers: string[], history: { Size: number }[]): number[] | undefined {
  const nonEmpty = history
    .slice()
    .reverse()
    .map((h) => h.Size)
    .filter((s) => s > 0);
  const sizes: number[] = [];
  let next = 0;
  for (const layer of layers) {
    if (layer === EMPTY_LAYER) sizes.push(0);
    else if (next < nonEmpty.length) sizes.push(nonEmpty[next++]);
    else return undefined;
  }
  return next === nonEmpty.length ? sizes : undefined;
}

/**
 * Containerd store: a classic-builder (DOCKER_BUILDKIT=0) RUN layer is committed
 * on top of its build container's `-init` snapshot, which the history does not
 * show but the image's unpacked size counts (a full copy on the native
 * snapshotter). The bytes the history misses belong to this image's own layers:
 * they are put on its top layer, so removing the image frees them.
 */
export function withHiddenSnapshots(sizes: number[] | undefined, unpacked: number): number[] | undefined {
  if (!sizes || sizes.length === 0) return sizes;
  const missing = unpacked - sizes.reduce((a, b) => a + b, 0);
  if (missing <= 0) return sizes;
  let top = sizes.length - 1;
  while (top > 0 && sizes[top] === 0) top--;
  const out = sizes.slice();
  out[top] += missing;
  return out;
}

function normalizeAll(refs: string[] | null | undefined): string[] {
  const out: string[] = [];
  for (const r of refs ?? []) {
    if (isNoneReference(r)) continue;
    const n = safeNormalize(r);
    if (n && !out.includes(n)) out.push(n);
  }
  return out;
}

function safeNormalize(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  try {
    return normalizeReference(ref);
  } catch {
    return undefined;
  }
}
