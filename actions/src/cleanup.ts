import * as path from 'node:path';
import { cleanupOutcome, frontDefaultPatterns, openSession, withoutEnsureFree, type CleanupReport, type JobStart } from '../../src/index';
import type { ActionInputs } from './inputs';
import { CleanupFailedError } from './errors';
import { publishFailure, publishReport } from './report';

/**
 * Runs the core's cleanup and maps its outcome to the runner. Every failure
 * here is a failed cleanup (a warning unless fail-on-error): the inputs were
 * validated before.
 */
export async function cleanUp(inputs: ActionInputs, jobStart?: JobStart, options: { ensureFree?: boolean } = {}): Promise<CleanupReport> {
  const context = { runAt: inputs.runAt };
  // ensure-free belongs to the step before the job's own steps (pre, or main with run-at now).
  const settings = options.ensureFree ? inputs.settings : withoutEnsureFree(inputs.settings);
  const { engine, usage } = openSession(settings, stateDir());
  let outcome;
  try {
    outcome = await cleanupOutcome(settings, { engine, usage, cwd: process.env.GITHUB_WORKSPACE || process.cwd() }, { jobStart, quietUnmatched: frontDefaultPatterns('action') });
  } catch (error) {
    // EngineUnreachableError, or the engine failing mid-snapshot.
    const why = error instanceof Error ? error.message : String(error);
    await publishFailure(why, context);
    throw new CleanupFailedError(`docker-image-cleanup did not run: ${why}`, inputs.failOnError, error);
  }
  await publishReport(outcome, { ...context, refused: outcome.kind === 'refused' ? outcome.message : undefined });
  if (outcome.kind === 'refused') throw new CleanupFailedError(`docker-image-cleanup ${outcome.message}`, inputs.failOnError);
  // The space the job needs is not there: fail before the job's own steps, whatever fail-on-error says.
  if (outcome.kind === 'short-of-free') throw new Error(`docker-image-cleanup: ${outcome.message}`);
  if (outcome.kind === 'removals-failed') throw new CleanupFailedError(`docker-image-cleanup: ${outcome.message}`, inputs.failOnError);
  return outcome.report;
}

/**
 * Where the usage record outlives the job: the tool cache persists between jobs
 * on a self-hosted runner (RUNNER_TEMP is emptied after each job).
 */
function stateDir(): string | undefined {
  const base = process.env.RUNNER_TOOL_CACHE || process.env.RUNNER_TEMP;
  return base ? path.join(base, 'docker-image-cleanup') : undefined;
}
