// The one catalog of settings: every setting's name, kind, default, help and each front's
// spelling. The CLI's flags and --help, the core's validation, the fronts' input mapping and
// the checks of action.yml, task.json and the docs' tables are all read from here.
//
// Adding a setting: an entry here, its field in settings.ts and one line in parse.ts
// (`buildSettings`), then the front files the catalog test names (action.yml, task.json, docs/).
import type { Kind } from './kinds';

/**
 * The fronts that read settings: the command line, the GitHub Action, the Azure Pipelines task,
 * and the GitHub runner's job hook, which reads environment variables spelled after the CLI's
 * flags (`--min-age` -> DOCKER_IMAGE_CLEANUP_MIN_AGE; see HOOK_VARIABLE_PREFIX).
 */
export type Front = 'cli' | 'action' | 'task' | 'hook';
/** The fronts with their own input tables (the hook's variables follow the CLI's flags, one rule). */
export const FRONTS: readonly Front[] = ['cli', 'action', 'task'];
export const HOOK_VARIABLE_PREFIX = 'DOCKER_IMAGE_CLEANUP_';

/** Where a setting appears in --help (and near which rows of the docs' tables). */
export type Section = 'selection' | 'pressure' | 'maintenance' | 'volumes' | 'networks' | 'safety' | 'engine';

export interface SettingSpec {
  /** The core's name, kebab-case; also the CLI flag unless `cli` says otherwise. */
  readonly name: string;
  readonly kind: Kind;
  /** For kind enum: the accepted values (lowercase). */
  readonly values?: readonly string[];
  /** The default as a user would write it; parsed like any value. Absent: not set. */
  readonly default?: string;
  /**
   * A front whose default differs, written in its own input default (action.yml, task.json).
   * Shown in every front's help, so the same inputs never differ silently.
   */
  readonly frontDefaults?: Partial<Record<Front, string>>;
  /** How help describes an absent value, when it is not simply "not set" (other settings as {name}). */
  readonly unsetMeans?: string | Partial<Record<Front, string>>;
  readonly section: Section;
  /** One line for --help; other settings as {name}, shown in each front's spelling. */
  readonly help: string;
  /** The CLI's placeholder for the value (booleans take none). */
  readonly placeholder?: string;
  /** The CLI flag, when not the name. */
  readonly cli?: string;
  /** The Action's input (action.yml); absent: not offered there. */
  readonly action?: string;
  /** The Azure task's input (task.json); absent: not offered there. */
  readonly task?: string;
}

export const CATALOG = [
  // Selection
  { name: 'keep', kind: 'count', default: '2', section: 'selection', placeholder: 'N', help: 'builds kept per repository besides the current build', action: 'keep-count', task: 'keepCount' },
  { name: 'current', kind: 'pattern-list', section: 'selection', placeholder: 'PATTERN', help: "the current build's images, always kept (e.g. 'app:ci-42', '*:ci-42')", action: 'current-images', task: 'currentImages' },
  {
    name: 'protect',
    kind: 'pattern-list',
    frontDefaults: { action: 'node:*', task: 'node:*' },
    section: 'selection',
    placeholder: 'PATTERN|ID',
    help: "references or image IDs always kept ('node:*', 'mcr.microsoft.com/**')",
    action: 'protected-references',
    task: 'protectedReferences',
  },
  { name: 'protect-label', kind: 'label-list', section: 'selection', placeholder: 'K[=V]', help: 'images with this label are always kept', action: 'protected-labels', task: 'protectedLabels' },
  { name: 'repositories', kind: 'repository-list', unsetMeans: 'all', section: 'selection', placeholder: 'PATTERN', help: 'only remove from these repositories', action: 'repositories', task: 'repositories' },
  { name: 'dockerfiles', kind: 'path-list', cli: 'dockerfile', section: 'selection', placeholder: 'PATH|GLOB', help: 'protect the FROM images of these Dockerfiles', action: 'dockerfiles', task: 'dockerfiles' },
  { name: 'min-age', kind: 'duration', default: '1h', section: 'selection', placeholder: 'DURATION', help: 'keep images that arrived more recently (90m, 36h, 2d, 2w)', action: 'min-age', task: 'minAge' },
  { name: 'dangling', kind: 'boolean', default: 'true', section: 'selection', help: 'remove untagged images nothing needs' },
  { name: 'order', kind: 'enum', values: ['created', 'tag'], default: 'created', section: 'selection', placeholder: 'created|tag', help: 'rank builds by creation time or by tag as a version' },
  // Disk pressure
  { name: 'max-image-bytes', kind: 'size', section: 'pressure', placeholder: 'SIZE', help: 'images may use at most this much (500MB, 60GB, 1.5TiB; MB = 10^6 like docker)', action: 'max-image-bytes', task: 'maxImageBytes' },
  { name: 'target-image-bytes', kind: 'size', unsetMeans: '80% of {max-image-bytes}', section: 'pressure', placeholder: 'SIZE', help: 'eviction stops here', action: 'target-image-bytes', task: 'targetImageBytes' },
  { name: 'max-docker-bytes', kind: 'size', section: 'pressure', placeholder: 'SIZE', help: 'one budget: images + build cache (+ volumes with {volumes-older-than}); cache records never in use join the least-recently-used order', action: 'max-docker-bytes', task: 'maxDockerBytes' },
  { name: 'target-docker-bytes', kind: 'size', unsetMeans: '80% of {max-docker-bytes}', section: 'pressure', placeholder: 'SIZE', help: 'eviction stops here', action: 'target-docker-bytes', task: 'targetDockerBytes' },
  { name: 'evict-build-cache', kind: 'boolean', default: 'false', section: 'pressure', help: 'the other space rules ({min-free}, …) may prune build cache records too (on with {max-docker-bytes})', action: 'evict-build-cache', task: 'evictBuildCache' },
  {
    name: 'ensure-free',
    kind: 'size',
    section: 'pressure',
    placeholder: 'SIZE',
    help: "before a job: evict least recently used (build cache included) until this much is free on {free-path}; fails, naming what was tried, when it cannot",
    action: 'ensure-free',
    task: 'ensureFree',
  },
  { name: 'min-free', kind: 'free-threshold', section: 'pressure', placeholder: 'SIZE|PCT', help: 'free space on {free-path} below this triggers eviction (10%, 20GB)', action: 'min-free', task: 'minFree' },
  { name: 'target-free', kind: 'free-threshold', unsetMeans: '1.5x {min-free}', section: 'pressure', placeholder: 'SIZE|PCT', help: 'eviction stops here', action: 'target-free', task: 'targetFree' },
  { name: 'min-free-inodes', kind: 'inode-threshold', section: 'pressure', placeholder: 'N|PCT', help: 'the same for inodes', action: 'min-free-inodes', task: 'minFreeInodes' },
  { name: 'target-free-inodes', kind: 'inode-threshold', unsetMeans: '1.5x {min-free-inodes}', section: 'pressure', placeholder: 'N|PCT', help: 'eviction stops here', action: 'target-free-inodes', task: 'targetFreeInodes' },
  { name: 'free-path', kind: 'absolute-path', default: '/var/lib/docker', section: 'pressure', placeholder: 'PATH', help: "the filesystem of the engine's data root", action: 'free-path', task: 'freePath' },
  { name: 'max-unused', kind: 'duration', section: 'pressure', placeholder: 'DURATION', help: 'remove images not used for longer than this (336h, 2w)', action: 'max-unused', task: 'maxUnused' },
  { name: 'evict-kept-builds', kind: 'boolean', default: 'false', section: 'pressure', help: 'under pressure, builds kept by {keep} may go too', action: 'evict-kept-builds', task: 'evictKeptBuilds' },
  { name: 'evict-base-images', kind: 'boolean', default: 'false', section: 'pressure', help: 'emergency: base images may go too, once nothing kept stands on them', action: 'evict-base-images', task: 'evictBaseImages' },
  {
    name: 'eviction-order',
    kind: 'enum',
    values: ['cost', 'recent'],
    default: 'cost',
    section: 'pressure',
    placeholder: 'cost|recent',
    help: 'under pressure, within each tier: least recently used first, or least expected cost to get back per byte freed first (used once before used often; a build counts its repository\'s builds; below the maximum only what no use is expected of; see what-if)',
    action: 'eviction-order',
    task: 'evictionOrder',
  },
  {
    name: 'pull-bandwidth',
    kind: 'bandwidth',
    default: '50MB/s',
    section: 'pressure',
    placeholder: 'RATE',
    help: "the link pulls come over: weighs a pull's bytes against a build's recorded time in the cost order and what-if",
    action: 'pull-bandwidth',
    task: 'pullBandwidth',
  },
  { name: 'usage-store', kind: 'enum', values: ['file', 'engine', 'none'], default: 'file', section: 'pressure', placeholder: 'file|engine|none', help: 'where the last-use record lives', action: 'usage-store', task: 'usageStore' },
  {
    name: 'usage-file',
    kind: 'absolute-path',
    unsetMeans: {
      cli: '~/.local/state/docker-image-cleanup/usage.json',
      action: '$RUNNER_TOOL_CACHE/docker-image-cleanup/usage.json',
      task: '$(Agent.WorkFolder)/_docker-image-cleanup/usage.json',
    },
    section: 'pressure',
    placeholder: 'PATH',
    help: "the file store's path",
    action: 'usage-file',
    task: 'usageFile',
  },
  { name: 'regret-window', kind: 'duration', default: '7d', section: 'pressure', placeholder: 'DURATION', help: 'a removed image back within this window is reported', action: 'regret-window', task: 'regretWindow' },
  // Build cache and stopped containers
  { name: 'build-cache-keep', kind: 'size', section: 'maintenance', placeholder: 'SIZE', help: 'prune the builder cache down to this size, least recently used first', action: 'build-cache-keep', task: 'buildCacheKeep' },
  { name: 'build-cache-max-age', kind: 'duration', section: 'maintenance', placeholder: 'DURATION', help: 'prune build cache entries unused for longer than this', action: 'build-cache-max-age', task: 'buildCacheMaxAge' },
  {
    name: 'containers-older-than',
    kind: 'duration',
    section: 'maintenance',
    placeholder: 'DURATION',
    help: 'remove stopped (exited, created, dead) containers older than this before planning; never running ones or protected labels, never forced',
    action: 'containers-older-than',
    task: 'containersOlderThan',
  },
  // Volumes and buildx builder leftovers
  { name: 'volumes-older-than', kind: 'duration', section: 'volumes', placeholder: 'DURATION', help: 'remove anonymous volumes no container (running or stopped) mounts, unused (created/mounted/unmounted) for longer than this', action: 'volumes-older-than', task: 'volumesOlderThan' },
  { name: 'volumes-named', kind: 'boolean', default: 'false', section: 'volumes', help: 'dangling named volumes go too, by the same rule', action: 'volumes-named', task: 'volumesNamed' },
  { name: 'protect-volume', kind: 'volume-name-list', section: 'volumes', placeholder: 'NAME', help: "volume names always kept ('*' matches any run: 'cache-*'); {protect-label} applies too", action: 'protected-volumes', task: 'protectedVolumes' },
  {
    name: 'buildx-older-than',
    kind: 'duration',
    section: 'volumes',
    placeholder: 'DURATION',
    help: 'remove stopped buildx_buildkit_* builder containers and their _state volumes when no node of the builder runs and they are older than this',
    action: 'buildx-older-than',
    task: 'buildxOlderThan',
  },
  // Networks
  {
    name: 'networks-older-than',
    kind: 'duration',
    section: 'networks',
    placeholder: 'DURATION',
    help: "remove user-defined networks no container (running or stopped) joins, unused (created/joined/left) for longer than this; never the engine's own (bridge, host, none, podman); {protect-label} applies too",
    action: 'networks-older-than',
    task: 'networksOlderThan',
  },
  // Safety
  { name: 'max-removals', kind: 'count', unsetMeans: 'no limit', section: 'safety', placeholder: 'N', help: 'refuse the whole run when the plan removes more images', action: 'max-removals', task: 'maxRemovals' },
  { name: 'dry-run', kind: 'boolean', default: 'false', section: 'safety', help: 'show the plan, change nothing', action: 'dry-run', task: 'dryRun' },
  {
    name: 'removal-concurrency',
    kind: 'count',
    unsetMeans: '8',
    section: 'safety',
    placeholder: 'N',
    help: 'images removed at once (1 to 64); more is faster on dockerd 28.2+ with the containerd store (16: 0.97x its own prune) but widens the window in which a container created meanwhile loses its image (every loss is reported)',
    action: 'removal-concurrency',
    task: 'removalConcurrency',
  },
  // Engine
  {
    name: 'timeout',
    kind: 'duration',
    default: '120s',
    section: 'engine',
    placeholder: 'DURATION',
    help: 'deadline of every engine call (1s to 1d); a paused or overloaded engine fails the run with one line instead of hanging it',
    action: 'timeout',
    task: 'timeout',
  },
  {
    name: 'lock-wait',
    kind: 'duration',
    default: '5m',
    section: 'engine',
    placeholder: 'DURATION',
    help: 'a real run holds a lock on the engine (container docker-image-cleanup-run-lock); another waits this long for it, then gives up',
    action: 'lock-wait',
    task: 'lockWait',
  },
  { name: 'host', kind: 'host', unsetMeans: 'DOCKER_HOST, else the default socket', section: 'engine', placeholder: 'URL', help: 'unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host', action: 'docker-host', task: 'dockerHost' },
] as const satisfies readonly SettingSpec[];

export type SettingName = (typeof CATALOG)[number]['name'];
export const SETTING_NAMES: readonly SettingName[] = CATALOG.map((spec) => spec.name);

/** Derived defaults of the disk-pressure rules, when only the trigger is given. */
export const DERIVED_DEFAULTS = {
  /** Eviction stops at this share of max-image-bytes when no target is given. */
  targetShareOfMax: 0.8,
  /** Eviction stops at this multiple of min-free when no target is given. */
  targetFreeFactor: 1.5,
};

const BY_NAME = new Map<string, SettingSpec>(CATALOG.map((spec) => [spec.name, spec]));

export function specOf(name: string): SettingSpec | undefined {
  return BY_NAME.get(name);
}

/** The setting as a front spells it: `--keep`, `keep-count`, `keepCount`; undefined where the front lacks it. */
export function spellingOf(spec: SettingSpec, front: Front): string | undefined {
  if (front === 'cli') return `--${spec.cli ?? spec.name}`;
  if (front === 'hook') return `${HOOK_VARIABLE_PREFIX}${(spec.cli ?? spec.name).toUpperCase().replace(/-/g, '_')}`;
  return spec[front];
}

/** The settings a front offers. */
export function settingsOn(front: Front): SettingSpec[] {
  return CATALOG.filter((spec: SettingSpec) => spellingOf(spec, front) !== undefined);
}

/** The default a front applies (its own, or the core's); undefined: not set. */
export function defaultOn(spec: SettingSpec, front: Front): string | undefined {
  return spec.frontDefaults?.[front] ?? spec.default;
}

/** `{name}` placeholders in help and messages, in one front's spelling. */
export function inFrontTerms(text: string, front: Front): string {
  return text.replace(/\{([a-z-]+)\}/g, (whole, name: string) => {
    const spec = specOf(name);
    return (spec && spellingOf(spec, front)) ?? name;
  });
}

/** What an unset value means on a front, for help and docs: its default, or the catalog's words. */
export function unsetMeansOn(spec: SettingSpec, front: Front): string | undefined {
  const value = defaultOn(spec, front);
  if (value !== undefined) return value;
  const means = typeof spec.unsetMeans === 'object' ? spec.unsetMeans[front] : spec.unsetMeans;
  return means === undefined ? undefined : inFrontTerms(means, front);
}

/** Fronts whose default differs from this one's, as "the Action and the Azure task default to node:*". */
export function otherFrontDefaults(spec: SettingSpec, front: Front): string | undefined {
  const others = FRONTS.filter((f) => f !== front && spec.frontDefaults?.[f] !== undefined && spec.frontDefaults[f] !== defaultOn(spec, front));
  if (others.length === 0) return undefined;
  const label: Record<Front, string> = { cli: 'the CLI', action: 'the Action', task: 'the Azure task', hook: 'the runner hook' };
  const values = new Set(others.map((f) => spec.frontDefaults![f]));
  if (values.size === 1) return `${others.map((f) => label[f]).join(' and ')} default to ${[...values][0]}`;
  return others.map((f) => `${label[f]} defaults to ${spec.frontDefaults![f]}`).join(', ');
}
