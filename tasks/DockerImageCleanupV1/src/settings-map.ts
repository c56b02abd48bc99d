// Task inputs <-> the core's settings, from the catalog (src/settings/catalog.ts). Pure (no
// task-lib), so the test suite can check the mapping table-driven; inputs.ts reads the
// inputs through tl.getInput.
import { inputOfSetting as inputOnFront, inputsOf, rawFromInputs, type RawSettings } from '../../../src/index';

/** Inputs that are core settings, and the core's name for each (the catalog's `task` spelling). */
export const SETTING_OF_INPUT: Readonly<Record<string, string>> = inputsOf('task');

/** Input names, exactly as in task.json: the settings' and the task's own (failOnError, runAt). */
export const INPUT: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.keys(SETTING_OF_INPUT).map((input) => [input, input])),
  failOnError: 'failOnError',
  runAt: 'runAt',
};

export type InputName = string;

/** The task input that feeds a setting, to name the input the user wrote in messages. */
export function inputOfSetting(setting: string): InputName | undefined {
  return inputOnFront('task', setting);
}

/**
 * The inputs as the core's RawSettings. Empty inputs are left out, so the catalog's
 * defaults apply; a list input whose every item is blank is handed over, and rejected.
 */
export function rawSettings(read: (input: InputName) => string | undefined): RawSettings {
  return rawFromInputs('task', read);
}
