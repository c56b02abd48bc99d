import type { BuildCachePruneQuery, EnginePort } from '../engine/port';
import type { EngineInfo } from '../planner/snapshot';
import type { BuildCacheRules, Settings } from '../settings/settings';

export interface BuildCacheReport {
  /** pruned: the engine answered; planned: dry run; skipped: the engine cannot (see note); failed: it errored. */
  status: 'pruned' | 'planned' | 'skipped' | 'failed';
  /** SpaceReclaimed summed over the calls. */
  spaceReclaimed: number;
  /** Cache records the engine deleted. */
  cachesDeleted: number;
  /** The queries sent (or that a real run would send). */
  queries: BuildCachePruneQuery[];
  note?: string;
}

export type BuildCachePrunePlan = { queries: BuildCachePruneQuery[] } | { skip: string };

/**
 * The POST /build/prune queries for the engine's API version, or why none can be sent.
 * - API 1.39–1.47: `keep-storage` and the `unused-for` (1.39) / `until` (>= 1.40) filter;
 * - API >= 1.48: `reserved-space` and `max-used-space` (keep-storage is deprecated there).
 * `all` is set: the limits are explicit, and entries in use are never pruned anyway.
 * A size limit and an age limit are two calls, so each applies on its own (an entry
 * goes when the cache is over the size, or when it is too old); in one call BuildKit
 * would stop pruning old entries once the size is met.
 */
export function buildCachePrunePlan(apiVersion: string, rules: BuildCacheRules): BuildCachePrunePlan {
  const version = parseApiVersion(apiVersion);
  if (!version) return { skip: `unknown engine API version "${apiVersion}"` };
  if (compare(version, [1, 39]) < 0) return { skip: `engine API ${apiVersion} predates build-cache limits (1.39)` };
  const queries: BuildCachePruneQuery[] = [];
  if (rules.maxAgeMs !== undefined) {
    // A Go duration: every engine version reads it (older ones with time.ParseDuration).
    const duration = `${Math.max(0, Math.floor(rules.maxAgeMs / 1000))}s`;
    const filter = compare(version, [1, 40]) < 0 ? { 'unused-for': [duration] } : { until: [duration] };
    queries.push({ all: true, filters: filter });
  }
  if (rules.keepBytes !== undefined) {
    queries.push(
      compare(version, [1, 48]) < 0
        ? { all: true, 'keep-storage': rules.keepBytes }
        : { all: true, 'reserved-space': rules.keepBytes, 'max-used-space': rules.keepBytes },
    );
  }
  return { queries };
}

export interface BuildCacheOptions {
  signal?: AbortSignal;
}

/**
 * Prunes the builder cache as `settings.buildCache` says (POST /build/prune).
 * Returns undefined when neither build-cache-keep nor build-cache-max-age is set.
 * Skipped with a note on engines without the endpoint (Podman: 404/501) or too old
 * for limits; a dry run only reports the queries. Never throws.
 */
export async function pruneBuildCache(
  engine: EnginePort,
  info: EngineInfo,
  settings: Settings,
  options: BuildCacheOptions = {},
): Promise<BuildCacheReport | undefined> {
  const rules = settings.buildCache;
  if (rules.keepBytes === undefined && rules.maxAgeMs === undefined) return undefined;
  const report: BuildCacheReport = { status: 'skipped', spaceReclaimed: 0, cachesDeleted: 0, queries: [] };
  const plan = buildCachePrunePlan(info.apiVersion, rules);
  if ('skip' in plan) return { ...report, note: `build cache: ${plan.skip}; skipped` };
  report.queries = plan.queries;
  if (!engine.pruneBuildCache) return { ...report, note: 'build cache: this engine adapter cannot prune it; skipped' };
  if (settings.dryRun) {
    if (info.kind === 'podman') return { ...report, note: 'build cache: Podman has no build-cache endpoint; skipped' };
    return { ...report, status: 'planned', note: 'dry run: the build cache is not pruned' };
  }
  for (const query of plan.queries) {
    if (options.signal?.aborted) break;
    try {
      const outcome = await engine.pruneBuildCache(query);
      if (outcome.status === 'unsupported') {
        return { ...report, status: 'skipped', note: `build cache: the ${info.kind} engine has no build-cache endpoint (${outcome.message}); skipped` };
      }
      report.status = 'pruned';
      report.spaceReclaimed += outcome.spaceReclaimed;
      report.cachesDeleted += outcome.cachesDeleted;
    } catch (error) {
      return { ...report, status: 'failed', note: `build cache: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return report;
}

function parseApiVersion(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
