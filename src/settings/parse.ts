import { CATALOG, DERIVED_DEFAULTS, SETTING_NAMES, specOf, type SettingName } from './catalog';
import { isListKind, parseKind, SettingsError, type KindValues, type RawValue } from './kinds';
import type { BuildOrder, EvictionOrder, Settings, SpaceRules, Threshold, UsageStoreKind } from './settings';

export { SettingsError, type RawValue } from './kinds';
export { SETTING_NAMES, type SettingName } from './catalog';

export type RawSettings = Record<string, RawValue>;

type Spec<N extends SettingName> = Extract<(typeof CATALOG)[number], { name: N }>;
/** A setting's parsed value: its kind's type (an enum's own values); undefined when unset and without a default; lists [] when unset. */
type ValueOf<N extends SettingName> =
  | (Spec<N> extends { values: readonly (infer V)[] } ? V : KindValues[Spec<N>['kind']])
  | (Spec<N> extends { default: string } ? never : Spec<N>['kind'] extends `${string}-list` ? never : undefined);
type Values = { [N in SettingName]: ValueOf<N> };

/**
 * Validates raw settings from any front into `Settings`. A setting left out (undefined)
 * takes its catalog default; a value given but empty is bad input (fronts that mean
 * "not set" by an empty input leave it out).
 * @throws SettingsError naming the setting, the bad value and the expected form.
 */
export function parseSettings(raw: RawSettings): Settings {
  for (const name of Object.keys(raw)) {
    if (!specOf(name)) {
      throw new SettingsError(name, String(raw[name]), `one of ${SETTING_NAMES.join(', ')}`, `Unknown setting "${name}"; known: ${SETTING_NAMES.join(', ')}.`);
    }
  }
  return buildSettings(readValues(raw), raw);
}

/** Every catalog setting, parsed by its kind from the raw value or its default. */
function readValues(raw: RawSettings): Values {
  const values: Record<string, unknown> = {};
  for (const spec of CATALOG) {
    const given = raw[spec.name];
    const value = given !== undefined ? given : 'default' in spec ? spec.default : undefined;
    values[spec.name] = value !== undefined ? parseKind(spec.name, spec.kind, value, 'values' in spec ? spec.values : undefined) : isListKind(spec.kind) ? [] : undefined;
  }
  return values as Values;
}

/** The typed Settings from the parsed values: the one place that knows where each setting lands. */
function buildSettings(v: Values, raw: RawSettings): Settings {
  return {
    keep: v.keep,
    current: v.current,
    protect: v.protect,
    protectLabels: v['protect-label'],
    repositories: v.repositories,
    dockerfiles: v.dockerfiles,
    minAgeMs: v['min-age'],
    dangling: v.dangling,
    maxRemovals: v['max-removals'],
    dryRun: v['dry-run'],
    order: v.order as BuildOrder,
    host: v.host,
    space: spaceRules(v, raw),
    usage: { store: v['usage-store'] as UsageStoreKind, file: v['usage-file'], regretWindowMs: v['regret-window'] },
    buildCache: { keepBytes: v['build-cache-keep'], maxAgeMs: v['build-cache-max-age'] },
    containersOlderThanMs: v['containers-older-than'],
    volumes: { olderThanMs: v['volumes-older-than'], named: v['volumes-named'], protect: v['protect-volume'], buildxOlderThanMs: v['buildx-older-than'] },
    networksOlderThanMs: v['networks-older-than'],
    timeoutMs: timeout(v.timeout, raw),
    removalConcurrency: removalConcurrency(v['removal-concurrency'], raw),
    lockWaitMs: v['lock-wait'],
  };
}

/** None at once removes nothing; past 64 the engine only queues them. */
function removalConcurrency(n: number | undefined, raw: RawSettings): number | undefined {
  if (n !== undefined && (n < 1 || n > 64)) throw new SettingsError('removal-concurrency', String(raw['removal-concurrency']).trim(), 'a whole number from 1 to 64, such as 8 or 16');
  return n;
}

/** A deadline of 0 would fail every call; more than a day is no deadline. */
function timeout(ms: number, raw: RawSettings): number {
  if (ms < 1000 || ms > 86_400_000) throw new SettingsError('timeout', String(raw.timeout).trim(), 'a duration from 1s to 1d, such as 30s, 2m or 10m');
  return ms;
}

/** The disk-pressure rules, with the checks that span two settings and the derived targets. */
function spaceRules(v: Values, raw: RawSettings): SpaceRules {
  const text = (name: SettingName) => String(raw[name]).trim();
  // A budget's target goes with its maximum and stays below it.
  for (const [target, max] of [
    ['target-image-bytes', 'max-image-bytes'],
    ['target-docker-bytes', 'max-docker-bytes'],
  ] as const) {
    const [targetBytes, maxBytes] = [v[target], v[max]];
    if (targetBytes !== undefined && maxBytes === undefined) throw new SettingsError(target, text(target), `to be given together with {${max}}`);
    if (targetBytes !== undefined && maxBytes !== undefined && targetBytes > maxBytes) throw new SettingsError(target, text(target), `a size no larger than {${max}} (${text(max)})`);
  }
  const [maxImageBytes, targetImageBytes] = [v['max-image-bytes'], v['target-image-bytes']];
  const [maxDockerBytes, targetDockerBytes] = [v['max-docker-bytes'], v['target-docker-bytes']];
  for (const [target, min] of [
    ['target-free', 'min-free'],
    ['target-free-inodes', 'min-free-inodes'],
  ] as const) {
    if (v[target] && !v[min]) throw new SettingsError(target, text(target), `to be given together with {${min}}`);
  }
  const { targetShareOfMax, targetFreeFactor } = DERIVED_DEFAULTS;
  return {
    maxImageBytes,
    targetImageBytes: targetImageBytes ?? (maxImageBytes === undefined ? undefined : Math.floor(maxImageBytes * targetShareOfMax)),
    minFree: v['min-free'],
    targetFree: v['target-free'] ?? (v['min-free'] && scaled(v['min-free'], targetFreeFactor)),
    minFreeInodes: v['min-free-inodes'],
    targetFreeInodes: v['target-free-inodes'] ?? (v['min-free-inodes'] && scaled(v['min-free-inodes'], targetFreeFactor)),
    freePath: v['free-path'],
    maxUnusedMs: v['max-unused'],
    maxDockerBytes,
    targetDockerBytes: targetDockerBytes ?? (maxDockerBytes === undefined ? undefined : Math.floor(maxDockerBytes * targetShareOfMax)),
    ensureFreeBytes: v['ensure-free'],
    evictBuildCache: maxDockerBytes !== undefined || v['ensure-free'] !== undefined || v['evict-build-cache'],
    evictKeptBuilds: v['evict-kept-builds'],
    evictBaseImages: v['evict-base-images'],
    evictionOrder: v['eviction-order'] as EvictionOrder,
    pullBytesPerSecond: v['pull-bandwidth'],
  };
}

function scaled(t: Threshold, factor: number): Threshold {
  return 'percent' in t ? { percent: Math.min(100, t.percent * factor) } : { amount: Math.floor(t.amount * factor) };
}
