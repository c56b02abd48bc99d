import * as core from '@actions/core';
import { BOOLEAN_FORM, inFrontTermsOf, parseBeforeJob, parseBooleanText, parseSettings, rawFromInputs, SettingsError, type Settings } from '../../src/index';
import { Input, RUN_AT, type InputName, type RunAt } from './constants';
import { InputError } from './errors';

/** Every input, read and validated once (checkout's input-helper pattern). */
export interface ActionInputs {
  /** The core's settings, from the inputs the catalog maps. */
  settings: Settings;
  /** A failed cleanup fails the step (true) or is a warning annotation (false). */
  failOnError: boolean;
  /** Clean up after the job's last step (post) or in the main step (now). */
  runAt: RunAt;
  /** Before the job only: pattern inputs that do not parse yet (a later step sets them); post checks them. */
  deferred: string[];
}

/** Reads an input the way the runner hands it over; a seam for tests of this module. */
export type InputReader = (name: InputName) => string;
const readInput: InputReader = (name) => core.getInput(name);

/**
 * Inputs -> RawSettings -> parseSettings. No policy here: empty inputs are left
 * out so the catalog's defaults apply, and the core validates every value.
 * @throws InputError naming the input (as the workflow spells it), the bad value and the expected form.
 */
export function getInputs(read: InputReader = readInput, options: { beforeJob?: boolean } = {}): ActionInputs {
  let settings: Settings;
  let deferred: string[] = [];
  try {
    const raw = rawFromInputs('action', read);
    if (options.beforeJob) {
      const parsed = parseBeforeJob(raw);
      settings = parsed.settings;
      deferred = parsed.deferred.map((e) => inFrontTermsOf(e, 'action').message);
    } else settings = parseSettings(raw);
  } catch (error) {
    if (error instanceof SettingsError) throw new InputError(inFrontTermsOf(error, 'action').message);
    throw error;
  }
  return {
    settings,
    failOnError: parseBooleanInput(Input.FailOnError, read(Input.FailOnError), false),
    runAt: parseRunAt(read(Input.RunAt)),
    deferred,
  };
}

/** The core's boolean words, so every boolean input reads alike. */
function parseBooleanInput(input: InputName, value: string, fallback: boolean): boolean {
  if (value.trim() === '') return fallback;
  const parsed = parseBooleanText(value);
  if (parsed === undefined) throw new InputError(`Invalid input ${input} "${value}": expected ${BOOLEAN_FORM}.`);
  return parsed;
}

function parseRunAt(value: string): RunAt {
  const text = value.trim().toLowerCase();
  if (text === '') return 'post';
  if ((RUN_AT as readonly string[]).includes(text)) return text as RunAt;
  throw new InputError(`Invalid input ${Input.RunAt} "${value}": expected ${RUN_AT.join(' or ')}.`);
}
