// --help, written from the catalog: every setting's flag, value form, meaning and default.
import { EXIT_MEANING } from '../app/outcome';
import { CATALOG, HOOK_VARIABLE_PREFIX, otherFrontDefaults, spellingOf, unsetMeansOn, inFrontTerms, type Section, type SettingSpec } from '../settings/catalog';

const SECTION_TITLES: Record<Section, string> = {
  selection: 'Selection',
  pressure: 'Disk pressure (after keep-N, least recently used first)',
  maintenance: 'Build cache and stopped containers (opt-in)',
  volumes: 'Volumes and buildx builder leftovers (opt-in, after the images)',
  networks: 'Networks (opt-in, last)',
  safety: 'Safety',
  engine: 'Engine',
};

const COLUMN = 27;
const WIDTH = 100;

/** A flag and its text, the text wrapped at WIDTH under its column. */
function line(left: string, text: string): string {
  const head = `  ${left}`;
  let out = head.length < COLUMN - 1 ? head.padEnd(COLUMN) : `${head}  `;
  let width = out.length;
  for (const word of text.split(' ')) {
    if (width + word.length > WIDTH && width > COLUMN) {
      out = `${out.trimEnd()}\n${' '.repeat(COLUMN)}`;
      width = COLUMN;
    }
    out += `${word} `;
    width += word.length + 1;
  }
  return `${out.trimEnd()}\n`;
}

/** One setting's help line: flag, placeholder, meaning, default (and where another front's default differs). */
export function settingHelpLine(spec: SettingSpec): string {
  const flag = spellingOf(spec, 'cli')!;
  const left = spec.kind === 'boolean' ? (spec.default === 'true' ? `--[no-]${flag.slice(2)}` : flag) : `${flag} ${spec.placeholder ?? 'VALUE'}`;
  const notes: string[] = [];
  const unset = unsetMeansOn(spec, 'cli');
  if (unset !== undefined && !(spec.kind === 'boolean' && unset === 'false')) notes.push(`default ${unset}`);
  const others = otherFrontDefaults(spec, 'cli');
  if (others) notes.push(others);
  return line(left, `${inFrontTerms(spec.help, 'cli')}${notes.length ? ` (${notes.join('; ')})` : ''}`);
}

function settingsHelp(): string {
  let text = '';
  for (const section of Object.keys(SECTION_TITLES) as Section[]) {
    text += `${SECTION_TITLES[section]}\n`;
    for (const spec of CATALOG as readonly SettingSpec[]) if (spec.section === section) text += settingHelpLine(spec);
  }
  return text;
}

export const HELP = `Usage: docker-image-cleanup [options]
       docker-image-cleanup watch [options] [--interval DURATION] [--once]
       docker-image-cleanup runner-hook [started|completed] [options]
       docker-image-cleanup what-if [options]

Removes old Docker images from a CI agent while keeping the current build, the
newest builds of every repository, their base images and anything in use.

${settingsHelp()}Output
${line('--json', 'machine-readable report on stdout (no progress output); errors as {"error": …}')}${line('--debug', 'on a failure, also its stack trace and the engine\'s answer')}Watch mode: docker-image-cleanup watch [options above] [watch options]
  --interval DURATION      one cycle per interval (default 1h); failed cycles retry sooner
                           (exponential backoff capped at the interval)
  --once                   one cycle, then exit with the codes below (cron)
  --health-file PATH       touched after each good cycle (liveness probe)
  --health-port N          HTTP endpoint: 200 while the last good cycle is younger than
                           3 intervals, 507 when the space target could not be reached,
                           else 503 (/livez: 200 unless 503); Prometheus metrics on
                           /metrics; --health-address ADDR (default 127.0.0.1)
  One log line per cycle (JSON with --json); SIGTERM/SIGINT stop after the removal in flight.
Runner hook: the GitHub runner's job hook (bin/runner-hook.sh names it): records the engine at
  job start, cleans at job completion keeping what the job added. Options also as variables
  ${HOOK_VARIABLE_PREFIX}<FLAG> (--min-age 6h: ${HOOK_VARIABLE_PREFIX}MIN_AGE=6h); exits 0 on a problem
  unless ${HOOK_VARIABLE_PREFIX}HOOK_FAIL_ON_ERROR=true; ends by ${HOOK_VARIABLE_PREFIX}HOOK_DEADLINE (default 10m).
What-if: docker-image-cleanup what-if [options above]
  Replays this engine's usage record under the options given (keep, max-image-bytes, eviction-order,
  ...) and other tools' rules; prints what each would have fetched again and freed, and the period
  the record covers. Read-only: removes nothing.
  -h, --help               this text
  --version                the tool's version

List options repeat or take commas; an empty value is bad input (leave the flag out
for its default). Switches also take a --no- form. Patterns: '*' stays within one path
component, '**' crosses '/', a pattern without a tag matches every tag.

Exit codes
${exitCodes()}
`;

function exitCodes(): string {
  return Object.entries(EXIT_MEANING).map(([code, meaning]) => `  ${code}  ${meaning}`).join('\n');
}
