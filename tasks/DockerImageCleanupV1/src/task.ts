// What the three entries share: the one top-level catch, and mapping a core result to the agent.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import {
  cleanupOutcome,
  frontDefaultPatterns,
  formatBytes,
  renderMarkdown,
  renderText,
  openSession,
  type CleanupReport,
  type JobStart,
  type Settings,
} from '../../../src/index';
import { InputError, OUTPUT, readFailOnError } from './inputs';

/**
 * Runs one entry (pre, main, post). Bad inputs fail the step; any other failure
 * fails it only with failOnError, else it is a warning and SucceededWithIssues.
 */
export function runEntry(body: () => Promise<void>): Promise<void> {
  tl.setResourcePath(path.join(__dirname, '..', 'task.json'));
  const failOnError = readFailOnError();
  return body().catch((error: unknown) => {
    if (error instanceof InputError) return tl.setResult(tl.TaskResult.Failed, error.message);
    tl.debug(error instanceof Error ? (error.stack ?? error.message) : String(error));
    cleanupFailed(error instanceof Error ? error.message : String(error), failOnError);
  });
}

/** A cleanup that did not do its job: fails the step only when the user asked for it. */
export function cleanupFailed(reason: string, failOnError: boolean): void {
  if (failOnError) tl.setResult(tl.TaskResult.Failed, tl.loc('CleanupFailed', reason));
  else tl.setResult(tl.TaskResult.SucceededWithIssues, tl.loc('CleanupFailedIgnored', reason));
}

/**
 * Where the usage record outlives the job: the agent's work folder persists
 * between jobs on a self-hosted agent (Agent.TempDirectory is emptied).
 */
export function stateDirectory(): string | undefined {
  const work = tl.getVariable('Agent.WorkFolder');
  return work ? path.join(work, '_docker-image-cleanup') : undefined;
}

export function tempDirectory(): string {
  return tl.getVariable('Agent.TempDirectory') || os.tmpdir();
}

/** The core's cleanup, then log, summary page, output variables and the step result. */
export async function cleanupAndReport(settings: Settings, failOnError: boolean, jobStart?: JobStart): Promise<'short-of-free' | void> {
  const outcome = await cleanupOutcome(
    settings,
    { ...openSession(settings, stateDirectory()), cwd: tl.getVariable('Build.SourcesDirectory') || process.cwd() },
    // The task's own default protectedReferences (node:*) matching nothing is no typo.
    { jobStart, quietUnmatched: frontDefaultPatterns('task') },
  );
  const { report, figures } = outcome;
  publish(report, outcome.kind === 'refused' ? `> **Refused:** ${outcome.message}\n\n` : '');
  setOutputs(figures.removed, figures.kept, figures.bytesFreed);
  if (outcome.kind === 'refused') return cleanupFailed(outcome.message!, failOnError);
  // The space the job needs is not there: fail before the job's own steps, whatever failOnError says.
  if (outcome.kind === 'short-of-free') {
    tl.setResult(tl.TaskResult.Failed, outcome.message!);
    return 'short-of-free';
  }
  const c = report.counts;
  if (outcome.kind === 'removals-failed' && c.incidents > 0) return cleanupFailed(tl.loc('Incidents', c.incidents), failOnError);
  if (outcome.kind === 'removals-failed') return cleanupFailed(tl.loc('RemovalsFailed', c.failed), failOnError);
  const freed = formatBytes(figures.bytesFreed);
  tl.setResult(
    tl.TaskResult.Succeeded,
    report.dryRun ? tl.loc('DryRun', c.removed, c.untagged, c.kept, freed) : tl.loc('Removed', c.removed, c.untagged, c.kept, freed),
  );
}

/** Log text, one warning per report warning, the summary page. */
function publish(report: CleanupReport, preface = ''): void {
  console.log(renderText(report));
  for (const warning of report.warnings) tl.warning(warning);
  const file = path.join(tempDirectory(), `docker-image-cleanup-${process.pid}-${Date.now()}.md`);
  fs.writeFileSync(file, preface + renderMarkdown(report, undefined, 'text'));
  // An attachment of the Summary type titles its Extensions-tab section with `name`, not the file's name.
  tl.addAttachment('Distributedtask.Core.Summary', 'Docker image cleanup', file);
  console.log(tl.loc('SummaryUploaded', file));
}

function setOutputs(removed: number, kept: number, bytes: number): void {
  tl.setVariable(OUTPUT.removedCount, String(removed), false, true);
  tl.setVariable(OUTPUT.keptCount, String(kept), false, true);
  tl.setVariable(OUTPUT.bytesFreed, String(bytes), false, true);
}
