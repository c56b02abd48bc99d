import type { BuildCacheRecord, ContainerRecord, EngineInfo, Snapshot, VolumeRecord } from '../planner/snapshot';
import type { RunLockOptions } from './run-lock';

export type { BuildCacheRecord };

/** Disk use of images as the engine accounts it (system/df LayersSize). */
export interface DiskUsage {
  imagesBytes: number;
  /** Build cache bytes (system/df BuilderSize), when asked for and the engine has a build cache. */
  buildCacheBytes?: number;
  /** Of imagesBytes, what the run lock's own image and container hold (measured in the same answer); 0 or absent when none stands. */
  runLockBytes?: number;
}

/** What the engine answered to one removal call. */
export type RemovalOutcome =
  | { status: 'done'; untagged: string[]; deleted: string[] }
  /** 404: somebody else removed it first; fine. */
  | { status: 'gone' }
  /** 409: in use, has children, or several references; skipped, never forced. */
  | { status: 'conflict'; message: string };

/** Current state of one image, for the re-check right before acting. */
export interface ImageState {
  id: string;
  references: string[];
  /** When a reference was last added (inspect Metadata.LastTagTime), ms epoch; undefined when the engine does not say. */
  lastTagged?: number;
}

/** One engine event about an image, as a watch during the removals reads it. */
export interface ImageEvent {
  /** Engine time, ms epoch. */
  time: number;
  /** tag, untag, load, import, pull, delete, … */
  action: string;
  imageId?: string;
  /** The reference the event names (a tag event's new name, a pull's reference); undefined when it names only the ID. */
  reference?: string;
  /**
   * For an image that got a name (tag, load, import): its references as inspected right
   * after the event arrived ([] when it had none or was gone by then).
   */
  namesAtArrival?: string[];
}

/** A watch of the engine's image events, begun before the first removal. */
export interface ImageEventWatch {
  /** The events so far, once the images they named have been looked at. */
  seen(): Promise<ImageEvent[]>;
  /**
   * Ends it: every image event since it began (the stream's, plus the engine's
   * last moments read back). The engine logs after it answers (Podman tens of
   * ms later): given the images our calls deleted, it first waits a few seconds
   * at most for their delete events; `complete` is false when they never came.
   */
  stop(caughtUp?: { deleted: readonly string[] }): Promise<{ events: ImageEvent[]; complete: boolean }>;
}

export interface SnapshotOptions {
  /** Read engine events since this time (ms epoch). */
  activitySince: number;
  /** Called once the engine is known, before the snapshot's reads (e.g. to start another read beside them). */
  onEngine?: (engine: EngineInfo) => void;
}

/**
 * The platform port: everything the use case needs from an engine.
 * The real implementation is dockerode; unit tests use small fakes.
 */
export interface EnginePort {
  snapshot(options: SnapshotOptions): Promise<Snapshot>;
  /** Current state of an image by ID or reference; undefined when it does not exist. */
  inspectImage(idOrReference: string): Promise<ImageState | undefined>;
  /** DELETE /images/{name} without force; with pruning of untagged parents on graph drivers, without on the containerd store. */
  removeImage(idOrReference: string): Promise<RemovalOutcome>;
  /**
   * Watches image events until stopped (GET /events, streaming): the removals use it to
   * find names another job moved onto a new image while a call of ours removed them.
   */
  watchImageEvents?(): Promise<ImageEventWatch>;
  /** Image disk use; with `buildCache`, the build cache's too (one system/df call). */
  diskUsage(options?: { buildCache?: boolean }): Promise<DiskUsage>;

  // Optional maintenance (fleet mode). Fakes and old adapters may leave them out;
  // the maintenance functions then skip with a note.

  /** Every container, running or not (GET /containers/json?all=1). */
  listContainers?(): Promise<ContainerRecord[]>;
  /** Current state of one container, for the re-check right before removing it; undefined when gone. */
  inspectContainer?(id: string): Promise<ContainerState | undefined>;
  /** DELETE /containers/{id} without force (and without volumes); 409 when it runs again. */
  removeContainer?(id: string): Promise<ContainerRemovalOutcome>;
  /** POST /build/prune with the parameters given (the caller chose them for the engine's API version). */
  pruneBuildCache?(query: BuildCachePruneQuery): Promise<BuildCachePruneOutcome>;
  /** Every build cache record (system/df type=build-cache); undefined when the engine has no build cache (Podman). */
  listBuildCache?(): Promise<BuildCacheRecord[] | undefined>;
  /** Takes the engine-wide run lock (one cleanup at a time per engine); resolves with its release. */
  acquireRunLock?(options: RunLockOptions): Promise<() => Promise<void>>;

  // Volumes and builder leftovers (opt-in).

  /** Every volume with its size (system/df) and last volume event, and every container with its volume mounts. */
  listVolumes?(options: { activitySince: number }): Promise<VolumeListing>;
  /** Names of containers (running or not) that mount the volume now, for the re-check right before removing it. */
  volumeUsers?(name: string): Promise<string[]>;
  /** Whether the volume still exists, and its labels (re-check). */
  inspectVolume?(name: string): Promise<{ name: string; labels: Record<string, string> } | undefined>;
  /** DELETE /volumes/{name} without force; 409 when a container mounts it. */
  removeVolume?(name: string): Promise<ContainerRemovalOutcome>;

  // Networks (opt-in).

  /** Every network, with the containers (running or not) that join it and its last network event. */
  listNetworks?(options: { activitySince: number }): Promise<NetworkRecord[]>;
  /** The network now (labels), and the containers (running or not) that join it: the re-check right before removing it; undefined when gone. */
  inspectNetwork?(id: string): Promise<{ id: string; name: string; labels: Record<string, string>; users: string[] } | undefined>;
  /** DELETE /networks/{id}: 404 gone; in use (409, dockerd's 403 "active endpoints", Podman's 500 "is being used") a conflict, never forced. */
  removeNetwork?(id: string): Promise<ContainerRemovalOutcome>;
}

/** One network as the engine lists it. */
export interface NetworkRecord {
  id: string;
  name: string;
  driver: string;
  /** local, global or swarm. */
  scope: string;
  labels: Record<string, string>;
  /** ms epoch; undefined when the engine does not say. */
  created?: number;
  /** Latest network event seen (create, connect, disconnect), ms epoch. */
  lastEvent?: number;
  /** Containers (running or not, by ID and name) configured to join it: a stopped one joins it again when started. */
  users: { id: string; name: string }[];
}

export interface VolumeListing {
  volumes: VolumeRecord[];
  /** Every container with `volumes` (mounted volume names) and, where known, its writable-layer bytes. */
  containers: (ContainerRecord & { sizeRw?: number })[];
  /** How the sizes were obtained, for the report (e.g. "system/df type=volume"). */
  sizeSource: string;
}

/** A container's state from inspect. */
export interface ContainerState {
  id: string;
  /** created, running, paused, restarting, removing, exited, dead */
  status: string;
  /** ms epoch; undefined when it never finished (created) or the engine does not say. */
  finishedAt?: number;
  labels: Record<string, string>;
}

export type ContainerRemovalOutcome =
  | { status: 'done' }
  /** 404: already gone. */
  | { status: 'gone' }
  /** 409: running again, or being removed; never forced. */
  | { status: 'conflict'; message: string };

/** Query of POST /build/prune; undefined fields are not sent. */
export interface BuildCachePruneQuery {
  all?: boolean;
  /** API 1.39–1.47 (deprecated by 1.48 in favour of reserved-space). */
  'keep-storage'?: number;
  /** API >= 1.48. */
  'reserved-space'?: number;
  'max-used-space'?: number;
  /** `id` prunes one record (one value per call: the engine matches it as `id~=`). */
  filters?: { until?: string[]; 'unused-for'?: string[]; id?: string[] };
}

export type BuildCachePruneOutcome =
  | { status: 'done'; spaceReclaimed: number; cachesDeleted: number; deletedIds?: string[] }
  /** The engine has no build-cache endpoint (Podman: 404/501). */
  | { status: 'unsupported'; message: string };

/** The engine could not be reached or refused us (socket missing, permission denied, TLS). */
export class EngineUnreachableError extends Error {
  constructor(
    readonly host: string,
    override readonly cause: unknown,
  ) {
    super(`cannot reach the Docker engine at ${host}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'EngineUnreachableError';
  }
}

/**
 * The tool's own bookkeeping on the engine (the on-engine usage record): images it writes
 * itself as docker-save archives, read back by inspect or save, and a lock container it
 * creates (never starts) under a fixed name. A second small port beside EnginePort, so the
 * usage store needs no engine client of its own.
 */
export interface StateImagesPort {
  /** Full inspect of one image by ID or reference; undefined when it does not exist. */
  inspectStateImage(idOrReference: string): Promise<StateImage | undefined>;
  /** IDs and tags of every image carrying `label=value` (GET /images/json?filters=label). */
  listLabelledImages(label: string, value: string): Promise<{ id: string; tags: string[] }[]>;
  /**
   * POST /images/load of a docker-save archive; throws on a failure the engine reports in its
   * stream. With `existingIsFine`, a concurrent load of the same image ("already exists") is success.
   */
  loadImageArchive(archive: Buffer, options?: { existingIsFine?: boolean }): Promise<void>;
  /** One file of an image's layers (top layer first), read from GET /images/{id}/get; throws when absent. */
  readImageFile(imageId: string, file: string): Promise<string>;
  /** DELETE /images/{id} without force (parents pruned); gone (404, or Podman's 500 saying so), 409 conflict. */
  removeStateImage(id: string): Promise<RemovalOutcome>;
  /** Creates (never starts) a container named `name`: atomic, so a taken name is a held lock. */
  createLockContainer(spec: LockContainerSpec): Promise<LockCreation>;
  /** The container holding the name now; undefined when there is none. */
  lockContainer(name: string): Promise<{ id: string; created: number; labels: Record<string, string> } | undefined>;
  /** Removes a lock container by ID; one already gone is fine. */
  removeLockContainer(id: string): Promise<void>;
}

/** What inspect says of one of the tool's own images. */
export interface StateImage {
  id: string;
  /** RepoTags as the engine gives them, `<none>` left out. */
  tags: string[];
  digests: string[];
  labels: Record<string, string>;
  /** RootFS diff IDs, bottom first. */
  layers: string[];
  /** Bytes, when the engine says. */
  size?: number;
}

export interface LockContainerSpec {
  name: string;
  image: string;
  /** Never run; an engine wants a command to create a container. */
  cmd: string[];
  labels: Record<string, string>;
}

export type LockCreation =
  | { status: 'created'; id: string }
  /** Another container holds the name (409, or Podman's "already in use"). */
  | { status: 'taken' }
  /** The lock's image is not on the engine. */
  | { status: 'no-image' };
