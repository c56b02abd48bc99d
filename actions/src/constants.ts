/**
 * Every name the Action shares with action.yml and the runner, in one place.
 * The settings' inputs come from the catalog (src/settings/catalog.ts); the test suite
 * checks that action.yml declares exactly these inputs, with the catalog's defaults.
 */
import { inputsOf } from '../../src/index';

/** Inputs that are core settings, and the core's name for each (the catalog's `action` spelling). */
export const SETTING_OF_INPUT: Readonly<Record<string, string>> = inputsOf('action');

/** Inputs that steer the Action itself, not the core. */
export const Input = {
  FailOnError: 'fail-on-error',
  RunAt: 'run-at',
} as const;

/** Every input action.yml declares. */
export const INPUT_NAMES: readonly string[] = [...Object.keys(SETTING_OF_INPUT), ...Object.values(Input)];
export type InputName = string;

export const Output = {
  RemovedCount: 'removed-count',
  KeptCount: 'kept-count',
  BytesFreed: 'bytes-freed',
  Plan: 'plan',
} as const;

/** Values pre and main hand to post (the runner passes them as STATE_<name>). */
export const State = {
  /** Path of the JSON file holding the JobStart; set only when pre recorded it. */
  JobStartFile: 'job-start-file',
  /** 'true' once pre ran: the runner skips pre for local actions (uses: ./), and main then records instead. */
  PreRan: 'pre-ran',
  /** 'true' once main ran (post also runs when main never did: the runner registers post in pre). */
  MainRan: 'main-ran',
} as const;

export const RUN_AT = ['post', 'now'] as const;
export type RunAt = (typeof RUN_AT)[number];

export const SUMMARY_TITLE = 'Docker image cleanup';
