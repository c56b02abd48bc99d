import { parsePatternWithParts, type ReferencePattern } from '../domain/pattern';
import { parseDuration, parseSize } from '../domain/units';
import { DEFAULTS, type BuildOrder, type LabelSelector, type Settings, type SpaceRules, type Threshold, type UsageStoreKind } from './settings';

/** A setting as a front hands it over: flag text, action input, or an already typed value. */
export type RawValue = string | string[] | number | boolean | undefined;
export type RawSettings = Record<string, RawValue>;

/** A bad setting; every front prints the message and exits with code 2. */
export class SettingsError extends Error {
  constructor(
    readonly setting: string,
    readonly value: string,
    readonly expected: string,
    message = `Invalid ${setting} "${value}": expected ${expected}.`,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

export const SETTING_NAMES = [
  'keep',
  'current',
  'protect',
  'protect-label',
  'repositories',
  'dockerfiles',
  'min-age',
  'dangling',
  'max-removals',
  'dry-run',
  'order',
  'host',
  'max-image-bytes',
  'target-image-bytes',
  'min-free',
  'target-free',
  'min-free-inodes',
  'target-free-inodes',
  'free-path',
  'max-unused',
  'evict-kept-builds',
  'evict-base-images',
  'usage-store',
  'usage-file',
  'regret-window',
  'build-cache-keep',
  'build-cache-max-age',
  'containers-older-than',
  'volumes-older-than',
  'volumes-named',
  'protect-volume',
  'buildx-older-than',
] as const;

export type SettingName = (typeof SETTING_NAMES)[number];

const EXPECTED = {
  count: 'a whole number, 0 or more',
  pattern: "a reference pattern such as app:ci-42, *:ci-42, node:*, team/app, mcr.microsoft.com/** or an image ID",
  repository: 'a repository pattern such as app, team/*, ghcr.io/org/** (no tag or digest)',
  label: 'a label selector key or key=value (key without whitespace)',
  duration: 'a duration such as 0, 45s, 90m, 1h30m, 36h, 2d or 1w',
  boolean: 'true or false (also yes/no, 1/0)',
  order: 'created or tag',
  host: 'unix:///path/to/socket, tcp://host:port, npipe:////./pipe/name, ssh://user@host or an absolute socket path',
  path: 'a Dockerfile path or glob',
  size: 'a size such as 500MB, 60GB, 1.5GiB or a number of bytes (MB = 10^6 bytes, MiB = 2^20, as docker prints sizes)',
  free: 'a percentage such as 10% or a size such as 20GB',
  inodes: 'a percentage such as 5% or a number of inodes',
  store: 'file, engine or none',
  absolutePath: 'an absolute path',
  volumeName: 'a volume name or a name pattern with * such as cache-*, buildx_buildkit_*_state',
};

/**
 * Validates raw settings from any front into `Settings`.
 * undefined or '' means the default.
 * @throws SettingsError naming the setting, the bad value and the expected form.
 */
export function parseSettings(raw: RawSettings): Settings {
  for (const name of Object.keys(raw)) {
    if (!(SETTING_NAMES as readonly string[]).includes(name)) {
      throw new SettingsError(name, String(raw[name]), `one of ${SETTING_NAMES.join(', ')}`, `Unknown setting "${name}"; known: ${SETTING_NAMES.join(', ')}.`);
    }
  }
  const value = (name: SettingName) => (isEmpty(raw[name]) ? undefined : raw[name]);
  const maxRemovals = value('max-removals');
  const host = value('host');

  return {
    keep: parseCount('keep', value('keep') ?? DEFAULTS.keep),
    current: listOf('current', raw.current).map((item) => parsePatternSetting('current', item)),
    protect: listOf('protect', raw.protect).map((item) => parsePatternSetting('protect', item)),
    protectLabels: listOf('protect-label', raw['protect-label']).map(parseLabelSelector),
    repositories: listOf('repositories', raw.repositories).map((item) => parsePatternSetting('repositories', item, true)),
    dockerfiles: listOf('dockerfiles', raw.dockerfiles),
    minAgeMs: parseDurationSetting('min-age', value('min-age') ?? DEFAULTS.minAge),
    dangling: parseBoolean('dangling', value('dangling') ?? DEFAULTS.dangling),
    maxRemovals: maxRemovals === undefined ? undefined : parseCount('max-removals', maxRemovals),
    dryRun: parseBoolean('dry-run', value('dry-run') ?? DEFAULTS.dryRun),
    order: parseOrder(value('order') ?? DEFAULTS.order),
    host: host === undefined ? undefined : parseHost(host),
    space: parseSpaceRules(value),
    usage: {
      store: parseStore(value('usage-store') ?? DEFAULTS.usageStore),
      file: optional(value('usage-file'), (v) => parseAbsolutePath('usage-file', v)),
      regretWindowMs: parseDurationSetting('regret-window', value('regret-window') ?? DEFAULTS.regretWindow),
    },
    buildCache: {
      keepBytes: optional(value('build-cache-keep'), (v) => parseSizeSetting('build-cache-keep', v)),
      maxAgeMs: optional(value('build-cache-max-age'), (v) => parseDurationSetting('build-cache-max-age', v)),
    },
    containersOlderThanMs: optional(value('containers-older-than'), (v) => parseDurationSetting('containers-older-than', v)),
    volumes: {
      olderThanMs: optional(value('volumes-older-than'), (v) => parseDurationSetting('volumes-older-than', v)),
      named: parseBoolean('volumes-named', value('volumes-named') ?? false),
      protect: listOf('protect-volume', raw['protect-volume']).map(parseVolumeName),
      buildxOlderThanMs: optional(value('buildx-older-than'), (v) => parseDurationSetting('buildx-older-than', v)),
    },
  };
}

/** Docker volume names are [a-zA-Z0-9][a-zA-Z0-9_.-]+; a protect entry may add `*`. */
function parseVolumeName(text: string): string {
  if (!/^[a-zA-Z0-9*][a-zA-Z0-9_.*-]*$/.test(text)) throw new SettingsError('protect-volume', text, EXPECTED.volumeName);
  return text;
}

function optional<T>(value: RawValue, parse: (v: RawValue) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}

function parseSpaceRules(value: (name: SettingName) => RawValue): SpaceRules {
  const maxImageBytes = optional(value('max-image-bytes'), (v) => parseSizeSetting('max-image-bytes', v));
  const targetImageBytes = optional(value('target-image-bytes'), (v) => parseSizeSetting('target-image-bytes', v));
  if (targetImageBytes !== undefined && maxImageBytes === undefined) {
    throw new SettingsError('target-image-bytes', String(value('target-image-bytes')), 'to be given together with max-image-bytes');
  }
  if (targetImageBytes !== undefined && maxImageBytes !== undefined && targetImageBytes > maxImageBytes) {
    throw new SettingsError('target-image-bytes', String(value('target-image-bytes')), `a size no larger than max-image-bytes (${String(value('max-image-bytes'))})`);
  }
  const minFree = optional(value('min-free'), (v) => parseThreshold('min-free', v, EXPECTED.free, parseSize));
  const targetFree = optional(value('target-free'), (v) => parseThreshold('target-free', v, EXPECTED.free, parseSize));
  const minFreeInodes = optional(value('min-free-inodes'), (v) => parseThreshold('min-free-inodes', v, EXPECTED.inodes, parseWholeNumber));
  const targetFreeInodes = optional(value('target-free-inodes'), (v) => parseThreshold('target-free-inodes', v, EXPECTED.inodes, parseWholeNumber));
  for (const [name, min, target] of [
    ['target-free', minFree, targetFree],
    ['target-free-inodes', minFreeInodes, targetFreeInodes],
  ] as const) {
    if (target && !min) throw new SettingsError(name, String(value(name)), `to be given together with ${name.replace('target', 'min')}`);
  }
  return {
    maxImageBytes,
    targetImageBytes: targetImageBytes ?? (maxImageBytes === undefined ? undefined : Math.floor(maxImageBytes * DEFAULTS.targetShareOfMax)),
    minFree,
    targetFree: targetFree ?? (minFree && scaled(minFree, DEFAULTS.targetFreeFactor)),
    minFreeInodes,
    targetFreeInodes: targetFreeInodes ?? (minFreeInodes && scaled(minFreeInodes, DEFAULTS.targetFreeFactor)),
    freePath: optional(value('free-path'), (v) => parseAbsolutePath('free-path', v)) ?? DEFAULTS.freePath,
    maxUnusedMs: optional(value('max-unused'), (v) => parseDurationSetting('max-unused', v)),
    evictKeptBuilds: parseBoolean('evict-kept-builds', value('evict-kept-builds') ?? false),
    evictBaseImages: parseBoolean('evict-base-images', value('evict-base-images') ?? false),
  };
}

function scaled(t: Threshold, factor: number): Threshold {
  return 'percent' in t ? { percent: Math.min(100, t.percent * factor) } : { amount: Math.floor(t.amount * factor) };
}

function parseSizeSetting(setting: string, value: RawValue): number {
  const text = scalarText(setting, value, EXPECTED.size);
  try {
    return parseSize(text);
  } catch {
    throw new SettingsError(setting, text, EXPECTED.size);
  }
}

function parseWholeNumber(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error('not a whole number');
  return Number(text);
}

function parseThreshold(setting: string, value: RawValue, expected: string, parseAmount: (text: string) => number): Threshold {
  const text = scalarText(setting, value, expected);
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    if (p > 100) throw new SettingsError(setting, text, expected);
    return { percent: p };
  }
  try {
    return { amount: parseAmount(text) };
  } catch {
    throw new SettingsError(setting, text, expected);
  }
}

function parseStore(value: RawValue): UsageStoreKind {
  const text = scalarText('usage-store', value, EXPECTED.store).toLowerCase();
  if (text === 'file' || text === 'engine' || text === 'none') return text;
  throw new SettingsError('usage-store', String(value), EXPECTED.store);
}

function parseAbsolutePath(setting: string, value: RawValue): string {
  const text = scalarText(setting, value, EXPECTED.absolutePath);
  if (!text.startsWith('/')) throw new SettingsError(setting, text, EXPECTED.absolutePath);
  return text;
}

function isEmpty(value: RawValue): boolean {
  return value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.every((v) => v.trim() === ''));
}

/** A scalar setting's text; a list where one value belongs is an error. */
function scalarText(setting: string, value: RawValue, expected: string): string {
  if (Array.isArray(value)) {
    if (value.length === 1) return value[0]!.trim();
    throw new SettingsError(setting, value.join(','), `a single value: ${expected}`);
  }
  return String(value).trim();
}

/** Lists: string[] or one string split on commas and newlines, trimmed, empties dropped. */
function listOf(setting: string, value: RawValue): string[] {
  if (value === undefined) return [];
  if (typeof value === 'number' || typeof value === 'boolean') {
    throw new SettingsError(setting, String(value), 'a list of values separated by commas or newlines');
  }
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => item.split(/[,\n\r]/)).map((item) => item.trim()).filter((item) => item !== '');
}

function parseCount(setting: string, value: RawValue): number {
  if (typeof value === 'boolean') throw new SettingsError(setting, String(value), EXPECTED.count);
  const text = scalarText(setting, value, EXPECTED.count);
  const n = typeof value === 'number' ? value : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new SettingsError(setting, text, EXPECTED.count);
  return n;
}

function parseBoolean(setting: string, value: RawValue): boolean {
  if (typeof value === 'boolean') return value;
  const text = scalarText(setting, value, EXPECTED.boolean).toLowerCase();
  if (['true', 'yes', '1'].includes(text)) return true;
  if (['false', 'no', '0'].includes(text)) return false;
  throw new SettingsError(setting, String(value), EXPECTED.boolean);
}

function parseDurationSetting(setting: string, value: RawValue): number {
  const text = scalarText(setting, value, EXPECTED.duration);
  try {
    return parseDuration(text);
  } catch {
    throw new SettingsError(setting, text, EXPECTED.duration);
  }
}

function parseOrder(value: RawValue): BuildOrder {
  const text = scalarText('order', value, EXPECTED.order).toLowerCase();
  if (text === 'created' || text === 'tag') return text;
  throw new SettingsError('order', String(value), EXPECTED.order);
}

function parsePatternSetting(setting: string, item: string, repositoryOnly = false): ReferencePattern {
  const expected = repositoryOnly ? EXPECTED.repository : EXPECTED.pattern;
  let parsed: ReturnType<typeof parsePatternWithParts>;
  try {
    parsed = parsePatternWithParts(item);
  } catch (error) {
    const why = (error as Error).message.replace(/^Invalid pattern "[^"]*": /, '');
    throw new SettingsError(setting, item, `${expected} (${why})`);
  }
  if (repositoryOnly && (parsed.parts.idOnly || parsed.parts.hasTag || parsed.parts.hasDigest)) {
    throw new SettingsError(setting, item, expected);
  }
  return parsed.pattern;
}

function parseLabelSelector(item: string): LabelSelector {
  const eq = item.indexOf('=');
  const key = (eq >= 0 ? item.slice(0, eq) : item).trim();
  if (key === '' || /\s/.test(key)) throw new SettingsError('protect-label', item, EXPECTED.label);
  return eq >= 0 ? { key, value: item.slice(eq + 1).trim(), text: item } : { key, text: item };
}

function parseHost(value: RawValue): string {
  const text = scalarText('host', value, EXPECTED.host);
  const fail = (): never => {
    throw new SettingsError('host', text, EXPECTED.host);
  };
  if (/\s/.test(text)) fail();
  // A bare socket path is what DOCKER_HOST=unix://… means.
  if (text.startsWith('/')) return `unix://${text}`;
  const scheme = /^([a-z]+):\/\/(.*)$/i.exec(text);
  if (!scheme) return fail();
  const [, protocol, rest] = scheme as unknown as [string, string, string];
  switch (protocol.toLowerCase()) {
    case 'unix':
      if (!rest.startsWith('/') || rest.length < 2) fail();
      return `unix://${rest}`;
    case 'npipe':
      if (rest === '') fail();
      return `npipe://${rest}`;
    case 'tcp':
    case 'ssh': {
      let url: URL;
      try {
        url = new URL(`${protocol.toLowerCase()}://${rest}`);
      } catch {
        return fail();
      }
      if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/')) fail();
      return `${protocol.toLowerCase()}://${rest}`;
    }
    default:
      return fail();
  }
}
