import * as core from '@actions/core';
import { State } from './constants';
import { getInputs } from './inputs';
import { cleanUp } from './cleanup';
import { recordJobStart } from './record';
import { run as runStep } from './run';

/**
 * Before the job's first step: validate the inputs (a bad one fails the job
 * before its real work) and, for run-at post, record what the engine holds.
 */
export function run(): Promise<void> {
  return runStep(async () => {
    core.saveState(State.PreRan, 'true');
    const inputs = getInputs(undefined, { beforeJob: true });
    // A value a later step sets (an output, an env) is not known yet: the post step checks it.
    for (const message of inputs.deferred) core.warning(`${message} Not known before the job? It is read again and checked after the job.`);
    if (inputs.runAt !== 'post') {
      core.info('run-at is now: the cleanup runs in the main step; nothing to record.');
      return;
    }
    // Free space first (it may remove images), then record what the job starts with.
    if (inputs.settings.space.ensureFreeBytes !== undefined) await cleanUp(inputs, undefined, { ensureFree: true });
    await recordJobStart(inputs);
  });
}
