/**
 * What the engine looks like at one moment, in engine-neutral terms.
 * Produced by an EnginePort, consumed by the pure planner.
 * All times are milliseconds since the epoch; all references are normalized
 * (`docker.io/library/node:20-alpine`, `registry:5000/team/app@sha256:…`).
 */
export interface ImageRecord {
  /** Content-addressed ID, `sha256:<hex>`. */
  id: string;
  /** Legacy-builder parent (graphdriver only), `sha256:<hex>`. */
  parentId?: string;
  /** Normalized `repo:tag` references. */
  tags: string[];
  /**
   * Normalized `repo@sha256:…` references of their own (graph driver: pulled
   * digests; containerd store: name records made by digest). Not the digests an
   * engine derives from each tag (Podman, containerd store): untagging those
   * removes the tags they were derived from.
   */
  digests: string[];
  /** Image config creation time (build time; for pulled images the upstream build). */
  created: number;
  /** Last time a tag was put on the image on this engine, when the engine knows it. */
  lastTagged?: number;
  /**
   * Total bytes of the image's layers as the engine counts them in its disk use
   * (system df LayersSize). Graph driver: the listed Size. Containerd image
   * store: the unpacked snapshots only (the listed Size less `contentBytes`).
   */
  size: number;
  /**
   * Containerd image store only: bytes of the image's blobs in containerd's
   * content store (compressed layers, manifest, config; the index and every
   * manifest's present blobs when the engine counts them, see
   * `EngineInfo.diskUseCountsContent`). Freed with the image when no other image
   * holds them. The API gives one total per manifest, not which blobs images share.
   */
  contentBytes?: number;
  /**
   * Of `contentBytes`, the blobs that are this image's alone, their sizes known from
   * their descriptors: its index and manifests (the ID is their digest).
   */
  ownContentBytes?: number;
  /**
   * Multi-platform images (image list `Manifests`, API >= 1.47): what each
   * manifest of the index holds here. Only present platforms count in `size`
   * and `contentBytes`; `layers` are the engine's own platform's.
   */
  platforms?: PlatformPart[];
  labels: Record<string, string>;
  /** RootFS diff IDs, base layer first. */
  layers: string[];
  /** Bytes per layer (same order as `layers`) when the engine history allows it. */
  layerSizes?: number[];
}

/** One manifest of a multi-platform image, as the engine holds it. */
export interface PlatformPart {
  /** `linux/amd64`; for an attestation, the platform it is for. */
  platform: string;
  kind: 'image' | 'attestation' | 'unknown';
  digest: string;
  /** Its content is in the store (a platform never pulled is listed but absent). */
  available: boolean;
  /** Unpacked snapshot bytes (what the engine's disk use counts). */
  unpackedBytes: number;
  /** Blobs in the content store (the manifest's own blob and the present ones it names). */
  contentBytes: number;
  /** The manifest's own blob (its descriptor's size). */
  manifestBytes?: number;
}

export type ContainerState = 'running' | 'paused' | 'restarting' | 'created' | 'exited' | 'dead' | 'removing' | string;

export interface ContainerRecord {
  id: string;
  name: string;
  /** The image as the user typed it at creation (`app:ci-1`, an ID, a digest). */
  image: string;
  /** The image ID resolved at creation: survives the tag moving away. */
  imageId: string;
  state: ContainerState;
  created: number;
  labels: Record<string, string>;
  /** Names of the volumes it mounts (Mounts of type volume), when the engine lists them. */
  volumes?: string[];
}

/** A volume as the engine lists it, with its size from system/df when the engine computed one. */
export interface VolumeRecord {
  name: string;
  driver: string;
  labels: Record<string, string>;
  /** ms epoch; undefined when the engine does not say. */
  created?: number;
  /** Latest volume event seen (create, mount, unmount), ms epoch: when it was last used. */
  lastEvent?: number;
  /** Bytes from system/df UsageData.Size; undefined when the engine did not compute it (-1). */
  size?: number;
}

/** One build cache record as system/df lists it (BuildKit). */
export interface BuildCacheRecord {
  id: string;
  /** Records this one builds on (Parent below API 1.42, Parents from 1.42). */
  parents: string[];
  type: string;
  description: string;
  /** A running build holds it: never pruned. */
  inUse: boolean;
  /** Its content is shared with other records or images: pruning it may free less than its size. */
  shared: boolean;
  size: number;
  /** ms epoch */
  created?: number;
  lastUsed?: number;
}

/** Something the engine said happened to an image (events API). */
export interface ImageActivity {
  time: number;
  /** pull, tag, untag, load, import, build, push, delete, save, create (container), … */
  action: string;
  imageId?: string;
  reference?: string;
}

export interface EngineInfo {
  /** `docker` or `podman` (from the version's components). */
  kind: 'docker' | 'podman' | string;
  version: string;
  apiVersion: string;
  storageDriver?: string;
  /** true when the engine stores images in containerd (ids are index digests). */
  containerdStore?: boolean;
  /**
   * The engine's image disk use (system df LayersSize, the listed Size) counts the
   * content store's blobs as well as the unpacked snapshots: the containerd store
   * from dockerd 28.2 (API 1.50, moby f07242f6d7); dockerd 26.1 counts snapshots only.
   */
  diskUseCountsContent?: boolean;
  /** The engine's data root (GET /info DockerRootDir), as the engine's host sees it. */
  dockerRootDir?: string;
}

export interface Snapshot {
  takenAt: number;
  /** What the adapter found wrong with its own state (a damaged details cache), for the report. */
  warnings?: string[];
  engine: EngineInfo;
  images: ImageRecord[];
  containers: ContainerRecord[];
  /** Recent image activity, oldest first. */
  activity: ImageActivity[];
  /**
   * The period the activity covers. `complete` is false when the engine's event
   * buffer (the last 256 events) was full, so older events may be lost; `oldest`
   * is the time of the oldest event read.
   */
  activityWindow: { since: number; complete: boolean; oldest?: number };
}
