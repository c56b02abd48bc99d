import * as path from 'node:path';
import {
  MaxRemovalsExceededError,
  openSession,
  runCleanup,
  type CleanupReport,
  type JobStart,
} from '../../src/index';
import type { ActionInputs } from './inputs';
import { CleanupFailedError } from './errors';
import { publishFailure, publishReport } from './report';

/**
 * Runs the core's cleanup and maps its results to the runner. Every failure
 * here is a failed cleanup (a warning unless fail-on-error): the inputs were
 * validated before.
 */
export async function cleanUp(inputs: ActionInputs, jobStart?: JobStart): Promise<CleanupReport> {
  const context = { runAt: inputs.runAt };
  const { engine, usage } = openSession(inputs.settings, stateDir());
  let report: CleanupReport;
  try {
    report = await runCleanup(inputs.settings, { engine, usage, cwd: process.env.GITHUB_WORKSPACE || process.cwd() }, { jobStart });
  } catch (error) {
    if (error instanceof MaxRemovalsExceededError) {
      await publishReport(error.report, { ...context, refused: error.message });
      throw new CleanupFailedError(`docker-image-cleanup ${error.message}`, inputs.failOnError, error);
    }
    // EngineUnreachableError, or the engine failing mid-snapshot.
    const why = error instanceof Error ? error.message : String(error);
    await publishFailure(why, context);
    throw new CleanupFailedError(`docker-image-cleanup did not run: ${why}`, inputs.failOnError, error);
  }
  await publishReport(report, context);
  if (report.counts.failed > 0) {
    const failed = report.results.filter((r) => r.status === 'failed');
    const detail = failed
      .slice(0, 5)
      .map((r) => `${r.imageId.slice(0, 19)}${r.note ? ` (${r.note})` : ''}`)
      .join('; ');
    throw new CleanupFailedError(
      `docker-image-cleanup: ${failed.length} of ${report.results.length} removals failed: ${detail}${failed.length > 5 ? '; …' : ''}`,
      inputs.failOnError,
    );
  }
  return report;
}

/**
 * Where the usage record outlives the job: the tool cache persists between jobs
 * on a self-hosted runner (RUNNER_TEMP is emptied after each job).
 */
function stateDir(): string | undefined {
  const base = process.env.RUNNER_TOOL_CACHE || process.env.RUNNER_TEMP;
  return base ? path.join(base, 'docker-image-cleanup') : undefined;
}
