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
  MaxImageBytes: 'max-image-bytes',
  TargetImageBytes: 'target-image-bytes',
  MinFree: 'min-free',
  TargetFree: 'target-free',
  MinFreeInodes: 'min-free-inodes',
  TargetFreeInodes: 'target-free-inodes',
  FreePath: 'free-path',
  MaxUnused: 'max-unused',
  EvictKeptBuilds: 'evict-kept-builds',
  EvictBaseImages: 'evict-base-images',
  UsageStore: 'usage-store',
  UsageFile: 'usage-file',
  RegretWindow: 'regret-window',
  BuildCacheKeep: 'build-cache-keep',
  BuildCacheMaxAge: 'build-cache-max-age',
  ContainersOlderThan: 'containers-older-than',
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
  [Input.MaxImageBytes]: 'max-image-bytes',
  [Input.TargetImageBytes]: 'target-image-bytes',
  [Input.MinFree]: 'min-free',
  [Input.TargetFree]: 'target-free',
  [Input.MinFreeInodes]: 'min-free-inodes',
  [Input.TargetFreeInodes]: 'target-free-inodes',
  [Input.FreePath]: 'free-path',
  [Input.MaxUnused]: 'max-unused',
  [Input.EvictKeptBuilds]: 'evict-kept-builds',
  [Input.EvictBaseImages]: 'evict-base-images',
  [Input.UsageStore]: 'usage-store',
  [Input.UsageFile]: 'usage-file',
  [Input.RegretWindow]: 'regret-window',
  [Input.BuildCacheKeep]: 'build-cache-keep',
  [Input.BuildCacheMaxAge]: 'build-cache-max-age',
  [Input.ContainersOlderThan]: 'containers-older-than',
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
