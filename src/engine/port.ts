import type { Snapshot } from '../planner/snapshot';

/** Disk use of images as the engine accounts it (system/df LayersSize). */
export interface DiskUsage {
  imagesBytes: number;
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
}

export interface SnapshotOptions {
  /** Read engine events since this time (ms epoch). */
  activitySince: number;
}

/**
 * The platform port: everything the use case needs from an engine.
 * The real implementation is dockerode; unit tests use small fakes.
 */
export interface EnginePort {
  snapshot(options: SnapshotOptions): Promise<Snapshot>;
  /** Current state of an image by ID or reference; undefined when it does not exist. */
  inspectImage(idOrReference: string): Promise<ImageState | undefined>;
  /** DELETE /images/{name} without force and with pruning of untagged parents. */
  removeImage(idOrReference: string): Promise<RemovalOutcome>;
  diskUsage(): Promise<DiskUsage>;
}

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
