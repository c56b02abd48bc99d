// Main step: runAt=now cleans here; runAt=postJob checks the inputs and leaves a mark
// for the post-job step, which cleans after every other step of the job.
import * as tl from 'azure-pipelines-task-lib/task';
import { readInputs, TASK_VARIABLE, toSettings, toSettingsBeforeJob } from './inputs';
import { cleanupAndReport, runEntry } from './task';

export function run(): Promise<void> {
  return runEntry(async () => {
    const inputs = readInputs();
    if (inputs.runAt === 'now') return void (await cleanupAndReport(toSettings(inputs.raw), inputs.failOnError));
    // A variable a later step sets is not expanded yet: the post-job step checks the input.
    for (const message of toSettingsBeforeJob(inputs.raw).deferred) tl.warning(tl.loc('InputDeferred', message));
    tl.setTaskVariable(TASK_VARIABLE.mainRan, 'true');
    console.log(tl.loc('Scheduled'));
  });
}
