import { normalizeReference, repositoryOf } from '../domain/reference';
import type { EnginePort } from '../engine/port';
import type { ContainerRecord } from '../planner/snapshot';
import type { Settings } from '../settings/settings';
import { idHex } from '../domain/image-id';
import { protectedBy } from '../domain/labels';
import { RUN_LOCK_NAME } from '../engine/run-lock';
import { USAGE_LOCK_NAME } from '../usage/engine-store';

export { protectedBy };

/** States a container can be removed in without force. */
/** Containers the tool itself creates as locks (never created-and-started: state `created`). */
const TOOL_CONTAINERS: readonly string[] = [RUN_LOCK_NAME, USAGE_LOCK_NAME];

export const STOPPED_STATES: readonly string[] = ['exited', 'created', 'dead'];

export type ContainerRemovalStatus =
  /** Removed (DELETE without force). */
  | 'removed'
  /** Dry run: would be removed. */
  | 'planned'
  /** Somebody else removed it first (404). */
  | 'gone'
  /** It changed since listing (started again, now running) or the engine refused (409): left alone. */
  | 'skipped'
  | 'failed';

/** One stopped container the setting applies to, reported like an image removal. */
export interface ContainerRemoval {
  id: string;
  name: string;
  /** The image as the container names it (reference as typed, or an ID). */
  image: string;
  /** The container's state when it was listed (exited, created, dead). */
  state: string;
  /** Since it finished (or was created, when it never ran), in ms. */
  ageMs: number;
  status: ContainerRemovalStatus;
  note?: string;
}

export interface ContainerCleanupReport {
  /** The setting, for the report. */
  olderThanMs: number;
  /** Containers the engine holds. */
  total: number;
  /** One per stopped container old enough and not protected. */
  results: ContainerRemoval[];
  counts: { removed: number; skipped: number; failed: number; protected: number; young: number; active: number };
  /** Why nothing was done (feature missing on this port), or other remarks. */
  notes: string[];
}

export interface ContainerCleanupOptions {
  /** Milliseconds since the epoch. */
  now?: number;
  /** Stop starting new removals once aborted (the one in flight finishes). */
  signal?: AbortSignal;
  onResult?: (result: ContainerRemoval) => void;
}

/**
 * Removes stopped containers (exited, created, dead) older than
 * `settings.containersOlderThanMs`, before planning, so images they held become
 * unused in the same run. Never running, paused or restarting ones, never ones
 * with a protected label, never forced, volumes kept; with `repositories` set,
 * only containers of images in those repositories. Age is counted from when the
 * container finished (from creation when it never ran), so a long job's
 * container that just stopped is not taken away from a step that still reads it.
 * Each candidate is re-inspected right before removal. Never throws for one container.
 *
 * Returns undefined when the setting is off.
 */
export async function removeStoppedContainers(
  engine: EnginePort,
  settings: Settings,
  options: ContainerCleanupOptions = {},
): Promise<ContainerCleanupReport | undefined> {
  const olderThanMs = settings.containersOlderThanMs;
  if (olderThanMs === undefined) return undefined;
  const now = options.now ?? Date.now();
  const report: ContainerCleanupReport = {
    olderThanMs,
    total: 0,
    results: [],
    counts: { removed: 0, skipped: 0, failed: 0, protected: 0, young: 0, active: 0 },
    notes: [],
  };
  if (!engine.listContainers || !engine.removeContainer) {
    report.notes.push('stopped containers: this engine adapter cannot list or remove containers; skipped');
    return report;
  }
  // The run lock and the usage record's lock (this run's, or another agent's that
  // holds it now) are the tool's own bookkeeping: removing one would break a lock.
  const containers = (await engine.listContainers()).filter((c) => !TOOL_CONTAINERS.includes(c.name));
  report.total = containers.length;

  for (const c of containers) {
    if (!STOPPED_STATES.includes(c.state)) {
      report.counts.active++;
      continue;
    }
    if (protectedBy(c.labels, settings.protectLabels)) {
      report.counts.protected++;
      continue;
    }
    if (settings.repositories.length > 0 && !(await inScope(engine, c, settings))) {
      report.counts.protected++;
      continue;
    }
    // Cheap test on creation time first: a container cannot have finished before it was created.
    if (now - c.created < olderThanMs) {
      report.counts.young++;
      continue;
    }
    if (options.signal?.aborted) break;
    const result = await removeOne(engine, c, now, olderThanMs, settings);
    if (result === 'young') {
      report.counts.young++;
      continue;
    }
    report.results.push(result);
    options.onResult?.(result);
  }
  for (const r of report.results) {
    if (r.status === 'removed' || r.status === 'gone' || r.status === 'planned') report.counts.removed++;
    else if (r.status === 'skipped') report.counts.skipped++;
    else report.counts.failed++;
  }
  return report;
}

async function removeOne(
  engine: EnginePort,
  c: ContainerRecord,
  now: number,
  olderThanMs: number,
  settings: Settings,
): Promise<ContainerRemoval | 'young'> {
  const base = { id: c.id, name: c.name, image: c.image, state: c.state };
  let ageMs = now - c.created;
  try {
    // Re-check right before acting: it may have been started, or have just finished.
    if (engine.inspectContainer) {
      const current = await engine.inspectContainer(c.id);
      if (!current) return { ...base, ageMs, status: 'gone' };
      if (!STOPPED_STATES.includes(current.status)) {
        return { ...base, ageMs, status: 'skipped', note: `${current.status} since listing` };
      }
      if (protectedBy(current.labels, settings.protectLabels)) return { ...base, ageMs, status: 'skipped', note: 'protected label' };
      if (current.finishedAt !== undefined) ageMs = Math.min(ageMs, now - current.finishedAt);
      if (ageMs < olderThanMs) return 'young';
    }
    if (settings.dryRun) return { ...base, ageMs, status: 'planned' };
    const outcome = await engine.removeContainer!(c.id);
    if (outcome.status === 'done') return { ...base, ageMs, status: 'removed' };
    if (outcome.status === 'gone') return { ...base, ageMs, status: 'gone' };
    return { ...base, ageMs, status: 'skipped', note: outcome.message };
  } catch (error) {
    return { ...base, ageMs, status: 'failed', note: error instanceof Error ? error.message : String(error) };
  }
}

/** With `repositories` set, only containers of images in those repositories are in scope. */
async function inScope(engine: EnginePort, c: ContainerRecord, settings: Settings): Promise<boolean> {
  const references = new Set<string>();
  const typed = safeNormalize(c.image);
  if (typed && !/^[0-9a-f]{12,64}$/.test(idHex(c.image))) references.add(typed);
  try {
    const image = await engine.inspectImage(c.imageId);
    for (const r of image?.references ?? []) references.add(r);
  } catch {
    // unknown image: only the typed reference counts
  }
  return [...references].some((r) => settings.repositories.some((p) => p.matchesRepository(repositoryOf(r))));
}

function safeNormalize(text: string): string | undefined {
  try {
    return normalizeReference(text);
  } catch {
    return undefined;
  }
}
