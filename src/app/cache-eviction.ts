import type { EnginePort } from '../engine/port';
import type { BuildCacheEviction } from '../planner/plan';

export interface CacheEvictionReport {
  /** One per record the plan evicts; planned on a dry run. */
  results: { id: string; description: string; bytes: number; status: 'pruned' | 'planned' | 'skipped' | 'failed'; reclaimed: number; note?: string }[];
  /** Bytes the plan counted for the records (shared ones 0). */
  predicted: number;
  /** SpaceReclaimed the engine answered, summed. */
  reclaimed: number;
  /** Build cache size (system/df, shared records once) before and after, when the engine lists it. */
  before?: number;
  after?: number;
  warnings: string[];
}

/**
 * Prunes exactly the build cache records the plan evicted: one POST /build/prune
 * per record with `all` and an `id` filter, never a daemon-wide prune that would
 * empty neighbours' cache. BuildKit never prunes a record a running build holds;
 * a record that answers nothing deleted is reported as skipped. A deleted record the
 * plan did not name is reported as an incident. Never throws.
 */
export async function pruneEvictedCache(
  engine: EnginePort,
  evictions: BuildCacheEviction[],
  options: { dryRun: boolean; signal?: AbortSignal },
): Promise<CacheEvictionReport> {
  const report: CacheEvictionReport = { results: [], predicted: evictions.reduce((sum, e) => sum + e.bytes, 0), reclaimed: 0, warnings: [] };
  if (options.dryRun) {
    report.results = evictions.map((e) => ({ id: e.id, description: e.description, bytes: e.bytes, status: 'planned', reclaimed: 0 }));
    return report;
  }
  if (!engine.pruneBuildCache) {
    report.warnings.push('build cache: this engine adapter cannot prune it; the evicted records stay');
    return report;
  }
  report.before = await cacheBytes(engine);
  const named = new Set(evictions.map((e) => e.id));
  for (const e of evictions) {
    if (options.signal?.aborted) break;
    const base = { id: e.id, description: e.description, bytes: e.bytes };
    try {
      const outcome = await engine.pruneBuildCache({ all: true, filters: { id: [e.id] } });
      if (outcome.status === 'unsupported') {
        report.results.push({ ...base, status: 'skipped', reclaimed: 0, note: outcome.message });
        continue;
      }
      const unexpected = (outcome.deletedIds ?? []).filter((id) => !named.has(id));
      if (unexpected.length) report.warnings.push(`incident: pruning build cache record ${e.id} also deleted ${unexpected.join(', ')}, which the plan did not name`);
      report.reclaimed += outcome.spaceReclaimed;
      report.results.push(
        outcome.cachesDeleted > 0
          ? { ...base, status: 'pruned', reclaimed: outcome.spaceReclaimed }
          : { ...base, status: 'skipped', reclaimed: 0, note: 'the engine deleted nothing (in use by a build, or already gone)' },
      );
    } catch (error) {
      report.results.push({ ...base, status: 'failed', reclaimed: 0, note: error instanceof Error ? error.message : String(error) });
    }
  }
  report.after = await cacheBytes(engine);
  return report;
}

async function cacheBytes(engine: EnginePort): Promise<number | undefined> {
  try {
    const records = await engine.listBuildCache?.();
    return records?.reduce((sum, r) => sum + (r.shared ? 0 : r.size), 0);
  } catch {
    return undefined;
  }
}
