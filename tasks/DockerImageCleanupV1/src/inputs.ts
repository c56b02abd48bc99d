// Task inputs -> the core's RawSettings. No policy here: the core validates and decides.
import * as tl from 'azure-pipelines-task-lib/task';
import { parseSettings, SettingsError, type RawSettings, type Settings } from '../../../src/index';

/** Input names, exactly as in task.json. */
export const INPUT = {
  keepCount: 'keepCount',
  currentImages: 'currentImages',
  protectedReferences: 'protectedReferences',
  protectedLabels: 'protectedLabels',
  repositories: 'repositories',
  dockerfiles: 'dockerfiles',
  minAge: 'minAge',
  dryRun: 'dryRun',
  maxRemovals: 'maxRemovals',
  dockerHost: 'dockerHost',
  maxImageBytes: 'maxImageBytes',
  targetImageBytes: 'targetImageBytes',
  minFree: 'minFree',
  targetFree: 'targetFree',
  minFreeInodes: 'minFreeInodes',
  targetFreeInodes: 'targetFreeInodes',
  freePath: 'freePath',
  maxUnused: 'maxUnused',
  evictKeptBuilds: 'evictKeptBuilds',
  evictBaseImages: 'evictBaseImages',
  usageStore: 'usageStore',
  usageFile: 'usageFile',
  regretWindow: 'regretWindow',
  buildCacheKeep: 'buildCacheKeep',
  buildCacheMaxAge: 'buildCacheMaxAge',
  containersOlderThan: 'containersOlderThan',
  failOnError: 'failOnError',
  runAt: 'runAt',
} as const;

/** Task variables shared by the pre-job, main and post-job steps of one task instance. */
export const TASK_VARIABLE = {
  /** Path of the JSON file holding the JobStart recorded by the pre-job step. */
  jobStartFile: 'DockerImageCleanup.JobStartFile',
  /** 'true' once the main step ran with runAt=postJob: the post-job step cleans only then. */
  mainRan: 'DockerImageCleanup.MainRan',
} as const;

/** Output variables, as declared in task.json outputVariables. */
export const OUTPUT = {
  removedCount: 'removedCount',
  keptCount: 'keptCount',
  bytesFreed: 'bytesFreed',
} as const;

export type RunAt = 'now' | 'postJob';

/** Which core setting each task input feeds (the other inputs steer the task itself). */
const SETTING_OF_INPUT: Readonly<Record<string, string>> = {
  [INPUT.keepCount]: 'keep',
  [INPUT.currentImages]: 'current',
  [INPUT.protectedReferences]: 'protect',
  [INPUT.protectedLabels]: 'protect-label',
  [INPUT.repositories]: 'repositories',
  [INPUT.dockerfiles]: 'dockerfiles',
  [INPUT.minAge]: 'min-age',
  [INPUT.dryRun]: 'dry-run',
  [INPUT.maxRemovals]: 'max-removals',
  [INPUT.dockerHost]: 'host',
  [INPUT.maxImageBytes]: 'max-image-bytes',
  [INPUT.targetImageBytes]: 'target-image-bytes',
  [INPUT.minFree]: 'min-free',
  [INPUT.targetFree]: 'target-free',
  [INPUT.minFreeInodes]: 'min-free-inodes',
  [INPUT.targetFreeInodes]: 'target-free-inodes',
  [INPUT.freePath]: 'free-path',
  [INPUT.maxUnused]: 'max-unused',
  [INPUT.evictKeptBuilds]: 'evict-kept-builds',
  [INPUT.evictBaseImages]: 'evict-base-images',
  [INPUT.usageStore]: 'usage-store',
  [INPUT.usageFile]: 'usage-file',
  [INPUT.regretWindow]: 'regret-window',
  [INPUT.buildCacheKeep]: 'build-cache-keep',
  [INPUT.buildCacheMaxAge]: 'build-cache-max-age',
  [INPUT.containersOlderThan]: 'containers-older-than',
};

/** The task input that feeds a setting, to name the input the user wrote in messages. */
const SETTING_INPUT: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(SETTING_OF_INPUT).map(([input, setting]) => [setting, input]));

/** An input the task cannot use; always fails the step, whatever failOnError says. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(tl.loc('InvalidInput', input, value, expected));
    this.name = 'InputError';
  }
}

export interface TaskInputs {
  raw: RawSettings;
  runAt: RunAt;
  failOnError: boolean;
}

/** Reads every input; only the task's own inputs (runAt, failOnError) are checked here. */
export function readInputs(): TaskInputs {
  const text = (name: string): string | undefined => {
    const value = tl.getInput(name, false)?.trim();
    return value ? value : undefined;
  };
  return {
    raw: Object.fromEntries(Object.entries(SETTING_OF_INPUT).map(([input, setting]) => [setting, text(input)])),
    runAt: readRunAt(text(INPUT.runAt)),
    failOnError: readBoolean(INPUT.failOnError, text(INPUT.failOnError)),
  };
}

/** Only failOnError, read first so the top-level catch knows how to treat a failure. */
export function readFailOnError(): boolean {
  try {
    return readBoolean(INPUT.failOnError, tl.getInput(INPUT.failOnError, false)?.trim());
  } catch {
    return false;
  }
}

/** parseSettings, with its message attributed to the task input the user wrote. */
export function toSettings(raw: RawSettings): Settings {
  try {
    return parseSettings(raw);
  } catch (error) {
    if (error instanceof SettingsError) {
      const input = SETTING_INPUT[error.setting];
      // A setting without an input would be a bug in this mapping: keep the core's message.
      if (!input) throw new Error(error.message);
      throw new InputError(input, error.value, error.expected);
    }
    throw error;
  }
}

/** Same spellings as the core's boolean settings. */
function readBoolean(name: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new InputError(name, value, 'true or false');
}

function readRunAt(value: string | undefined): RunAt {
  if (value === undefined) return 'postJob';
  const known: RunAt[] = ['now', 'postJob'];
  const match = known.find((k) => k.toLowerCase() === value.toLowerCase());
  if (!match) throw new InputError(INPUT.runAt, value, known.join(' or '));
  return match;
}
