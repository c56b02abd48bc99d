// What every front does with the catalog: read its inputs into RawSettings, and say a
// SettingsError in the spelling the user wrote (`--keep`, `keep-count`, `keepCount`).
import { CATALOG, inFrontTerms, settingsOn, specOf, spellingOf, type Front, type SettingSpec } from './catalog';
import { SettingsError } from './kinds';
import type { RawSettings } from './parse';

/** The front's input (or flag) for each setting it offers. */
export function inputsOf(front: Front): Record<string, string> {
  return Object.fromEntries(settingsOn(front).map((spec) => [spellingOf(spec, front)!, spec.name]));
}

/** The setting an input feeds, on one front. */
export function settingOfInput(front: Front, input: string): SettingSpec | undefined {
  return CATALOG.find((spec: SettingSpec) => spellingOf(spec, front) === input);
}

/** The input a setting is read from on one front. */
export function inputOfSetting(front: Front, setting: string): string | undefined {
  const spec = specOf(setting);
  return spec && spellingOf(spec, front);
}

/**
 * A front's inputs as RawSettings. On the Action and the task an empty input means
 * "not set" (the platform hands every declared input over, empty or not), so it is left
 * out and the default applies; anything else goes to the core as given, which rejects a
 * list whose every item is blank.
 */
export function rawFromInputs(front: Front, read: (input: string) => string | undefined): RawSettings {
  const raw: RawSettings = {};
  for (const spec of settingsOn(front)) {
    const value = read(spellingOf(spec, front)!);
    if (value !== undefined && value.trim() !== '') raw[spec.name] = value;
  }
  return raw;
}

/** The parts of a SettingsError in one front's terms. */
export interface FrontError {
  /** The input or flag, as the user wrote it. */
  input: string;
  value: string;
  expected: string;
  /** `Invalid <input> "<value>": expected <form>.` */
  message: string;
}

export function inFrontTermsOf(error: SettingsError, front: Front): FrontError {
  const input = inputOfSetting(front, error.setting) ?? error.setting;
  const expected = inFrontTerms(error.expectedTemplate, front);
  const label = front === 'cli' ? input : `input ${input}`;
  return { input, value: error.value, expected, message: `Invalid ${label} "${error.value}": expected ${expected}.` };
}
