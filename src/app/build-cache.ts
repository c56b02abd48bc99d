import type { BuildCachePruneQuery, BuildCacheRecord, EnginePort } from '../engine/port';
import type { EngineInfo } from '../planner/snapshot';
import type { BuildCacheRules, Settings } from '../settings/settings';

/** One record build-cache-keep or build-cache-max-age chose, and what became of it. */
export interface BuildCacheRecordResult {
  id: string;
  description: string;
  /** Its size as system/df lists it. */
  bytes: number;
  lastUsed: number;
  why: 'max-age' | 'keep';
  status: 'pruned' | 'planned' | 'skipped' | 'failed';
  reclaimed: number;
  note?: string;
}

export interface BuildCacheReport {
  /** pruned: the engine answered; planned: dry run; skipped: the engine cannot (see note); failed: it errored. */
  status: 'pruned' | 'planned' | 'skipped' | 'failed';
  /** SpaceReclaimed summed over the calls. */
  spaceReclaimed: number;
  /** Cache records the engine deleted. */
  cachesDeleted: number;
  /** The queries sent (or that a real run would send): one per record, by its id. */
  queries: BuildCachePruneQuery[];
  /** The records chosen, in the order they go (children before their parents). */
  records?: BuildCacheRecordResult[];
  /** Records left alone: a running build holds them, used within min-age, content shared with images. */
  kept?: { inUse: number; young: number; shared: number };
  /** Incidents (the engine deleted a record the choice did not name), said loudly by the caller. */
  warnings?: string[];
  note?: string;
}

/** What pruneBuildCache answers: every part set (reports built elsewhere may leave the newer parts out). */
export type BuildCacheRun = BuildCacheReport & Required<Pick<BuildCacheReport, 'records' | 'kept' | 'warnings'>>;

export interface CacheChoice {
  prune: { record: BuildCacheRecord; why: 'max-age' | 'keep' }[];
  kept: BuildCacheRun['kept'];
}

const lastUseOf = (r: BuildCacheRecord) => r.lastUsed ?? r.created ?? 0;

/**
 * Which build cache records build-cache-max-age and build-cache-keep let go; pure. Never a
 * record a running build holds (BuildKit's InUse), nor one used within min-age (a
 * neighbour's build between two steps holds nothing for a moment), nor one whose content
 * images share (pruning it frees nothing and costs that image's cache), nor a parent while
 * a child stays. Age first; then least recently used until the cache (records not shared,
 * as system/df counts it) fits the keep size.
 */
export function chooseCacheRecords(records: readonly BuildCacheRecord[], rules: BuildCacheRules, options: { now: number; minAgeMs: number }): CacheChoice {
  const { now, minAgeMs } = options;
  const kept = { inUse: 0, young: 0, shared: 0 };
  const eligible: BuildCacheRecord[] = [];
  for (const r of records) {
    if (r.inUse) kept.inUse++;
    else if (now - lastUseOf(r) < minAgeMs) kept.young++;
    else if (r.shared) kept.shared++;
    else eligible.push(r);
  }
  eligible.sort((a, b) => lastUseOf(a) - lastUseOf(b) || (a.created ?? 0) - (b.created ?? 0));
  const gone = new Set<string>();
  const childrenLeft = (id: string) => records.some((r) => !gone.has(r.id) && r.parents.includes(id));
  const prune: CacheChoice['prune'] = [];
  /** The next record in LRU order that may go, or undefined. */
  const next = (may: (r: BuildCacheRecord) => boolean) => eligible.find((r) => !gone.has(r.id) && may(r) && !childrenLeft(r.id));
  const take = (record: BuildCacheRecord, why: 'max-age' | 'keep') => {
    gone.add(record.id);
    prune.push({ record, why });
  };

  if (rules.maxAgeMs !== undefined) {
    const limit = rules.maxAgeMs;
    for (let r = next((x) => now - lastUseOf(x) > limit); r; r = next((x) => now - lastUseOf(x) > limit)) take(r, 'max-age');
  }
  if (rules.keepBytes !== undefined) {
    let total = records.reduce((sum, r) => sum + (r.shared || gone.has(r.id) ? 0 : r.size), 0);
    for (let r = total > rules.keepBytes ? next(() => true) : undefined; r; r = total > rules.keepBytes ? next(() => true) : undefined) {
      take(r, 'keep');
      total -= r.size;
    }
  }
  return { prune, kept };
}

export interface BuildCacheOptions {
  signal?: AbortSignal;
  now?: number;
}

/**
 * Prunes the builder cache as `settings.buildCache` says: lists the records (system/df),
 * chooses them (chooseCacheRecords) and prunes each on its own (POST /build/prune with
 * `all` and its `id` filter), never a daemon-wide prune: `all` without a filter would be
 * `docker builder prune --all`, emptying every neighbour's cache, records used a second
 * ago and those images share included. A deleted record the choice did not name is an
 * incident. Returns undefined when neither build-cache-keep nor build-cache-max-age is
 * set. Skipped with a note on engines without a build cache (Podman) or too old for
 * filters; a dry run only reports the choice. Never throws.
 */
export async function pruneBuildCache(engine: EnginePort, info: EngineInfo, settings: Settings, options: BuildCacheOptions = {}): Promise<BuildCacheRun | undefined> {
  const rules = settings.buildCache;
  if (rules.keepBytes === undefined && rules.maxAgeMs === undefined) return undefined;
  const report: BuildCacheRun = { status: 'skipped', spaceReclaimed: 0, cachesDeleted: 0, queries: [], records: [], kept: { inUse: 0, young: 0, shared: 0 }, warnings: [] };
  const version = parseApiVersion(info.apiVersion);
  if (!version) return { ...report, note: `build cache: unknown engine API version "${info.apiVersion}"; skipped` };
  if (compare(version, [1, 39]) < 0) return { ...report, note: `build cache: engine API ${info.apiVersion} predates build-cache filters (1.39); skipped` };
  if (info.kind === 'podman') return { ...report, note: 'build cache: Podman has no build-cache endpoint; skipped' };
  if (!engine.pruneBuildCache || !engine.listBuildCache) return { ...report, note: 'build cache: this engine adapter cannot prune it; skipped' };

  let records: BuildCacheRecord[] | undefined;
  try {
    records = await engine.listBuildCache();
  } catch (error) {
    return { ...report, status: 'failed', note: `build cache: ${messageOf(error)}` };
  }
  if (!records) return { ...report, note: `build cache: the ${info.kind} engine lists no build cache; skipped` };
  const choice = chooseCacheRecords(records, rules, { now: options.now ?? Date.now(), minAgeMs: settings.minAgeMs });
  report.kept = choice.kept;
  report.queries = choice.prune.map(({ record }) => ({ all: true, filters: { id: [record.id] } }));
  const resultOf = ({ record, why }: CacheChoice['prune'][number], status: BuildCacheRecordResult['status'], reclaimed = 0, note?: string): BuildCacheRecordResult => ({
    id: record.id,
    description: record.description,
    bytes: record.size,
    lastUsed: lastUseOf(record),
    why,
    status,
    reclaimed,
    ...(note ? { note } : {}),
  });
  if (settings.dryRun) {
    report.records = choice.prune.map((c) => resultOf(c, 'planned'));
    return { ...report, status: 'planned', note: 'dry run: the build cache is not pruned' };
  }
  report.status = 'pruned';
  const named = new Set(choice.prune.map((c) => c.record.id));
  for (const [i, c] of choice.prune.entries()) {
    if (options.signal?.aborted) break;
    try {
      const outcome = await engine.pruneBuildCache(report.queries[i]!);
      if (outcome.status === 'unsupported') {
        return { ...report, status: 'skipped', note: `build cache: the ${info.kind} engine has no build-cache endpoint (${outcome.message}); skipped` };
      }
      const unexpected = (outcome.deletedIds ?? []).filter((id) => !named.has(id));
      if (unexpected.length) report.warnings.push(`incident: pruning build cache record ${c.record.id} also deleted ${unexpected.join(', ')}, which build-cache-keep/build-cache-max-age did not choose`);
      report.spaceReclaimed += outcome.spaceReclaimed;
      report.cachesDeleted += outcome.cachesDeleted;
      report.records.push(
        outcome.cachesDeleted > 0 ? resultOf(c, 'pruned', outcome.spaceReclaimed) : resultOf(c, 'skipped', 0, 'the engine deleted nothing (in use by a build by then, or already gone)'),
      );
    } catch (error) {
      // The engine is failing: attempt nothing more on it.
      report.records.push(resultOf(c, 'failed', 0, messageOf(error)));
      return { ...report, status: 'failed', note: `build cache: ${messageOf(error)}` };
    }
  }
  return report;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function parseApiVersion(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
