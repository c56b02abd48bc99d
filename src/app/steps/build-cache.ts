import { pruneBuildCache, type BuildCacheRun } from '../build-cache';
import { pruneEvictedCache, type CacheEvictionReport } from '../cache-eviction';
import type { StepOf } from '../run';

/**
 * The build cache, after the images (cache records of builds whose images just went can
 * go too): build-cache-keep / build-cache-max-age prune it record by record, then the
 * records the space rules evicted go. The space rules weigh the records listed before the plan.
 */
export const buildCache: StepOf = (run) => {
  let kept: BuildCacheRun | undefined;
  let evicted: CacheEvictionReport | undefined;
  return {
    async choose() {
      const { settings, snapshot } = run;
      if (!settings.space.evictBuildCache && settings.space.maxDockerBytes === undefined) return;
      const records = await run.engine.listBuildCache?.();
      run.planInput.buildCache = records;
      if (!records) run.notes.push(`build cache: the ${snapshot!.engine.kind} engine has no build cache to list; the space rules count images${settings.volumes.olderThanMs !== undefined ? ' and volumes' : ''} only`);
      if (records?.length && snapshot!.engine.containerdStore) {
        run.notes.push('containerd image store: the build cache and images share content blobs (moby #48700), so removing an image can free nothing while a cache record holds its blobs, and the reverse; the measured bytes are what counts');
      }
    },
    async apply({ engine, snapshot, settings, plan, clock, deps }) {
      kept = await pruneBuildCache(engine, snapshot.engine, settings, { now: clock() });
      if (plan.buildCacheEvictions.length) evicted = await pruneEvictedCache(engine, plan.buildCacheEvictions, { dryRun: settings.dryRun, signal: deps.signal });
    },
    freed: ({ settings }) => evicted && { kind: 'build-cache', predicted: evicted.predicted, measured: settings.dryRun ? undefined : evicted.reclaimed },
    section({ report }) {
      if (kept) report.buildCache = kept;
      if (evicted) report.cacheEviction = evicted;
      report.warnings.push(...(kept?.warnings ?? []), ...(evicted?.warnings ?? []));
    },
  };
};
