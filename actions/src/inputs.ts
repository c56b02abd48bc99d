import * as core from '@actions/core';
import { parseSettings, SettingsError, type RawSettings, type Settings } from '../../src/index';
import { Input, RUN_AT, SETTING_OF_INPUT, type InputName, type RunAt } from './constants';
import { InputError } from './errors';

/** Every input, read and validated once (checkout's input-helper pattern). */
export interface ActionInputs {
  /** The core's settings, from the inputs SETTING_OF_INPUT maps. */
  settings: Settings;
  /** A failed cleanup fails the step (true) or is a warning annotation (false). */
  failOnError: boolean;
  /** Clean up after the job's last step (post) or in the main step (now). */
  runAt: RunAt;
}

/** Reads an input the way the runner hands it over; a seam for tests of this module. */
export type InputReader = (name: InputName) => string;
const readInput: InputReader = (name) => core.getInput(name);

/**
 * Inputs -> RawSettings -> parseSettings. No policy here: empty inputs are left
 * out so the core's defaults apply, and the core validates every value.
 * @throws InputError naming the input (as the workflow spells it), the bad value and the expected form.
 */
export function getInputs(read: InputReader = readInput): ActionInputs {
  const raw: RawSettings = {};
  for (const [input, setting] of Object.entries(SETTING_OF_INPUT) as [keyof typeof SETTING_OF_INPUT, string][]) {
    const value = read(input);
    if (value.trim() !== '') raw[setting] = value;
  }
  let settings: Settings;
  try {
    settings = parseSettings(raw);
  } catch (error) {
    if (error instanceof SettingsError) {
      const input = inputOfSetting(error.setting);
      if (input) throw new InputError(`Invalid input ${input} "${error.value}": expected ${error.expected}.`);
    }
    throw error;
  }
  return {
    settings,
    failOnError: parseBooleanInput(Input.FailOnError, read(Input.FailOnError), false),
    runAt: parseRunAt(read(Input.RunAt)),
  };
}

function inputOfSetting(setting: string): InputName | undefined {
  return (Object.keys(SETTING_OF_INPUT) as (keyof typeof SETTING_OF_INPUT)[]).find((input) => SETTING_OF_INPUT[input] === setting);
}

/** Same words the core accepts for dry-run, so every boolean input reads alike. */
function parseBooleanInput(input: InputName, value: string, fallback: boolean): boolean {
  const text = value.trim().toLowerCase();
  if (text === '') return fallback;
  if (['true', 'yes', '1'].includes(text)) return true;
  if (['false', 'no', '0'].includes(text)) return false;
  throw new InputError(`Invalid input ${input} "${value}": expected true or false (also yes/no, 1/0).`);
}

function parseRunAt(value: string): RunAt {
  const text = value.trim().toLowerCase();
  if (text === '') return 'post';
  if ((RUN_AT as readonly string[]).includes(text)) return text as RunAt;
  throw new InputError(`Invalid input ${Input.RunAt} "${value}": expected ${RUN_AT.join(' or ')}.`);
}
