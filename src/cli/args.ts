import { parseArgs } from 'node:util';
import type { RawSettings } from '../settings/parse';

/** Flags named after the settings; list settings repeat the flag or take commas. */
const OPTIONS = {
  keep: { type: 'string' },
  current: { type: 'string', multiple: true },
  protect: { type: 'string', multiple: true },
  'protect-label': { type: 'string', multiple: true },
  repositories: { type: 'string', multiple: true },
  dockerfile: { type: 'string', multiple: true },
  'min-age': { type: 'string' },
  dangling: { type: 'string' },
  'no-dangling': { type: 'boolean' },
  'max-removals': { type: 'string' },
  'dry-run': { type: 'boolean' },
  order: { type: 'string' },
  host: { type: 'string' },
  'max-image-bytes': { type: 'string' },
  'target-image-bytes': { type: 'string' },
  'min-free': { type: 'string' },
  'target-free': { type: 'string' },
  'min-free-inodes': { type: 'string' },
  'target-free-inodes': { type: 'string' },
  'free-path': { type: 'string' },
  'max-unused': { type: 'string' },
  'evict-kept-builds': { type: 'boolean' },
  'evict-base-images': { type: 'boolean' },
  'usage-store': { type: 'string' },
  'usage-file': { type: 'string' },
  'regret-window': { type: 'string' },
  'build-cache-keep': { type: 'string' },
  'build-cache-max-age': { type: 'string' },
  'containers-older-than': { type: 'string' },
  'volumes-older-than': { type: 'string' },
  'volumes-named': { type: 'boolean' },
  'protect-volume': { type: 'string', multiple: true },
  'buildx-older-than': { type: 'string' },
  // watch subcommand only
  interval: { type: 'string' },
  once: { type: 'boolean' },
  'health-file': { type: 'string' },
  'health-port': { type: 'string' },
  'health-address': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export interface CliArgs {
  raw: RawSettings;
  json: boolean;
  help: boolean;
  version: boolean;
  /** `docker-image-cleanup watch …` runs the long-lived loop (src/cli/watch.ts). */
  command: 'cleanup' | 'watch';
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

const WATCH_ONLY = ['interval', 'once', 'health-file', 'health-port', 'health-address'];

/** Thrown for flags that do not exist or lack a value; exit code 2 like bad settings. */
export class UsageError extends Error {}

export function parseCliArgs(argv: string[]): CliArgs {
  const command = argv[0] === 'watch' ? 'watch' : 'cleanup';
  if (command === 'watch') argv = argv.slice(1);
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify.*$/s, '')}; see --help`);
  }
  const list = (v: unknown) => (Array.isArray(v) ? v.join('\n') : undefined);
  const raw: RawSettings = {
    keep: values.keep as string | undefined,
    current: list(values.current),
    protect: list(values.protect),
    'protect-label': list(values['protect-label']),
    repositories: list(values.repositories),
    dockerfiles: list(values.dockerfile),
    'min-age': values['min-age'] as string | undefined,
    dangling: values['no-dangling'] ? false : (values.dangling as string | undefined),
    'max-removals': values['max-removals'] as string | undefined,
    'dry-run': values['dry-run'] === true ? true : undefined,
    order: values.order as string | undefined,
    host: values.host as string | undefined,
    'protect-volume': list(values['protect-volume']),
  };
  // Settings whose flag has the setting's own name and a plain string value.
  for (const name of ['max-image-bytes', 'target-image-bytes', 'min-free', 'target-free', 'min-free-inodes', 'target-free-inodes', 'free-path', 'max-unused', 'usage-store', 'usage-file', 'regret-window', 'build-cache-keep', 'build-cache-max-age', 'containers-older-than', 'volumes-older-than', 'buildx-older-than']) {
    raw[name] = values[name] as string | undefined;
  }
  for (const name of ['evict-kept-builds', 'evict-base-images', 'volumes-named']) raw[name] = values[name] === true ? true : undefined;
  if (command === 'cleanup') {
    const misplaced = WATCH_ONLY.find((name) => values[name] !== undefined);
    if (misplaced) throw new UsageError(`--${misplaced} belongs to the watch subcommand (docker-image-cleanup watch --${misplaced} …); see --help`);
  }
  const watch: WatchFlags = {
    interval: values.interval as string | undefined,
    once: values.once === true,
    healthFile: values['health-file'] as string | undefined,
    healthPort: values['health-port'] as string | undefined,
    healthAddress: values['health-address'] as string | undefined,
  };
  return { raw, json: values.json === true, help: values.help === true, version: values.version === true, command, watch };
}

/** `--keep -1` reaches validation (and its clear message) instead of parseArgs' "ambiguous". */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : undefined;
    const option = name ? (OPTIONS as Record<string, { type: string }>)[name] : undefined;
    if (option?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '')) {
      out.push(`${argv[i]}=${argv[++i]}`);
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

export const HELP = `Usage: docker-image-cleanup [options]
       docker-image-cleanup watch [options] [--interval DURATION] [--once]

Removes old Docker images from a CI agent while keeping the current build, the
newest builds of every repository, their base images and anything in use.

Selection
  --keep N                 builds kept per repository besides the current build (default 2)
  --current PATTERN        the current build's images, always kept (e.g. 'app:ci-42', '*:ci-42')
  --protect PATTERN|ID     references or image IDs always kept ('node:*', 'mcr.microsoft.com/**')
  --protect-label K[=V]    images with this label are always kept
  --repositories PATTERN   only remove from these repositories (default: all)
  --dockerfile PATH|GLOB   protect the FROM images of these Dockerfiles
  --min-age DURATION       keep images that arrived more recently (default 1h; 90m, 36h, 2d, 2w)
  --no-dangling            keep untagged images (default: remove those nothing needs)
  --order created|tag      rank builds by creation time (default) or by tag as a version
Disk pressure (after keep-N, least recently used first)
  --max-image-bytes SIZE   images may use at most this much (500MB, 60GB, 1.5TiB; MB = 10^6 like docker)
  --target-image-bytes SIZE  eviction stops here (default 80% of --max-image-bytes)
  --min-free SIZE|PCT      free space on --free-path below this triggers eviction (10%, 20GB)
  --target-free SIZE|PCT   eviction stops here (default 1.5x --min-free)
  --min-free-inodes N|PCT  the same for inodes; --target-free-inodes N|PCT
  --free-path PATH         the filesystem of the engine's data root (default /var/lib/docker)
  --max-unused DURATION    remove images not used for longer than this (336h, 2w)
  --evict-kept-builds      under pressure, builds kept by --keep may go too
  --evict-base-images      emergency: base images may go too, once nothing kept stands on them
  --usage-store file|engine|none  where the last-use record lives (default file)
  --usage-file PATH        the file store's path (default ~/.local/state/docker-image-cleanup/usage.json)
  --regret-window DURATION a removed image back within this window is reported (default 7d)
Build cache and stopped containers (opt-in)
  --build-cache-keep SIZE  prune the builder cache down to this size, least recently used first
  --build-cache-max-age DURATION  prune build cache entries unused for longer than this
  --containers-older-than DURATION  remove stopped (exited, created, dead) containers older than
                           this before planning; never running ones or protected labels, never forced
Volumes and buildx builder leftovers (opt-in, after the images)
  --volumes-older-than DURATION  remove anonymous volumes no container (running or stopped)
                           mounts, unused (created/mounted/unmounted) for longer than this
  --volumes-named          dangling named volumes go too, by the same rule
  --protect-volume NAME    volume names always kept ('*' matches any run: 'cache-*'); --protect-label applies too
  --buildx-older-than DURATION  remove stopped buildx_buildkit_* builder containers and their
                           _state volumes when no node of the builder runs and they are older than this
Safety
  --max-removals N         refuse the whole run when the plan removes more images
  --dry-run                show the plan, change nothing
Engine
  --host URL               unix:///var/run/docker.sock, tcp://host:2376 (default: DOCKER_HOST)
Output
  --json                   machine-readable report on stdout (no progress output)
Watch mode: docker-image-cleanup watch [options above] [watch options]
  --interval DURATION      one cycle per interval (default 1h); failed cycles retry sooner
                           (exponential backoff capped at the interval)
  --once                   one cycle, then exit with the codes below (cron)
  --health-file PATH       touched after each good cycle (liveness probe)
  --health-port N          HTTP endpoint: 200 while the last good cycle is younger than
                           3 intervals, else 503; --health-address ADDR (default 127.0.0.1)
  One log line per cycle (JSON with --json); SIGTERM/SIGINT stop after the removal in flight.
  -h, --help               this text
  --version                the tool's version

List options repeat or take commas. Patterns: '*' stays within one path
component, '**' crosses '/', a pattern without a tag matches every tag.

Exit codes
  0  done (or dry run shown)
  1  some removals failed (see the report)
  2  bad input, or the engine is unreachable; nothing was removed
  3  refused: the plan exceeds --max-removals; nothing was removed
`;
