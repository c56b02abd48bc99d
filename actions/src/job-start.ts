import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JobStart } from '../../src/index';

/**
 * The JobStart lives in a file under RUNNER_TEMP (the runner empties it after
 * every job); the step state only carries its path, because state travels in
 * environment variables and an engine's image list can outgrow their limits.
 */
export function saveJobStart(jobStart: JobStart, env: NodeJS.ProcessEnv = process.env): string {
  const dir = fs.mkdtempSync(path.join(env.RUNNER_TEMP || os.tmpdir(), 'docker-image-cleanup-'));
  const file = path.join(dir, 'job-start.json');
  fs.writeFileSync(file, JSON.stringify(jobStart));
  return file;
}

/** Reads what pre recorded; throws with the file named when it is gone or not a JobStart. */
export function loadJobStart(file: string): JobStart {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the job start recorded by the pre step (${file}): ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isJobStart(value)) throw new Error(`the job start recorded by the pre step (${file}) is not a job start record`);
  return value;
}

/** Removes the record and the directory saveJobStart made for it (nothing else). */
export function removeJobStart(file: string): void {
  const dir = path.dirname(file);
  if (path.basename(file) !== 'job-start.json' || !path.basename(dir).startsWith('docker-image-cleanup-')) return;
  fs.rmSync(dir, { recursive: true, force: true });
}

function isJobStart(value: unknown): value is JobStart {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  return typeof v.startedAt === 'number' && strings(v.imageIds) && strings(v.references);
}
