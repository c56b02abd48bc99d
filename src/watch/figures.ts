import type { Outcome, OutcomeKind } from '../app/outcome';
import { formatBytes } from '../domain/units';

/** How a watch cycle ended: the outcome of its cleanup, or `error` when it threw (engine unreachable, lock busy). */
export type CycleOutcome = OutcomeKind | 'error';
export const CYCLE_OUTCOMES: readonly CycleOutcome[] = ['ok', 'removals-failed', 'refused', 'engine-lost', 'short-of-free', 'error'];

/** What a cycle removes, counted per thing removed. */
export type RemovedKind = 'images' | 'containers' | 'build-cache' | 'volumes' | 'builder-containers';
export const REMOVED_KINDS: readonly RemovedKind[] = ['images', 'containers', 'build-cache', 'volumes', 'builder-containers'];

/** What a cycle frees, counted in bytes (the report's byKind; builder containers' bytes are in volumes). */
export type ByteKind = 'images' | 'build-cache' | 'volumes';
export const BYTE_KINDS: readonly ByteKind[] = ['images', 'build-cache', 'volumes'];

/** Whether the space rules' target is there after the cycle. */
export interface TargetFigures {
  met: boolean;
  /** Bytes still missing (0 when met). */
  shortBytes: number;
  /** One line for the health endpoint when not met. */
  message?: string;
}

/** One cycle's figures for the metrics and the health state: plain data read from the report. */
export interface CycleFigures {
  outcome: CycleOutcome;
  removed: Record<RemovedKind, number>;
  /** Bytes the engine measured as freed; a kind is absent when nothing was measured. */
  freedBytes: Partial<Record<ByteKind, number>>;
  /** Bytes the plan predicted the removals free. */
  predictedBytes: Partial<Record<ByteKind, number>>;
  incidents: number;
  /** Absent when no space rule was set (or the cycle threw). */
  target?: TargetFigures;
}

const none = (): Record<RemovedKind, number> => ({ images: 0, containers: 0, 'build-cache': 0, volumes: 0, 'builder-containers': 0 });

/**
 * A cycle's figures. A dry run (and a refused plan, reported as one) removes and
 * frees nothing, so it adds only to the run count and the target state.
 */
export function cycleFigures(outcome: Outcome | undefined): CycleFigures {
  if (!outcome) return { outcome: 'error', removed: none(), freedBytes: {}, predictedBytes: {}, incidents: 0 };
  const report = outcome.report;
  const figures: CycleFigures = { outcome: outcome.kind, removed: none(), freedBytes: {}, predictedBytes: {}, incidents: report.counts.incidents ?? 0, target: targetOf(outcome) };
  if (report.dryRun) return figures;
  const removed = figures.removed;
  removed.images = report.counts.removed;
  removed.containers = report.containers?.counts.removed ?? 0;
  // Records the build-cache limits pruned (the engine's count), and those the space rules evicted one by one.
  removed['build-cache'] = (report.buildCache?.status === 'pruned' ? report.buildCache.cachesDeleted : 0) + (report.cacheEviction?.results.filter((r) => r.status === 'pruned').length ?? 0);
  for (const r of report.volumes?.results ?? []) {
    if (r.status === 'removed' || r.status === 'gone') removed[r.kind === 'volume' ? 'volumes' : 'builder-containers']++;
  }
  // byKind is filled once the leftovers ran; a run that lost the engine before has the images' figures only.
  const rows = report.byKind?.length ? report.byKind : [{ kind: 'images' as const, predicted: report.bytes.predicted, measured: report.bytes.measured }];
  for (const row of rows) {
    figures.predictedBytes[row.kind] = row.predicted;
    if (row.measured !== undefined) figures.freedBytes[row.kind] = row.measured;
  }
  // The build-cache limits' prune has no prediction: the engine answers what it reclaimed.
  if (report.buildCache?.status === 'pruned') figures.freedBytes['build-cache'] = (figures.freedBytes['build-cache'] ?? 0) + report.buildCache.spaceReclaimed;
  return figures;
}

/**
 * Met or not: ensure-free's measured free space when it was set, else whether the
 * plan reaches what the space rules (min-free, min-free-inodes, max-image-bytes,
 * max-docker-bytes) ask for. Undefined when no space rule was set.
 */
export function targetOf(outcome: Outcome): TargetFigures | undefined {
  const report = outcome.report;
  const ensure = report.ensureFree;
  if (ensure) {
    const shortBytes = Math.max(0, ensure.wantedBytes - ensure.freeAfter);
    return ensure.reached ? { met: true, shortBytes: 0 } : { met: false, shortBytes, message: outcome.kind === 'short-of-free' ? outcome.message : `ensure-free short by ${formatBytes(shortBytes)}` };
  }
  const eviction = report.plan?.eviction;
  if (!eviction) return undefined;
  if (eviction.reached) return { met: true, shortBytes: 0 };
  return { met: false, shortBytes: eviction.shortByBytes, message: `${eviction.rules.join(', ')}: short by ${formatBytes(eviction.shortByBytes)} (the rest is in use, protected, current or younger than min-age)` };
}
