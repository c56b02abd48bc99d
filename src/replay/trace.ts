/**
 * A workload for the replayer: CI jobs in time order, each naming the images it
 * needs (pulled, built or loaded) and what getting each layer back costs.
 * Pure data: generators (bench/replay/) and the usage record (what-if) make it.
 */

/** One filesystem layer: its diff ID stands for its content, so images listing the same id share its bytes. */
export interface LayerDef {
  id: string;
  bytes: number;
  /** Built layers: seconds a rebuild takes when the layer is not on disk (pulled layers cost bytes over the link). */
  buildSeconds?: number;
}

export type HowArrived = 'pull' | 'build' | 'load';

/** An image a job needs, as the engine would end up holding it. */
export interface ImageUse {
  /** The reference it is pulled, built or loaded as. */
  ref: string;
  /** Base first; a built image lists its FROM image's layers first. */
  layers: LayerDef[];
  /** Config creation time (a pulled image's upstream build time). */
  created: number;
  how: HowArrived;
  /** A container runs from it during the job. */
  run?: boolean;
}

export interface Job {
  /** ms epoch */
  at: number;
  durationMs: number;
  uses: ImageUse[];
}

export interface Trace {
  name: string;
  /** What it models, in one line. */
  description: string;
  /** How it was made: the generator and its seed, or the record it was read from. */
  source: string;
  /** The disk budget every policy is held to: bytes of images (shared layers once). */
  budgetBytes: number;
  /** The link pulls come over: bytes fetched again cost bytes / bandwidth seconds. */
  bandwidthBytesPerSecond: number;
  jobs: Job[];
}
