import { formatBytes } from '../domain/units';
import type { Settings } from '../settings/settings';
import { filesystemStats } from './filesystem';
import type { CleanupReport, EnsureFreeResult, FreeSpace, Run } from './run';

/** The catalog's default free-path: replaced by the engine's DockerRootDir when that is visible. */
const DEFAULT_FREE_PATH = '/var/lib/docker';

/** ensure-free was asked for, but the free space of free-path cannot be read here; nothing was removed. */
export class EnsureFreeUnmeasurableError extends Error {
  constructor(readonly path: string) {
    super(`ensure-free: free-path ${path} is not visible here, so free space cannot be guaranteed; nothing was removed (mount the engine's data root, or set free-path to it)`);
    this.name = 'EnsureFreeUnmeasurableError';
  }
}

/**
 * The free space the watermark rules and ensure-free read, when one is set: free-path left
 * at its default is the engine's own data root (GET /info) when that is visible here.
 * Undefined with a warning (with ensure-free, an error) when nothing is visible.
 */
export async function readFreeSpace(run: Run, root: string | undefined): Promise<FreeSpace | undefined> {
  const space = run.settings.space;
  if (!space.minFree && !space.minFreeInodes && space.ensureFreeBytes === undefined) return undefined;
  const measureAt = run.deps.filesystem ?? filesystemStats;
  let path = space.freePath;
  if (path === DEFAULT_FREE_PATH && root && root !== path && (await measureAt(root))) path = root;
  const stats = await measureAt(path);
  if (!stats && space.ensureFreeBytes !== undefined) throw new EnsureFreeUnmeasurableError(path);
  if (!stats) {
    run.notes.push(`free-path ${path} is not visible here: min-free rules were not evaluated (mount the engine's data root, or use max-image-bytes)`);
    return undefined;
  }
  const where = path === root ? " (the engine's DockerRootDir)" : root && path === DEFAULT_FREE_PATH ? ` (the engine's DockerRootDir ${root} is not visible here)` : '';
  return { stats, path, measuredOn: `${path}${where}`, measure: () => measureAt(path) };
}

/** With ensure-free: whether the space is there after the row (a dry run adds what each kind predicted). */
export async function ensureFreeAfter(settings: Settings, freeSpace: FreeSpace | undefined, report: CleanupReport): Promise<EnsureFreeResult | undefined> {
  if (settings.space.ensureFreeBytes === undefined || !freeSpace) return undefined;
  const before = freeSpace.stats.freeBytes;
  const byKind = report.byKind ?? [];
  const after = settings.dryRun ? before + byKind.reduce((sum, k) => sum + k.predicted, 0) : ((await freeSpace.measure())?.freeBytes ?? before);
  return ensureFreeResult(settings, freeSpace.path, before, after, report);
}

function ensureFreeResult(settings: Settings, freePath: string, freeBefore: number, freeAfter: number, report: CleanupReport): EnsureFreeResult {
  const wanted = settings.space.ensureFreeBytes!;
  const given = (report.byKind ?? []).map((k) => `${k.kind} ${formatBytes(k.measured ?? k.predicted)}`).join(', ');
  const off = [!settings.space.evictKeptBuilds && 'evict-kept-builds', !settings.space.evictBaseImages && 'evict-base-images', settings.volumes.olderThanMs === undefined && 'volumes-older-than'].filter(Boolean);
  const tried =
    `evicted least recently used first: ${given || 'nothing'}` +
    (report.plan.eviction && !report.plan.eviction.reached ? '; the rest is in use, protected, current or younger than min-age' : '') +
    (off.length ? `; not tried: ${off.join(', ')} (off)` : '');
  return { wantedBytes: wanted, path: freePath, freeBefore, freeAfter, reached: freeAfter >= wanted, tried };
}

