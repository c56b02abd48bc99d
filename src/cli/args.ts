// A generic reader of the command line: the settings' flags come from the catalog
// (src/settings/catalog.ts); only the CLI's own flags (watch, output, help) are listed here.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CATALOG, spellingOf, type SettingSpec } from '../settings/catalog';
import { emptyValueError, isListKind } from '../settings/kinds';
import type { RawSettings } from '../settings/parse';

/** The CLI's own flags, beside the settings: name -> whether it takes a value, and the form of that value. */
export const CLI_FLAGS = {
  // watch subcommand only
  interval: { value: 'a duration such as 30s, 5m, 1h', watchOnly: true },
  once: { watchOnly: true },
  'health-file': { value: 'a path', watchOnly: true },
  'health-port': { value: 'a port number 0-65535', watchOnly: true },
  'health-address': { value: 'an address such as 127.0.0.1 or 0.0.0.0', watchOnly: true },
  json: {},
  debug: {},
  help: { short: 'h' },
  version: {},
} as const satisfies Record<string, { value?: string; watchOnly?: boolean; short?: string }>;

type Options = NonNullable<ParseArgsConfig['options']>;

/** The setting's flag without its dashes. */
function flagOf(spec: SettingSpec): string {
  return spellingOf(spec, 'cli')!.slice(2);
}

/** parseArgs options: each setting's flag (booleans also as --no-flag), then the CLI's own. */
function options(): Options {
  const opts: Options = {};
  for (const spec of CATALOG as readonly SettingSpec[]) {
    const flag = flagOf(spec);
    if (spec.kind === 'boolean') {
      opts[flag] = { type: 'boolean' };
      opts[`no-${flag}`] = { type: 'boolean' };
    } else {
      opts[flag] = { type: 'string', multiple: isListKind(spec.kind) };
    }
  }
  for (const [flag, o] of Object.entries(CLI_FLAGS) as [string, { value?: string; short?: string }][]) {
    opts[flag] = { type: o.value ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}) };
  }
  return opts;
}
const OPTIONS = options();

export interface CliArgs {
  raw: RawSettings;
  json: boolean;
  /** A failure also prints its stack and the engine's raw answer. */
  debug: boolean;
  help: boolean;
  version: boolean;
  /**
   * `docker-image-cleanup watch …` runs the long-lived loop (src/cli/watch.ts);
   * `runner-hook [started|completed]` is the GitHub runner's job hook (src/cli/runner-hook.ts);
   * `what-if` replays the usage record (src/cli/what-if.ts).
   */
  command: 'cleanup' | 'watch' | 'runner-hook' | 'what-if';
  /** runner-hook only: the hook it runs as, when given (else it finds out, see runner-hook.ts). */
  hookStage?: HookStage;
  /** Flags of the watch subcommand, as given (validated by src/cli/watch.ts). */
  watch: WatchFlags;
}

export interface WatchFlags {
  interval?: string;
  once: boolean;
  healthFile?: string;
  healthPort?: string;
  healthAddress?: string;
}

export type HookStage = 'started' | 'completed';

/** Thrown for flags that do not exist or lack a value; exit code 2 like bad settings. */
export class UsageError extends Error {}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * argv -> the settings as given (validated later by parseSettings) and the CLI's own flags.
 * An empty value given explicitly (`--repositories=`, `--protect ''`) is bad input.
 * @throws UsageError for unknown flags and empty values of the CLI's own flags;
 *   SettingsError (in the core's terms) for an empty setting value.
 */
export function parseCliArgs(argv: string[]): CliArgs {
  const command = argv[0] === 'watch' || argv[0] === 'runner-hook' || argv[0] === 'what-if' ? argv[0] : 'cleanup';
  if (command !== 'cleanup') argv = argv.slice(1);
  let hookStage: HookStage | undefined;
  if (command === 'runner-hook' && (argv[0] === 'started' || argv[0] === 'completed')) [hookStage, ...argv] = argv as [HookStage, ...string[]];
  let values: Values;
  try {
    ({ values } = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify.*$/s, '')}; see --help`);
  }
  const raw: RawSettings = {};
  for (const spec of CATALOG as readonly SettingSpec[]) {
    const flag = flagOf(spec);
    if (spec.kind === 'boolean') {
      if (values[flag] && values[`no-${flag}`]) throw new UsageError(`--${flag} and --no-${flag} contradict each other; see --help`);
      if (values[flag]) raw[spec.name] = true;
      if (values[`no-${flag}`]) raw[spec.name] = false;
      continue;
    }
    const given = values[flag];
    if (given === undefined) continue;
    const occurrences = (Array.isArray(given) ? given : [given]).map(String);
    const blank = occurrences.find((v) => v.trim() === '');
    if (blank !== undefined) throw emptyValueError(spec.name, spec.kind, spec.values, blank);
    raw[spec.name] = occurrences.join('\n');
  }
  for (const [flag, o] of Object.entries(CLI_FLAGS) as [string, { value?: string; watchOnly?: boolean }][]) {
    const given = values[flag];
    if (o.value && typeof given === 'string' && given.trim() === '') throw new UsageError(`Invalid --${flag} "${given}": expected ${o.value}, not an empty value; see --help`);
    if (o.watchOnly && command !== 'watch' && given !== undefined) {
      throw new UsageError(`--${flag} belongs to the watch subcommand (docker-image-cleanup watch --${flag} …); see --help`);
    }
  }
  const text = (flag: keyof typeof CLI_FLAGS) => values[flag] as string | undefined;
  const watch: WatchFlags = {
    interval: text('interval'),
    once: values.once === true,
    healthFile: text('health-file'),
    healthPort: text('health-port'),
    healthAddress: text('health-address'),
  };
  return { raw, json: values.json === true, debug: values.debug === true, help: values.help === true, version: values.version === true, command, hookStage, watch };
}

/** `--keep -1` reaches validation (and its clear message) instead of parseArgs' "ambiguous". */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.startsWith('--') ? argv[i]!.slice(2) : undefined;
    const option = name ? OPTIONS[name] : undefined;
    if (option?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '')) {
      out.push(`${argv[i]}=${argv[++i]}`);
    } else {
      out.push(argv[i]!);
    }
  }
  return out;
}
