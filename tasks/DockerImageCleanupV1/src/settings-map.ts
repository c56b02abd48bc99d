// Task inputs <-> the core's settings, one to one. Pure (no task-lib), so the test suite
// can check the mapping table-driven; inputs.ts reads the inputs through tl.getInput.
import type { RawSettings } from '../../../src/index';

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

export type InputName = (typeof INPUT)[keyof typeof INPUT];

/** Which core setting each task input feeds (failOnError and runAt steer the task itself). */
export const SETTING_OF_INPUT: Readonly<Partial<Record<InputName, string>>> = {
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
export function inputOfSetting(setting: string): InputName | undefined {
  return (Object.keys(SETTING_OF_INPUT) as InputName[]).find((input) => SETTING_OF_INPUT[input] === setting);
}

/**
 * The inputs as the core's RawSettings. Empty inputs are left out, so the core's
 * defaults apply (and a setting the core does not know yet is never passed empty).
 */
export function rawSettings(read: (input: InputName) => string | undefined): RawSettings {
  const raw: RawSettings = {};
  for (const [input, setting] of Object.entries(SETTING_OF_INPUT) as [InputName, string][]) {
    const value = read(input)?.trim();
    if (value) raw[setting] = value;
  }
  return raw;
}
