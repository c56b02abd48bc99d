import * as core from '@actions/core';
import { State } from './constants';
import { getInputs } from './inputs';
import { recordJobStart } from './record';
import { run as runStep } from './run';

/**
 * Before the job's first step: validate the inputs (a bad one fails the job
 * before its real work) and, for run-at post, record what the engine holds.
 */
export function run(): Promise<void> {
  return runStep(async () => {
    core.saveState(State.PreRan, 'true');
    const inputs = getInputs();
    if (inputs.runAt !== 'post') {
      core.info('run-at is now: the cleanup runs in the main step; nothing to record.');
      return;
    }
    await recordJobStart(inputs);
  });
}
