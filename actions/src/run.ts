import * as core from '@actions/core';
import { CleanupFailedError } from './errors';

/**
 * The one top-level catch of every step (pre, main, post): a failed cleanup
 * with fail-on-error false is a warning annotation; anything else fails the step.
 */
export async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof Error && error.stack) core.debug(error.stack);
    if (error instanceof CleanupFailedError && !error.failOnError) {
      core.warning(`${error.message} (fail-on-error is false: the job goes on)`, { title: 'docker-image-cleanup' });
      return;
    }
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}
