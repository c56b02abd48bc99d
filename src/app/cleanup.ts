import type { DiskUsage, EnginePort } from '../engine/port';
import type { Settings } from '../settings/settings';
import { CATALOG, type Front, type SettingSpec } from '../settings/catalog';
import { plan as makePlan, type JobStart } from '../planner/planner';
import type { Plan } from '../planner/plan';
import type { EngineInfo } from '../planner/snapshot';
import { applyDecisions, ENGINE_LOST_NOTE, incidentsOf, isEngineLost, type Incident, type RemovalResult } from './apply';
import { tuningFor } from '../engine/store-tuning';
import { readUsage, saveUsage } from './usage';
import { pruneBuildCache, type BuildCacheReport } from './build-cache';
import { removeStoppedContainers, type ContainerCleanupReport } from './containers';
import { applyVolumePlan, listVolumePlan, type VolumeCleanupReport } from './volumes';
import { pruneEvictedCache, type CacheEvictionReport } from './cache-eviction';
import type { UsageStore } from '../usage/store';
import { dockerfileReferences } from './dockerfiles';
import { filesystemStats } from './filesystem';
import { isRunLockImage, RUN_LOCK_NAME } from '../engine/run-lock';
import { formatBytes } from '../domain/units';
import type { FilesystemStats } from '../planner/eviction';

export interface CleanupDeps {
  engine: EnginePort;
  /** Milliseconds since the epoch; injected so runs are reproducible in tests. */
  clock?: () => number;
  /** Where relative Dockerfile paths are resolved. */
  cwd?: string;
  /** Progress of the removals, for a terminal progress line. */
  onProgress?: (done: number, total: number) => void;
  /** Free space of a path; injected so watermark rules can be tested. */
  filesystem?: (path: string) => Promise<FilesystemStats | undefined>;
  /** The usage record: feeds least-recently-used order, and is updated after a real run. */
  usage?: UsageStore;
  /** A stop request (watch mode): removals not yet begun are left alone. */
  signal?: AbortSignal;
  /** Told when another cleanup holds the engine's run lock (and this run waits). */
  onLockWait?: (message: string) => void;
}

export interface CleanupOptions {
  /** Images the engine held when the job started: everything newer is the current build. */
  jobStart?: JobStart;
  /** Patterns the front filled in as its defaults: no warning when they match nothing (see PlanInput). */
  quietUnmatched?: readonly string[];
}

export interface CleanupReport {
  dryRun: boolean;
  startedAt: number;
  finishedAt: number;
  engine: EngineInfo;
  plan: Plan;
  /** One per image the plan untags or removes; empty on a dry run. */
  results: RemovalResult[];
  counts: {
    images: number;
    kept: number;
    /** Planned (dry run) or done. */
    removed: number;
    untagged: number;
    skipped: number;
    failed: number;
    /** Calls where the engine untagged or deleted something the plan did not name. */
    incidents: number;
  };
  bytes: {
    /** What the plan said the removals free, shared layers counted once. */
    predicted: number;
    /** Engine disk use of images before and after, and the difference. */
    before?: number;
    after?: number;
    measured?: number;
    /** What the run lock's own image and container held of `before` (left out of before and after). */
    runLock?: number;
  };
  /** Removed images that came back within the regret window (from the usage record). */
  regrets: { imageId: string; references: string[]; removedAt: number; returnedAt: number }[];
  /** What the engine untagged or deleted beyond the plan (a concurrent job changed an image mid-call); any makes the run fail. */
  incidents: Incident[];
  /** Set when the engine was lost or stopped answering during the removals: why. What was done is in `results`. */
  engineLost?: string;
  /** Where the usage record lives, when one is kept. */
  usageStore?: string;
  /** Stopped containers removed before planning (containers-older-than). */
  containers?: ContainerCleanupReport;
  /** Builder cache pruned after the images (build-cache-keep / build-cache-max-age). */
  buildCache?: BuildCacheReport;
  /** Volumes and buildx builder leftovers (volumes-older-than / buildx-older-than), after the images. */
  volumes?: VolumeCleanupReport;
  /** Build cache records the space rules evicted (one prune per record), after the images. */
  cacheEviction?: CacheEvictionReport;
  /** The path whose free space the watermarks read, and why that one. */
  freePath?: string;
  /** Present with ensure-free: whether the free space is there now. */
  ensureFree?: EnsureFreeResult;
  /** What each kind gave: predicted by the plan, measured from the engine's answers and disk use. */
  byKind?: { kind: 'images' | 'build-cache' | 'volumes'; predicted: number; measured?: number }[];
  warnings: string[];
}

function ensureFreeResult(settings: Settings, freePath: string, freeBefore: number, freeAfter: number, report: CleanupReport): EnsureFreeResult {
  const wanted = settings.space.ensureFreeBytes!;
  const given = (report.byKind ?? []).map((k) => `${k.kind} ${formatBytes(k.measured ?? k.predicted)}`).join(', ');
  const off = [!settings.space.evictKeptBuilds && 'evict-kept-builds', !settings.space.evictBaseImages && 'evict-base-images', settings.volumes.olderThanMs === undefined && 'volumes-older-than'].filter(Boolean);
  const tried =
    `evicted least recently used first: ${given || 'nothing'}` +
    (report.plan.eviction && !report.plan.eviction.reached ? '; the rest is in use, protected, current or younger than min-age' : '') +
    (off.length ? `; not tried: ${off.join(', ')} (off)` : '');
  return { wantedBytes: wanted, path: freePath, freeBefore, freeAfter, reached: freeAfter >= wanted, tried };
}

/** Predicted and measured bytes per kind, for the report's "what each kind gave". */
function byKind(report: CleanupReport): NonNullable<CleanupReport['byKind']> {
  const rows: NonNullable<CleanupReport['byKind']> = [{ kind: 'images', predicted: report.bytes.predicted, measured: report.bytes.measured }];
  const c = report.cacheEviction;
  if (c) rows.push({ kind: 'build-cache', predicted: c.predicted, measured: report.dryRun ? undefined : c.reclaimed });
  const v = report.volumes;
  if (v) rows.push({ kind: 'volumes', predicted: v.bytes.predicted, measured: v.bytes.measured });
  return rows;
}

/** The catalog's default free-path: replaced by the engine's DockerRootDir when that is visible. */
const DEFAULT_FREE_PATH = '/var/lib/docker';

/** How far back events are read for least-recently-used ordering (the engine's buffer is the real limit). */
const EVENT_LOOKBACK_MS = 7 * 24 * 3_600_000;

/** ensure-free was asked for, but the free space of free-path cannot be read here; nothing was removed. */
export class EnsureFreeUnmeasurableError extends Error {
  constructor(readonly path: string) {
    super(`ensure-free: free-path ${path} is not visible here, so free space cannot be guaranteed; nothing was removed (mount the engine's data root, or set free-path to it)`);
    this.name = 'EnsureFreeUnmeasurableError';
  }
}

/** The ensure-free check after the run: what was wanted, what is free now, and what was tried. */
export interface EnsureFreeResult {
  wantedBytes: number;
  path: string;
  freeBefore: number;
  freeAfter: number;
  reached: boolean;
  /** One line: what was evicted by kind and which opt-in tiers were off, for the failure message. */
  tried: string;
}

/** The plan removes more images than max-removals allows; nothing was removed. */
export class MaxRemovalsExceededError extends Error {
  constructor(
    readonly planned: number,
    readonly limit: number,
    readonly report: CleanupReport,
  ) {
    super(`refusing to remove ${planned} images: max-removals is ${limit}; nothing was removed (raise max-removals or tighten the policy)`);
    this.name = 'MaxRemovalsExceededError';
  }
}

/**
 * The patterns a front fills in by its own default (the Action's and the task's
 * `node:*` protection): that they match nothing on an agent is no typo, so they
 * go to `quietUnmatched`.
 */
export function frontDefaultPatterns(front: Front): string[] {
  return CATALOG.filter((spec: SettingSpec) => spec.kind === 'pattern-list' && spec.frontDefaults?.[front] !== undefined).flatMap((spec: SettingSpec) =>
    spec.frontDefaults![front]!.split(/[\n,]/).map((p) => p.trim()).filter(Boolean),
  );
}

/**
 * A container created from an image in the engine's own window between its
 * conflict check and the delete keeps running on an image that no longer
 * exists; the engine's answer does not say so. One container list after the
 * removals finds them, and each is an incident of the image's removal.
 */
async function checkContainersAfter(engine: EnginePort, results: RemovalResult[]): Promise<void> {
  const deleted = new Map(results.filter((r) => r.deleted).map((r) => [r.imageId, r]));
  if (deleted.size === 0 || !engine.listContainers) return;
  let containers;
  try {
    containers = await engine.listContainers();
  } catch (error) {
    if (isEngineLost(error)) return;
    throw error;
  }
  for (const c of containers) {
    const result = c.imageId ? deleted.get(c.imageId) : undefined;
    if (!result) continue;
    const text = `container ${c.name} (${c.state}) was created from ${result.imageId.slice(7, 19)} while the engine deleted it (the engine's own window between its in-use check and the delete); it now runs on an image that no longer exists`;
    (result.incidents ??= []).push({ imageId: result.imageId, call: `DELETE /images/${result.imageId}`, untagged: [], deleted: [result.imageId], text });
  }
}

/**
 * The use case: snapshot -> plan -> apply -> report. A real run holds the
 * engine's run lock throughout (two cleanups at once on one engine would
 * trip over each other's removals); a dry run changes nothing and needs none.
 */
export async function runCleanup(settings: Settings, deps: CleanupDeps, options: CleanupOptions = {}): Promise<CleanupReport> {
  if (settings.dryRun || !deps.engine.acquireRunLock) return runLocked(settings, deps, options);
  const release = await deps.engine.acquireRunLock({ waitMs: settings.lockWaitMs, onWait: deps.onLockWait });
  try {
    return await runLocked(settings, deps, options);
  } finally {
    // A lock left behind (engine lost) is broken as stale by the next run.
    await release().catch(() => undefined);
  }
}

async function runLocked(settings: Settings, deps: CleanupDeps, options: CleanupOptions): Promise<CleanupReport> {
  const clock = deps.clock ?? Date.now;
  const startedAt = clock();
  const dockerfiles = await dockerfileReferences(settings.dockerfiles, deps.cwd);
  // Stopped containers (opt-in) are chosen first but removed only once the plan
  // passed max-removals: a refused run removes nothing. Their images are
  // planned as if the containers were gone already.
  const containerChoice = await removeStoppedContainers(deps.engine, { ...settings, dryRun: true }, { now: startedAt });
  const leaving = new Set(containerChoice?.results.filter((r) => r.status === 'planned').map((r) => r.id));
  // The engine keeps only its last 256 events; read them all (at least the
  // grace period): younger ones decide the grace period, all of them tell use.
  const seen = await deps.engine.snapshot({ activitySince: startedAt - Math.max(settings.minAgeMs, EVENT_LOOKBACK_MS) });
  // The run lock (ours, or a waiting run's) is bookkeeping: not planned, not reported.
  const snapshot = {
    ...seen,
    images: seen.images.filter((i) => !isRunLockImage(i.tags)),
    containers: seen.containers.filter((c) => !leaving.has(c.id) && c.name !== RUN_LOCK_NAME),
  };
  const warnings = [...dockerfiles.warnings, ...(containerChoice?.notes ?? []), ...(seen.warnings ?? [])];
  let filesystem: FilesystemStats | undefined;
  // free-path left at its default: the engine's own data root (GET /info) when it is visible here.
  let freePath = settings.space.freePath;
  let measuredOn: string | undefined;
  const measure = deps.filesystem ?? filesystemStats;
  const measureFree = () => measure(freePath);
  if (settings.space.minFree || settings.space.minFreeInodes || settings.space.ensureFreeBytes !== undefined) {
    const root = seen.engine.dockerRootDir;
    if (freePath === DEFAULT_FREE_PATH && root && root !== freePath && (await measure(root))) freePath = root;
    filesystem = await measureFree();
    if (!filesystem && settings.space.ensureFreeBytes !== undefined) throw new EnsureFreeUnmeasurableError(freePath);
    if (!filesystem) warnings.push(`free-path ${freePath} is not visible here: min-free rules were not evaluated (mount the engine's data root, or use max-image-bytes)`);
    else measuredOn = `${freePath}${freePath === root ? " (the engine's DockerRootDir)" : root && freePath === DEFAULT_FREE_PATH ? ` (the engine's DockerRootDir ${root} is not visible here)` : ''}`;
  }
  // The whole disk: build cache records and volumes join the space rules when opted in.
  const buildCache = settings.space.evictBuildCache || settings.space.maxDockerBytes !== undefined ? await deps.engine.listBuildCache?.() : undefined;
  if ((settings.space.evictBuildCache || settings.space.maxDockerBytes !== undefined) && !buildCache) {
    warnings.push(`build cache: the ${seen.engine.kind} engine has no build cache to list; the space rules count images${settings.volumes.olderThanMs !== undefined ? ' and volumes' : ''} only`);
  }
  if (buildCache?.length && seen.engine.containerdStore) {
    warnings.push('containerd image store: the build cache and images share content blobs (moby #48700), so removing an image can free nothing while a cache record holds its blobs, and the reverse; the measured bytes are what counts');
  }
  const volumePlan = await listVolumePlan(deps.engine, settings, { now: startedAt, leaving });
  const volumeBytes = volumePlan && { bytes: volumePlan.listing.volumes.reduce((sum, v) => sum + (v.size ?? 0), 0), freed: volumePlan.plan.predictedBytes };
  const now = clock();
  const usage = deps.usage ? await readUsage(deps.usage, snapshot, now, settings) : undefined;
  if (usage) warnings.push(...usage.warnings.map((w) => `usage record (${deps.usage!.description}): ${w}`));
  const plan = makePlan({
    snapshot: usage?.appeared.length ? { ...snapshot, activity: [...snapshot.activity, ...usage.appeared] } : snapshot,
    settings,
    now,
    dockerfileReferences: dockerfiles.references,
    jobStart: options.jobStart,
    quietUnmatched: options.quietUnmatched,
    filesystem,
    usage: usage?.lastUse,
    buildCache,
    volumes: volumeBytes,
  });
  plan.warnings.unshift(...warnings);
  // A dry run changes nothing, the usage record included.
  const remember = async (results: RemovalResult[]) => {
    if (!deps.usage || settings.dryRun) return;
    try {
      report.warnings.push(...(await saveUsage(deps.usage, snapshot, plan, results, clock(), settings, options.jobStart?.startedAt)));
    } catch (error) {
      // Losing one run's observations is better than failing a cleanup that worked.
      report.warnings.push(`usage record (${deps.usage.description}) not saved: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  // After the images: evicted cache records, then volumes (the containers this run removed no longer hold theirs).
  const leftovers = async () => {
    if (plan.buildCacheEvictions.length) report.cacheEviction = await pruneEvictedCache(deps.engine, plan.buildCacheEvictions, { dryRun: settings.dryRun, signal: deps.signal });
    report.warnings.push(...(report.cacheEviction?.warnings ?? []));
    if (volumePlan) report.volumes = await applyVolumePlan(deps.engine, settings, volumePlan, { now: startedAt, signal: deps.signal });
    report.warnings.push(...(report.volumes?.notes ?? []));
    report.byKind = byKind(report);
    if (settings.space.ensureFreeBytes !== undefined && filesystem) {
      const freeAfter = settings.dryRun ? filesystem.freeBytes + report.byKind.reduce((sum, k) => sum + k.predicted, 0) : ((await measureFree())?.freeBytes ?? filesystem.freeBytes);
      report.ensureFree = ensureFreeResult(settings, freePath, filesystem.freeBytes, freeAfter, report);
    }
  };

  const removing = plan.decisions.filter((d) => d.action === 'remove');
  const report: CleanupReport = {
    dryRun: settings.dryRun,
    startedAt,
    finishedAt: startedAt,
    engine: snapshot.engine,
    plan,
    results: [],
    counts: {
      images: plan.decisions.length,
      kept: plan.decisions.length - removing.length,
      removed: removing.length,
      untagged: plan.decisions.filter((d) => d.action === 'untag').length,
      skipped: 0,
      failed: 0,
      incidents: 0,
    },
    bytes: { predicted: plan.predictedBytes },
    regrets: usage?.regrets ?? [],
    incidents: [],
    usageStore: deps.usage?.description,
    warnings: plan.warnings,
    byKind: [],
    freePath: measuredOn,
  };

  const limit = settings.maxRemovals;
  if (limit !== undefined && removing.length > limit) {
    if (!settings.dryRun) {
      report.finishedAt = clock();
      throw new MaxRemovalsExceededError(removing.length, limit, report);
    }
    report.warnings.push(`a real run would refuse: the plan removes ${removing.length} images and max-removals is ${limit}`);
  }
  if (settings.dryRun) {
    report.containers = containerChoice;
    report.buildCache = await pruneBuildCache(deps.engine, snapshot.engine, settings, { now: clock() });
    report.warnings.push(...(report.buildCache?.warnings ?? []));
    await leftovers();
    report.finishedAt = clock();
    return report;
  }
  if (containerChoice) {
    report.containers = await removeStoppedContainers(deps.engine, settings, { now: startedAt });
    // Only the ones chosen before planning: the plan counted on exactly those.
    report.containers!.results = report.containers!.results.filter((r) => leaving.has(r.id));
  }
  if (removing.length === 0 && report.counts.untagged === 0) {
    report.buildCache = await pruneBuildCache(deps.engine, snapshot.engine, settings, { now: clock() });
    report.warnings.push(...(report.buildCache?.warnings ?? []));
    await leftovers();
    await remember([]);
    report.finishedAt = clock();
    return report;
  }

  // The first re-checks run while the engine measures its disk use; no removal starts before it answered.
  const measuring = deps.engine.diskUsage();
  report.results = await applyDecisions(deps.engine, plan.decisions, {
    concurrency: tuningFor(snapshot.engine).removalConcurrency,
    ready: measuring,
    stop: deps.signal,
    minAgeMs: settings.minAgeMs,
    clock,
    onResult: (_result, done, total) => deps.onProgress?.(done, total),
  });
  const before = await measuring;
  const lost = report.results.find((r) => r.engineLost && r.note !== ENGINE_LOST_NOTE);
  // The engine went away or stopped answering during the removals: keep what was done (report, usage record), attempt nothing more on it.
  let after: DiskUsage | undefined;
  if (lost) report.engineLost = lost.note;
  else {
    try {
      after = await deps.engine.diskUsage();
    } catch (error) {
      if (!isEngineLost(error)) throw error;
      report.engineLost = error.message;
    }
  }

  const removed = report.results.filter((r) => r.status === 'removed' || r.status === 'gone').length;
  report.counts.removed = removed;
  report.counts.untagged = report.results.filter((r) => r.status === 'untagged').length;
  report.counts.skipped = report.results.filter((r) => r.status === 'in-use' || r.status === 'changed').length;
  report.counts.failed = report.results.filter((r) => r.status === 'failed').length;
  if (!report.engineLost) await checkContainersAfter(deps.engine, report.results);
  report.incidents = incidentsOf(report.results);
  report.counts.incidents = report.incidents.length;
  for (const incident of report.incidents) report.warnings.push(`INCIDENT: ${incident.text}`);
  report.counts.kept = report.counts.images - removed;
  // The run lock (image and container) stands on the engine for the whole run and is left out of the plan:
  // out of the figures too, by what it holds in each measurement.
  report.bytes.before = Math.max(0, before.imagesBytes - (before.runLockBytes ?? 0));
  report.bytes.runLock = before.runLockBytes;
  if (after) {
    report.bytes.after = Math.max(0, after.imagesBytes - (after.runLockBytes ?? 0));
    report.bytes.measured = Math.max(0, report.bytes.before - report.bytes.after);
    // After the images: cache records of builds whose images just went can go too.
    report.buildCache = await pruneBuildCache(deps.engine, snapshot.engine, settings, { now: clock() });
    report.warnings.push(...(report.buildCache?.warnings ?? []));
    await leftovers();
  }
  await remember(report.results);
  report.finishedAt = clock();
  return report;
}
