// Pre-job step (runAt=postJob): check the inputs before the job spends time, and
// record what the engine holds now so the post-job cleanup keeps everything the job adds.
import * as tl from 'azure-pipelines-task-lib/task';
import { captureJobStart, connectEngine, saveJobStart } from '../../../src/index';
import { readInputs, TASK_VARIABLE, toSettingsBeforeJob } from './inputs';
import { cleanupAndReport, runEntry, tempDirectory } from './task';

export function run(): Promise<void> {
  return runEntry(async () => {
    const inputs = readInputs();
    if (inputs.runAt !== 'postJob') return console.log(tl.loc('PreSkipped'));
    const { settings, deferred } = toSettingsBeforeJob(inputs.raw);
    // A variable a later step sets is not expanded yet: the post-job step checks the input.
    for (const message of deferred) tl.warning(tl.loc('InputDeferred', message));
    // Free space first (it may remove images), then record what the job starts with.
    if (settings.space.ensureFreeBytes !== undefined && (await cleanupAndReport(settings, inputs.failOnError)) === 'short-of-free') return;
    const jobStart = await captureJobStart(connectEngine(settings));
    const file = saveJobStart(jobStart, tempDirectory());
    tl.setTaskVariable(TASK_VARIABLE.jobStartFile, file);
    console.log(tl.loc('Recorded', jobStart.imageIds.length, file));
  });
}
