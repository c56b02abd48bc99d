// The job-start record as every front keeps it between its pre and post steps: a JSON file
// in a directory of its own under the CI system's temp folder (emptied after every job). The
// steps hand each other only the file's path: an engine's image list can outgrow the
// environment variables that carry step state.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobStart } from '../planner/planner';

const FILE = 'job-start.json';
const DIR_PREFIX = 'docker-image-cleanup-';

/** Writes the record under `tempDir`; returns the file's path. */
export function saveJobStart(jobStart: JobStart, tempDir: string): string {
  const dir = fs.mkdtempSync(path.join(tempDir, DIR_PREFIX));
  const file = path.join(dir, FILE);
  fs.writeFileSync(file, JSON.stringify(jobStart));
  return file;
}

/** Reads a record; throws naming the file when it is gone or not a job start record. */
export function loadJobStart(file: string): JobStart {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the job start record ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isJobStart(value)) throw new Error(`${file} is not a job start record`);
  return value;
}

/** Removes the record and the directory saveJobStart made for it (nothing else). */
export function removeJobStart(file: string): void {
  const dir = path.dirname(file);
  if (path.basename(file) !== FILE || !path.basename(dir).startsWith(DIR_PREFIX)) return;
  fs.rmSync(dir, { recursive: true, force: true });
}

function isJobStart(value: unknown): value is JobStart {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  return typeof v.startedAt === 'number' && strings(v.imageIds) && strings(v.references);
}
