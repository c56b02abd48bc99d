// What every front does with the catalog: read its inputs into RawSettings, and say a
// SettingsError in the spelling the user wrote (`--keep`, `keep-count`, `keepCount`).
import { CATALOG, inFrontTerms, settingsOn, specOf, spellingOf, type Front, type SettingSpec } from './catalog';
import { SettingsError } from './kinds';
import { parseSettings, type RawSettings } from './parse';
import type { Settings } from './settings';

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
  const label = front === 'cli' ? input : front === 'hook' ? `variable ${input}` : `input ${input}`;
  return { input, value: error.value, expected, message: `Invalid ${label} "${error.value}": expected ${expected}.` };
}

/**
 * Settings for a step that runs before the job's own steps (the fronts' pre step). A
 * pattern list may name what only a later step knows (Azure leaves `$(imageTag)` as
 * written until it is set; GitHub expands a later step's output to empty), so one such
 * input that does not parse yet is left out here, and the post step, which reads and
 * checks every input again, decides. Every other bad input still fails at once, and so
 * does a deferred one when ensure-free would clean in this very step: it must not clean
 * without knowing the current build or the scope.
 */
/** The kinds whose values commonly embed a variable set by a later step. */
const DEFERRABLE: readonly string[] = ['pattern-list', 'repository-list'];

export function parseBeforeJob(raw: RawSettings): { settings: Settings; deferred: SettingsError[] } {
  const deferred: SettingsError[] = [];
  let left: RawSettings = { ...raw };
  for (;;) {
    try {
      const settings = parseSettings(left);
      if (deferred.length > 0 && settings.space.ensureFreeBytes !== undefined) throw deferred[0];
      return { settings, deferred };
    } catch (error) {
      const spec = error instanceof SettingsError ? CATALOG.find((s) => s.name === error.setting) : undefined;
      if (!spec || !DEFERRABLE.includes(spec.kind) || !(spec.name in left)) throw error;
      deferred.push(error as SettingsError);
      const { [spec.name]: _dropped, ...rest } = left;
      left = rest;
    }
  }
}
