import * as core from '@actions/core';
import { State } from './constants';
import { cleanUp } from './cleanup';
import { getInputs } from './inputs';
import { recordJobStart } from './record';
import { run as runStep } from './run';

/**
 * The step itself. run-at now: clean up here. run-at post: validate and mark
 * that main ran; record the job start here when the runner skipped pre.
 */
export function run(): Promise<void> {
  return runStep(async () => {
    // run-at post: a pattern a later step sets is not known yet; post reads and checks it again.
    const early = getInputs(undefined, { beforeJob: true });
    const inputs = early.runAt === 'now' ? getInputs() : early;
    core.saveState(State.MainRan, 'true');
    if (inputs.runAt === 'now') {
      await cleanUp(inputs, undefined, { ensureFree: true });
      return;
    }
    for (const message of inputs.deferred) core.warning(`${message} Not known yet? It is read again and checked after the job.`);
    if (core.getState(State.PreRan) !== 'true') {
      // The runner does not run `pre` for local actions (uses: ./) or when pre-if is false.
      core.info('The pre step did not run (local action or pre-if): recording the job start in this step instead.');
      await recordJobStart(inputs);
    }
    core.info("run-at is post: the cleanup runs after the job's last step (also when the job fails).");
  });
}
