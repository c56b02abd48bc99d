// Post-job step: runs for every instance of the task in the job, so it does nothing
// unless this instance's main step ran with runAt=postJob.
import * as tl from 'azure-pipelines-task-lib/task';
import { loadJobStart, removeJobStart, withoutEnsureFree, type JobStart } from '../../../src/index';
import { readInputs, TASK_VARIABLE, toSettings } from './inputs';
import { cleanupAndReport, cleanupFailed, runEntry } from './task';

export function run(): Promise<void> {
  return runEntry(async () => {
    if (tl.getTaskVariable(TASK_VARIABLE.mainRan) !== 'true') return console.log(tl.loc('PostSkippedNoMain'));
    const inputs = readInputs();
    const settings = toSettings(inputs.raw);
    const file = tl.getTaskVariable(TASK_VARIABLE.jobStartFile);
    const recorded = readJobStart(file);
    if (typeof recorded === 'string') return cleanupFailed(tl.loc('PostSkippedNoJobStart', recorded), inputs.failOnError);
    try {
      // ensure-free belongs to the pre-job step; the post-job cleanup works as without it.
      await cleanupAndReport(withoutEnsureFree(settings), inputs.failOnError, recorded);
    } finally {
      removeJobStart(file!);
    }
  });
}

/** The JobStart the pre-job step wrote, or why there is none. */
function readJobStart(file: string | undefined): JobStart | string {
  if (!file) return 'the pre-job step recorded nothing';
  try {
    return loadJobStart(file);
  } catch (error) {
    return (error as Error).message;
  }
}
