// Task inputs -> the core's RawSettings. No policy here: the core validates and decides.
import * as tl from 'azure-pipelines-task-lib/task';
import { inFrontTermsOf, parseBeforeJob, parseBooleanText, parseSettings, SettingsError, type RawSettings, type Settings } from '../../../src/index';
import { INPUT, inputOfSetting, rawSettings } from './settings-map';

export { INPUT } from './settings-map';

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
    raw: rawSettings(text),
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
  return translated(() => parseSettings(raw));
}

/**
 * The pre-job step's settings: a pattern input that does not parse yet (`myapp:$(imageTag)`
 * with imageTag set by a later step) is left out and returned as a message; the post-job
 * step reads and checks it again. Any other bad input fails as in toSettings.
 */
export function toSettingsBeforeJob(raw: RawSettings): { settings: Settings; deferred: string[] } {
  const { settings, deferred } = translated(() => parseBeforeJob(raw));
  return { settings, deferred: deferred.map((e) => inFrontTermsOf(e, 'task').message) };
}

function translated<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof SettingsError) {
      const input = inputOfSetting(error.setting);
      // A setting without an input would be a bug in this mapping: keep the core's message.
      if (!input) throw new Error(error.message);
      const { value, expected } = inFrontTermsOf(error, 'task');
      throw new InputError(input, value, expected);
    }
    throw error;
  }
}

/** Same spellings as the core's boolean settings. */
function readBoolean(name: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const parsed = parseBooleanText(value);
  if (parsed === undefined) throw new InputError(name, value, 'true or false');
  return parsed;
}

function readRunAt(value: string | undefined): RunAt {
  if (value === undefined) return 'postJob';
  const known: RunAt[] = ['now', 'postJob'];
  const match = known.find((k) => k.toLowerCase() === value.toLowerCase());
  if (!match) throw new InputError(INPUT.runAt, value, known.join(' or '));
  return match;
}
