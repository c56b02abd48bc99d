/**
 * Every name the Action shares with action.yml and the runner, in one place.
 * The test suite checks that action.yml declares exactly these inputs and outputs.
 */

/** Inputs as action.yml declares them (kebab-case). */
export const Input = {
  KeepCount: 'keep-count',
  CurrentImages: 'current-images',
  ProtectedReferences: 'protected-references',
  ProtectedLabels: 'protected-labels',
  Repositories: 'repositories',
  Dockerfiles: 'dockerfiles',
  MinAge: 'min-age',
  DryRun: 'dry-run',
  MaxRemovals: 'max-removals',
  DockerHost: 'docker-host',
  FailOnError: 'fail-on-error',
  RunAt: 'run-at',
} as const;
export type InputName = (typeof Input)[keyof typeof Input];

/**
 * Inputs that are core settings, and the core's name for each. The other
 * inputs (fail-on-error, run-at) only steer the Action itself.
 */
export const SETTING_OF_INPUT = {
  [Input.KeepCount]: 'keep',
  [Input.CurrentImages]: 'current',
  [Input.ProtectedReferences]: 'protect',
  [Input.ProtectedLabels]: 'protect-label',
  [Input.Repositories]: 'repositories',
  [Input.Dockerfiles]: 'dockerfiles',
  [Input.MinAge]: 'min-age',
  [Input.DryRun]: 'dry-run',
  [Input.MaxRemovals]: 'max-removals',
  [Input.DockerHost]: 'host',
} as const;

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
