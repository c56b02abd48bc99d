// How one cleanup ended, the same for every front: ok, some removals failed, or refused by
// max-removals (nothing removed). The CLI turns it into an exit code, the Action into outputs
// and a warning or failure, the Azure task into output variables and a task result.
import type { Settings } from '../settings/settings';
import { formatBytes } from '../domain/units';
import { MaxRemovalsExceededError, runCleanup, type CleanupDeps, type CleanupOptions, type CleanupReport } from './cleanup';

export type OutcomeKind = 'ok' | 'removals-failed' | 'refused' | 'engine-lost' | 'short-of-free';

/** The figures every front publishes (step outputs, output variables, the CLI's summary). */
export interface OutcomeFigures {
  /** Images removed; on a dry run, those a real run would remove; refused: 0. */
  removed: number;
  /** Images kept; refused: every image. */
  kept: number;
  /** Bytes freed as the engine measured them, else as the plan predicted; on a dry run, predicted; refused: 0. */
  bytesFreed: number;
}

export interface Outcome {
  kind: OutcomeKind;
  /**
   * The run's report. Refused: the plan that was not carried out, marked as a dry run,
   * so every front shows it as what a real run would have done.
   */
  report: CleanupReport;
  figures: OutcomeFigures;
  /** One line for the user, unless ok. */
  message?: string;
}

/** The process exit codes of the CLI (one-shot and `watch --once`). */
export const EXIT = { ok: 0, removalsFailed: 1, badInput: 2, refused: 3, engineLost: 4, busy: 5, shortOfFree: 6 } as const;

/** What each exit status tells the caller (--help prints this; docs/cli.md says the same). */
export const EXIT_MEANING: Readonly<Record<(typeof EXIT)[keyof typeof EXIT], string>> = {
  0: 'done (or dry run shown)',
  1: 'some removals failed, or an incident: the engine removed something the plan did not name',
  2: 'bad input, or the engine is unreachable; nothing was removed',
  3: 'refused: the plan exceeds --max-removals; nothing was removed',
  4: 'the engine was lost during the removals (killed, or no answer within --timeout); the report says what was removed',
  5: 'another cleanup held the engine\'s run lock for longer than --lock-wait; nothing was removed',
  6: '--ensure-free could not be reached (the message names what was tried)',
};

/** runCleanup, with a refusal by max-removals as an outcome rather than an exception. Other errors propagate. */
export async function cleanupOutcome(settings: Settings, deps: CleanupDeps, options: CleanupOptions = {}): Promise<Outcome> {
  try {
    return outcomeOf(await runCleanup(settings, deps, options));
  } catch (error) {
    if (error instanceof MaxRemovalsExceededError) return refusedOutcome(error);
    throw error;
  }
}

/** A finished run: ok, or the removals that failed named (at most five). */
export function outcomeOf(report: CleanupReport): Outcome {
  const figures = {
    removed: report.counts.removed,
    kept: report.counts.kept,
    bytesFreed: report.dryRun ? report.bytes.predicted : (report.bytes.measured ?? report.bytes.predicted),
  };
  // Lost during the removals: the report says what was done before.
  if (report.engineLost) return { kind: 'engine-lost', report, figures, message: `engine lost during the removals, ${report.counts.removed} removed: ${report.engineLost}` };
  // The engine removed what the plan did not name: as loud as a failure, and first.
  if (report.counts.incidents > 0) {
    const first = report.incidents[0]!.text;
    return { kind: 'removals-failed', report, figures, message: `${report.counts.incidents} incident(s): the engine untagged or deleted what the plan did not name: ${first}${report.counts.incidents > 1 ? '; …' : ''}` };
  }
  const failed = report.results.filter((r) => r.status === 'failed');
  const ensure = report.ensureFree;
  if (ensure && !ensure.reached) {
    const message =
      `ensure-free ${formatBytes(ensure.wantedBytes)}: only ${formatBytes(ensure.freeAfter)} free on ${ensure.path} ` +
      `(${formatBytes(ensure.freeBefore)} before${report.dryRun ? '; a dry run counts what a real run would free' : ''}); ${ensure.tried}`;
    return { kind: 'short-of-free', report, figures, message };
  }
  if (failed.length === 0) return { kind: 'ok', report, figures };
  const detail = failed
    .slice(0, 5)
    .map((r) => `${r.imageId.slice(0, 19)}${r.note ? ` (${r.note})` : ''}`)
    .join('; ');
  return { kind: 'removals-failed', report, figures, message: `${failed.length} of ${report.results.length} removals failed: ${detail}${failed.length > 5 ? '; …' : ''}` };
}

export function refusedOutcome(error: MaxRemovalsExceededError): Outcome {
  const report = { ...error.report, dryRun: true };
  return { kind: 'refused', report, figures: { removed: 0, kept: report.counts.images, bytesFreed: 0 }, message: error.message };
}

export function exitCodeOf(kind: OutcomeKind): number {
  return kind === 'ok' ? EXIT.ok : kind === 'refused' ? EXIT.refused : kind === 'engine-lost' ? EXIT.engineLost : kind === 'short-of-free' ? EXIT.shortOfFree : EXIT.removalsFailed;
}

/** The settings of a post-job cleanup: ensure-free belongs to the step before the job's own steps. */
export function withoutEnsureFree(settings: Settings): Settings {
  if (settings.space.ensureFreeBytes === undefined) return settings;
  return { ...settings, space: { ...settings.space, ensureFreeBytes: undefined } };
}
