// Main step: runAt=now cleans here; runAt=postJob checks the inputs and leaves a mark
// for the post-job step, which cleans after every other step of the job.
import * as tl from 'azure-pipelines-task-lib/task';
import { readInputs, TASK_VARIABLE, toSettings } from './inputs';
import { cleanupAndReport, runEntry } from './task';

export function run(): Promise<void> {
  return runEntry(async () => {
    const inputs = readInputs();
    const settings = toSettings(inputs.raw);
    if (inputs.runAt === 'now') return void (await cleanupAndReport(settings, inputs.failOnError));
    tl.setTaskVariable(TASK_VARIABLE.mainRan, 'true');
    console.log(tl.loc('Scheduled'));
  });
}
