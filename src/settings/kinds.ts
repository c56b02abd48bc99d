// The kinds of value a setting can hold: for each, the form a user is told to write and the
// parser from text (or an already typed value) to the typed value. The catalog gives every
// setting one kind; parse.ts reads every setting through its kind.
import { parsePatternWithParts, type ReferencePattern } from '../domain/pattern';
import { BOOLEAN_FORM, parseBooleanText } from '../domain/boolean';
import { parseDuration, parseSize } from '../domain/units';
import type { LabelSelector, Threshold } from './settings';

/** A setting as a front hands it over: flag text, action input, or an already typed value. */
export type RawValue = string | string[] | number | boolean | undefined;

/**
 * A bad setting; every front names it in its own spelling (see fronts.ts) and exits with code 2.
 * `expected` may name other settings as `{name}`; the message shows the core's names.
 */
export class SettingsError extends Error {
  readonly expected: string;
  constructor(
    readonly setting: string,
    readonly value: string,
    /** The expected form, other settings written as {name}. */
    readonly expectedTemplate: string,
    message?: string,
  ) {
    const expected = expectedTemplate.replace(/\{([a-z-]+)\}/g, '$1');
    super(message ?? `Invalid ${setting} "${value}": expected ${expected}.`);
    this.name = 'SettingsError';
    this.expected = expected;
  }
}

/** What each kind's value is once parsed. */
export interface KindValues {
  count: number;
  size: number;
  duration: number;
  boolean: boolean;
  enum: string;
  host: string;
  'absolute-path': string;
  'free-threshold': Threshold;
  'inode-threshold': Threshold;
  bandwidth: number;
  'pattern-list': ReferencePattern[];
  'repository-list': ReferencePattern[];
  'label-list': LabelSelector[];
  'path-list': string[];
  'volume-name-list': string[];
}
export type Kind = keyof KindValues;

export const LIST_KINDS: readonly Kind[] = ['pattern-list', 'repository-list', 'label-list', 'path-list', 'volume-name-list'];
export const isListKind = (kind: Kind): boolean => LIST_KINDS.includes(kind);

/** The expected form of each kind, as every front's messages and help say it. */
export const EXPECTED: Record<Exclude<Kind, 'enum'>, string> = {
  count: 'a whole number, 0 or more',
  size: 'a size such as 500MB, 60GB, 1.5GiB or a number of bytes (MB = 10^6 bytes, MiB = 2^20, as docker prints sizes)',
  duration: 'a duration such as 0, 45s, 90m, 1h30m, 36h, 2d or 1w',
  boolean: BOOLEAN_FORM,
  host: 'unix:///path/to/socket, tcp://host:port, npipe:////./pipe/name, ssh://user@host or an absolute socket path',
  'absolute-path': 'an absolute path',
  'free-threshold': 'a percentage such as 10% or a size such as 20GB',
  'inode-threshold': 'a percentage such as 5% or a number of inodes',
  bandwidth: 'a rate above 0 such as 50MB/s, 12.5MB/s or 1GB/s (bytes per second; MB = 10^6 bytes)',
  'pattern-list': "a reference pattern such as app:ci-42, *:ci-42, node:*, team/app, mcr.microsoft.com/** or an image ID",
  'repository-list': 'a repository pattern such as app, team/*, ghcr.io/org/** (no tag or digest)',
  'label-list': 'a label selector key or key=value (key without whitespace)',
  'path-list': 'a Dockerfile path or glob',
  'volume-name-list': 'a volume name or a name pattern with * such as cache-*, buildx_buildkit_*_state',
};

/** "a or b", "a, b or c". */
export function oneOf(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

export function expectedOf(kind: Kind, values?: readonly string[]): string {
  return kind === 'enum' ? oneOf(values ?? []) : EXPECTED[kind];
}

/**
 * Parses a given (not undefined) value of one kind.
 * A value that is blank, or a list whose every item is blank, is bad input: a front
 * that means "not set" leaves the setting out instead.
 */
export function parseKind(setting: string, kind: Kind, value: Exclude<RawValue, undefined>, values?: readonly string[]): KindValues[Kind] {
  const expected = expectedOf(kind, values);
  if (isListKind(kind)) {
    const items = listItems(setting, value);
    if (items.length === 0) throw emptyValueError(setting, kind, values, rawText(value));
    return parseList(setting, kind, items);
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    if (kind === 'count' || kind === 'boolean') return parseTyped(setting, kind, value, expected);
    value = String(value);
  }
  const text = scalarText(setting, value, expected);
  if (text === '') throw emptyValueError(setting, kind, values, text);
  const fail = (): never => {
    throw new SettingsError(setting, text, expected);
  };
  switch (kind) {
    case 'count':
      return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : fail();
    case 'size':
      return attempt(() => parseSize(text), fail);
    case 'duration':
      return attempt(() => parseDuration(text), fail);
    case 'boolean':
      return parseBooleanText(text) ?? fail();
    case 'enum':
      return (values ?? []).find((v) => v === text.toLowerCase()) ?? fail();
    case 'host':
      return parseHost(text) ?? fail();
    case 'absolute-path':
      return text.startsWith('/') ? text : fail();
    case 'free-threshold':
      return parseThreshold(text, parseSize) ?? fail();
    case 'inode-threshold':
      return parseThreshold(text, parseWholeNumber) ?? fail();
    case 'bandwidth':
      return parseBandwidth(text) ?? fail();
    default:
      return fail();
  }
}

/** A value given but empty: bad input, never "the default" (which leaving the setting out gives). */
export function emptyValueError(setting: string, kind: Kind, values: readonly string[] | undefined, text: string): SettingsError {
  return new SettingsError(setting, text, `${expectedOf(kind, values)}, not an empty value (leave the setting out for its default)`);
}

function rawText(value: Exclude<RawValue, undefined>): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Numbers and booleans from library callers: only where the kind is one. */
function parseTyped(setting: string, kind: Kind, value: number | boolean, expected: string): number | boolean {
  if (kind === 'count' && typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (kind === 'boolean' && typeof value === 'boolean') return value;
  if (kind === 'boolean' && (value === 0 || value === 1)) return value === 1;
  throw new SettingsError(setting, String(value), expected);
}

function attempt<T>(parse: () => T, fail: () => never): T {
  try {
    return parse();
  } catch {
    return fail();
  }
}

/** A scalar setting's text; a list where one value belongs is an error. */
function scalarText(setting: string, value: string | string[], expected: string): string {
  if (Array.isArray(value)) {
    if (value.length === 1) return value[0]!.trim();
    throw new SettingsError(setting, value.join(','), `a single value: ${expected}`);
  }
  return value.trim();
}

/** Lists: string[] or one string split on commas and newlines, trimmed, empties dropped. */
function listItems(setting: string, value: Exclude<RawValue, undefined>): string[] {
  if (typeof value === 'number' || typeof value === 'boolean') {
    throw new SettingsError(setting, String(value), 'a list of values separated by commas or newlines');
  }
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => item.split(/[,\n\r]/)).map((item) => item.trim()).filter((item) => item !== '');
}

function parseList(setting: string, kind: Kind, items: string[]): KindValues[Kind] {
  switch (kind) {
    case 'pattern-list':
      return items.map((item) => parsePatternItem(setting, item, false));
    case 'repository-list':
      return items.map((item) => parsePatternItem(setting, item, true));
    case 'label-list':
      return items.map((item) => parseLabelSelector(setting, item));
    case 'volume-name-list':
      return items.map((item) => parseVolumeName(setting, item));
    default:
      return items;
  }
}

/** `50MB/s`: a size per second, more than 0 bytes. */
function parseBandwidth(text: string): number | undefined {
  const rate = /^(.+?)\s*\/\s*s$/i.exec(text);
  if (!rate) return undefined;
  try {
    const bytes = parseSize(rate[1]!);
    return bytes > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

function parseWholeNumber(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error('not a whole number');
  return Number(text);
}

function parseThreshold(text: string, parseAmount: (text: string) => number): Threshold | undefined {
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    return p > 100 ? undefined : { percent: p };
  }
  try {
    return { amount: parseAmount(text) };
  } catch {
    return undefined;
  }
}

function parsePatternItem(setting: string, item: string, repositoryOnly: boolean): ReferencePattern {
  const expected = EXPECTED[repositoryOnly ? 'repository-list' : 'pattern-list'];
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

function parseLabelSelector(setting: string, item: string): LabelSelector {
  const eq = item.indexOf('=');
  const key = (eq >= 0 ? item.slice(0, eq) : item).trim();
  if (key === '' || /\s/.test(key)) throw new SettingsError(setting, item, EXPECTED['label-list']);
  return eq >= 0 ? { key, value: item.slice(eq + 1).trim(), text: item } : { key, text: item };
}

/** Docker volume names are [a-zA-Z0-9][a-zA-Z0-9_.-]+; a protect entry may add `*`. */
function parseVolumeName(setting: string, text: string): string {
  if (!/^[a-zA-Z0-9*][a-zA-Z0-9_.*-]*$/.test(text)) throw new SettingsError(setting, text, EXPECTED['volume-name-list']);
  return text;
}

/** The engine address in the form dockerode's connection reader expects; undefined when malformed. */
function parseHost(text: string): string | undefined {
  if (/\s/.test(text)) return undefined;
  // A bare socket path is what DOCKER_HOST=unix://… means.
  if (text.startsWith('/')) return `unix://${text}`;
  const scheme = /^([a-z]+):\/\/(.*)$/i.exec(text);
  if (!scheme) return undefined;
  const protocol = scheme[1]!.toLowerCase();
  const rest = scheme[2]!;
  switch (protocol) {
    case 'unix':
      return rest.startsWith('/') && rest.length >= 2 ? `unix://${rest}` : undefined;
    case 'npipe':
      return rest === '' ? undefined : `npipe://${rest}`;
    case 'tcp':
    case 'ssh': {
      let url: URL;
      try {
        url = new URL(`${protocol}://${rest}`);
      } catch {
        return undefined;
      }
      if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/')) return undefined;
      return `${protocol}://${rest}`;
    }
    default:
      return undefined;
  }
}
