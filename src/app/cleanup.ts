import type { Settings } from '../settings/settings';
import { CATALOG, type Front, type SettingSpec } from '../settings/catalog';
import { plan as makePlan } from '../planner/planner';
import { readUsage, saveUsage } from './usage';
import { dockerfileReferences } from './dockerfiles';
import { ensureFreeAfter } from './free-space';
import { ROW } from './steps/row';
import type { CleanupDeps, CleanupOptions, CleanupReport, Planned, Run, Step } from './run';

export type { CleanupDeps, CleanupOptions, CleanupReport, EnsureFreeResult } from './run';
export { EnsureFreeUnmeasurableError } from './free-space';

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
 * The use case: the row of steps (`steps/row.ts`, one per kind of disk use) each choose
 * what they would remove, one plan weighs them, each applies and writes its section of
 * the report. A real run holds the
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
  const run = await openRun(settings, deps, options);
  const row = ROW.map((step) => step(run));
  // What each kind would remove and why; then the one plan, which weighs them all under the space rules.
  for (const step of row) await step.choose();
  const planned = await planRun(run);
  // Each kind removes what it chose, in the row's order; a lost engine ends the row (what was done is reported).
  for (const step of row) {
    if (!planned.report.engineLost) await step.apply(planned);
    step.section(planned);
  }
  return finishRun(planned, row);
}

/** The run's inputs before any engine call: the clock and the Dockerfiles' FROM images. */
async function openRun(settings: Settings, deps: CleanupDeps, options: CleanupOptions): Promise<Run> {
  const clock = deps.clock ?? Date.now;
  const startedAt = clock();
  const dockerfiles = await dockerfileReferences(settings.dockerfiles, deps.cwd);
  const planInput = { dockerfileReferences: dockerfiles.references };
  return { settings, deps, options, engine: deps.engine, clock, startedAt, notes: [...dockerfiles.warnings], leaving: new Set(), planInput };
}

/**
 * The one plan (the usage record's last uses, every kind the space rules weigh) and the
 * report it starts. A real run the plan takes over max-removals is refused here, before
 * any step removed anything; a dry run says it would be.
 */
async function planRun(run: Run): Promise<Planned> {
  const { settings, deps, snapshot } = run;
  if (!snapshot) throw new Error('the row has no images step: nothing took the snapshot');
  const now = run.clock();
  const usage = deps.usage ? await readUsage(deps.usage, snapshot, now, settings) : undefined;
  if (usage) run.notes.push(...usage.warnings.map((w) => `usage record (${deps.usage!.description}): ${w}`));
  const plan = makePlan({
    ...run.planInput,
    snapshot: usage?.appeared.length ? { ...snapshot, activity: [...snapshot.activity, ...usage.appeared] } : snapshot,
    settings,
    now,
    jobStart: run.options.jobStart,
    quietUnmatched: run.options.quietUnmatched,
    filesystem: run.freeSpace?.stats,
    usage: usage?.lastUse,
  });
  plan.warnings.unshift(...run.notes);
  const removing = plan.decisions.filter((d) => d.action === 'remove').length;
  const untagged = plan.decisions.filter((d) => d.action === 'untag').length;
  const report: CleanupReport = {
    dryRun: settings.dryRun,
    startedAt: run.startedAt,
    finishedAt: run.startedAt,
    engine: snapshot.engine,
    plan,
    results: [],
    counts: { images: plan.decisions.length, kept: plan.decisions.length - removing, removed: removing, untagged, skipped: 0, failed: 0, incidents: 0 },
    bytes: { predicted: plan.predictedBytes },
    regrets: usage?.regrets ?? [],
    incidents: [],
    usageStore: deps.usage?.description,
    warnings: plan.warnings,
    byKind: [],
    freePath: run.freeSpace?.measuredOn,
  };
  const limit = settings.maxRemovals;
  if (limit !== undefined && removing > limit) {
    if (!settings.dryRun) {
      report.finishedAt = run.clock();
      throw new MaxRemovalsExceededError(removing, limit, report);
    }
    report.warnings.push(`a real run would refuse: the plan removes ${removing} images and max-removals is ${limit}`);
  }
  return { ...run, snapshot, plan, report };
}

/** What each kind gave, the ensure-free check and the usage record (a dry run changes nothing, the record included). */
async function finishRun(run: Planned, row: Step[]): Promise<CleanupReport> {
  const { report, settings, deps } = run;
  // A run that lost the engine has the images' figures only.
  if (!report.engineLost) {
    report.byKind = row.flatMap((step) => step.freed(run) ?? []);
    const ensureFree = await ensureFreeAfter(settings, run.freeSpace, report);
    if (ensureFree) report.ensureFree = ensureFree;
  }
  if (deps.usage && !settings.dryRun) {
    try {
      report.warnings.push(...(await saveUsage(deps.usage, run.snapshot, run.plan, report.results, run.clock(), settings, run.options.jobStart?.startedAt)));
    } catch (error) {
      // Losing one run's observations is better than failing a cleanup that worked.
      report.warnings.push(`usage record (${deps.usage.description}) not saved: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  report.finishedAt = run.clock();
  return report;
}
