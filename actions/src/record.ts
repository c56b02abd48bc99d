import * as core from '@actions/core';
import * as os from 'node:os';
import { captureJobStart, connectEngine, saveJobStart } from '../../src/index';
import { State } from './constants';
import { CleanupFailedError } from './errors';
import type { ActionInputs } from './inputs';

/**
 * Records what the engine holds now, for the post-job cleanup: the JobStart
 * goes to a file, the step state carries its path.
 */
export async function recordJobStart(inputs: ActionInputs): Promise<void> {
  const engine = connectEngine(inputs.settings);
  let file: string;
  try {
    const jobStart = await captureJobStart(engine);
    file = saveJobStart(jobStart, process.env.RUNNER_TEMP || os.tmpdir());
    core.info(`Recorded the ${jobStart.imageIds.length} images the engine at ${engine.host} holds now; the cleanup after the job keeps every image added or tagged from here on.`);
  } catch (error) {
    throw new CleanupFailedError(
      `docker-image-cleanup could not record the job start, so no cleanup runs after this job: ${error instanceof Error ? error.message : String(error)}`,
      inputs.failOnError,
      error,
    );
  }
  core.saveState(State.JobStartFile, file);
  core.debug(`job start recorded in ${file}`);
}
