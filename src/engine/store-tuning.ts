import type { EngineInfo } from '../planner/snapshot';

/** How the engine stores images: dockerd's graph drivers (and Podman), or containerd's image store. */
export type StoreKind = 'graphdriver' | 'containerd';

/** Calls in flight, per image store: chosen from `npm run bench -- --sweep` (README, Performance). */
export interface StoreTuning {
  /** inspect + history per image the details cache does not know, while taking a snapshot. */
  inspectConcurrency: number;
  /** Images being re-checked and removed at once. */
  removalConcurrency: number;
}

const TUNING: Record<StoreKind, StoreTuning> = {
  // dockerd 20.10, vfs, 2 cores, 500 images: inspect + history 1: 0.41 s, 2: 0.24, 4: 0.18,
  // 8: 0.18, 16: 0.14; removal of 400: 1: 2.35 s, 2: 1.28, 4: 0.89, 8: 0.82, 16: 0.94 (the
  // engine serializes layer deletion: past 8 requests only queue and contend).
  graphdriver: { inspectConcurrency: 16, removalConcurrency: 8 },
  containerd: { inspectConcurrency: 16, removalConcurrency: 8 },
};

export function storeKind(engine: Pick<EngineInfo, 'containerdStore'>): StoreKind {
  return engine.containerdStore ? 'containerd' : 'graphdriver';
}

export function tuningFor(engine: Pick<EngineInfo, 'containerdStore'>): StoreTuning {
  return TUNING[storeKind(engine)];
}
