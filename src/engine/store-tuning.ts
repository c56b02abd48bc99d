import type { EngineInfo } from '../planner/snapshot';

/**
 * How the engine stores images: dockerd's graph drivers (and Podman), containerd's image
 * store, and that store from dockerd 28.2, where a delete no longer walks every image's
 * content (moby PR #49848) and the engine takes more deletes at once.
 */
export type StoreKind = 'graphdriver' | 'containerd' | 'containerd-28.2';

/** Per image store: chosen from `npm run bench -- --sweep` and `--calls` (docs/performance.md). */
export interface StoreTuning {
  /** inspect + history per image the details cache does not know, while taking a snapshot. */
  inspectConcurrency: number;
  /** Images being re-checked and removed at once. */
  removalConcurrency: number;
  /**
   * A real run reads the engine's disk use beside its snapshot rather than after the plan:
   * worth it where both reads cost seconds. A run with nothing to remove then pays the read too.
   */
  measureBesideSnapshot: boolean;
}

const TUNING: Record<StoreKind, StoreTuning> = {
  // dockerd 20.10, vfs, 2 cores, 500 images: inspect + history 1: 0.41 s, 2: 0.24, 4: 0.18,
  // 8: 0.18, 16: 0.14; removal of 400: 1: 2.35 s, 2: 1.28, 4: 0.89, 8: 0.82, 16: 0.94 (the
  // engine serializes layer deletion: past 8 requests only queue and contend).
  // (A sweep on 2026-12-01 at load 18 gave 8: 6.6 s, 16: 5.8, 32: 5.1, one run each: within
  // that machine's noise; kept at 8.) system df costs little here: a run with nothing to do reads none.
  graphdriver: { inspectConcurrency: 16, removalConcurrency: 8, measureBesideSnapshot: false },
  // dockerd 26.1, native snapshotter, 2 cores at load 18-22, 500 images: inspect + history 4: 33.2 s,
  // 8: 29.7, 16: 29.2 (median of 3); 400 deletes by ID (noprune) 8: 184 s, 32: 172, 128: 175.
  // Each delete walks every image's content in the engine (docs/performance.md): more in flight
  // does not help, so the graph driver's figures stand.
  containerd: { inspectConcurrency: 16, removalConcurrency: 8, measureBesideSnapshot: false },
  // dockerd 28.5.2 + containerd 2.1.9, native snapshotter, 2 cores at load 4, 500 images
  // (2026-12-07): inspect + history 4: 12.4 s, 8: 12.7, 16: 7.4, 32: 8.1 (median of 3);
  // re-check + delete of 400: 4: 19.6 s, 8: 14.7, 16: 8.6, 32: 12.0. The image list took 3.6 s,
  // system df 4.1 s, both at once 6.1 s (median of 3). Removals stay at 8: at 16 containers created
  // from candidates mid-run lost their image 6 times as often (bench/races.ts, 5 runs each: 87 of 549
  // against 15 of 602 at 8, all reported); `removal-concurrency 16` trades that for speed.
  'containerd-28.2': { inspectConcurrency: 16, removalConcurrency: 8, measureBesideSnapshot: true },
};

export function storeKind(engine: Pick<EngineInfo, 'containerdStore' | 'version'>): StoreKind {
  if (!engine.containerdStore) return 'graphdriver';
  return versionAtLeast(engine.version, 28, 2) ? 'containerd-28.2' : 'containerd';
}

export function tuningFor(engine: Pick<EngineInfo, 'containerdStore' | 'version'>): StoreTuning {
  return TUNING[storeKind(engine)];
}

/** `28.5.2+dfsg4` and the like; an unreadable version is taken as an older one. */
function versionAtLeast(version: string | undefined, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}
