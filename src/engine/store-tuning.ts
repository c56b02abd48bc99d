import type { EngineInfo } from '../planner/snapshot';

/** How the engine stores images: dockerd's graph drivers (and Podman), or containerd's image store. */
export type StoreKind = 'graphdriver' | 'containerd';

/** Calls in flight, per image store: chosen from `npm run bench -- --sweep` (docs/performance.md). */
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
  // (A sweep on 2026-12-01 at load 18 gave 8: 6.6 s, 16: 5.8, 32: 5.1, one run each: within
  // that machine's noise; kept at 8.)
  graphdriver: { inspectConcurrency: 16, removalConcurrency: 8 },
  // dockerd 26.1, native snapshotter, 2 cores at load 18-22, 500 images: inspect + history 4: 33.2 s,
  // 8: 29.7, 16: 29.2 (median of 3); 400 deletes by ID (noprune) 8: 184 s, 32: 172, 128: 175.
  // Each delete walks every image's content in the engine (docs/performance.md): more in flight
  // does not help, so the graph driver's figures stand.
  containerd: { inspectConcurrency: 16, removalConcurrency: 8 },
};

export function storeKind(engine: Pick<EngineInfo, 'containerdStore'>): StoreKind {
  return engine.containerdStore ? 'containerd' : 'graphdriver';
}

export function tuningFor(engine: Pick<EngineInfo, 'containerdStore'>): StoreTuning {
  return TUNING[storeKind(engine)];
}
