import * as core from '@actions/core';
import { State } from './constants';
import { cleanUp } from './cleanup';
import { getInputs } from './inputs';
import { loadJobStart, removeJobStart } from '../../src/index';
import { CleanupFailedError } from './errors';
import { run as runStep } from './run';

/**
 * After the job's last step, also when the job failed. Does nothing unless
 * pre (or main, when the runner skipped pre) recorded the job start: not with
 * run-at now, bad inputs, or an engine that was unreachable at the start.
 */
export function run(): Promise<void> {
  return runStep(async () => {
    const file = core.getState(State.JobStartFile);
    if (file === '') {
      core.info('Nothing to do: no job start was recorded (run-at now, or recording it did not complete).');
      return;
    }
    if (core.getState(State.MainRan) !== 'true') core.info('The main step did not run; cleaning up after the job anyway.');
    const inputs = getInputs();
    let jobStart;
    try {
      jobStart = loadJobStart(file);
    } catch (error) {
      throw new CleanupFailedError(`docker-image-cleanup did not run: ${(error as Error).message}`, inputs.failOnError, error);
    }
    try {
      await cleanUp(inputs, jobStart);
    } finally {
      removeJobStart(file);
    }
  });
}
