import type { ContainerRemovalOutcome, EnginePort, VolumeListing } from '../engine/port';
import { protectedBy } from '../domain/labels';
import { globMatch, planVolumes, type BuilderDecision, type VolumeDecision, type VolumePlan } from '../planner/volumes';
import type { Settings } from '../settings/settings';

export type LeftoverStatus = 'removed' | 'planned' | 'gone' | 'skipped' | 'failed';

export interface VolumeCleanupReport {
  plan: VolumePlan;
  /** One per volume or builder container the plan removes; status planned on a dry run. */
  results: { kind: 'volume' | 'builder-container'; name: string; status: LeftoverStatus; note?: string; bytes?: number }[];
  /** Sizes (system/df) of everything removed, when the engine sized it. */
  bytes: { predicted: number; unsized: number; before?: number; after?: number; measured?: number };
  sizeSource: string;
  notes: string[];
}

export interface VolumeCleanupOptions {
  now?: number;
  /** Containers removed earlier in this run (a dry run's containers-older-than choice). */
  leaving?: ReadonlySet<string>;
  signal?: AbortSignal;
}

/** How far back volume events are read to tell when a volume was last mounted. */
const VOLUME_EVENT_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * Removes what `settings.volumes` lets go: anonymous (and, opt-in, dangling named)
 * volumes nothing mounts, and stopped buildx builder nodes with their state volumes.
 * Builder containers go first (their state volume is then unmounted); every removal
 * is re-checked right before the call (still there, still stopped, no container
 * mounts it) and never forced. Undefined when no rule is on. Never throws for one item.
 */
export async function cleanVolumes(engine: EnginePort, settings: Settings, options: VolumeCleanupOptions = {}): Promise<VolumeCleanupReport | undefined> {
  const planned = await listVolumePlan(engine, settings, options);
  return planned && applyVolumePlan(engine, settings, planned, options);
}

/** A volume plan and the listing it came from. */
export interface ListedVolumePlan {
  listing: VolumeListing;
  plan: VolumePlan;
  notes: string[];
}

/** Lists volumes and containers and plans (pure planner); undefined when no volume rule is on. */
export async function listVolumePlan(engine: EnginePort, settings: Settings, options: VolumeCleanupOptions = {}): Promise<ListedVolumePlan | undefined> {
  const rules = settings.volumes;
  if (rules.olderThanMs === undefined && rules.buildxOlderThanMs === undefined) return undefined;
  if (!engine.listVolumes || !engine.removeVolume || !engine.volumeUsers || !engine.removeContainer) {
    return {
      listing: { volumes: [], containers: [], sizeSource: '' },
      plan: { volumes: [], builders: [], predictedBytes: 0, unsized: 0 },
      notes: ['volumes: this engine adapter cannot list or remove volumes; skipped'],
    };
  }
  const now = options.now ?? Date.now();
  const listing = await engine.listVolumes({ activitySince: now - VOLUME_EVENT_LOOKBACK_MS });
  const plan = planVolumes({ volumes: listing.volumes, containers: listing.containers, rules, protectLabels: settings.protectLabels, now, leaving: options.leaving });
  const notes = plan.unsized > 0 ? [`volumes: ${plan.unsized} of the removals have no size from the engine (${listing.sizeSource}); predicted bytes leave them out`] : [];
  return { listing, plan, notes };
}

/** Carries out a volume plan: builder containers first, then volumes, each re-checked right before its call. */
export async function applyVolumePlan(engine: EnginePort, settings: Settings, planned: ListedVolumePlan, options: VolumeCleanupOptions = {}): Promise<VolumeCleanupReport> {
  const { listing, plan } = planned;
  const now = options.now ?? Date.now();
  const report: VolumeCleanupReport = { plan, results: [], bytes: { predicted: plan.predictedBytes, unsized: plan.unsized }, sizeSource: listing.sizeSource, notes: [...planned.notes] };
  const goingBuilders = plan.builders.filter((b) => b.action === 'remove');
  const goingVolumes = plan.volumes.filter((v) => v.action === 'remove');
  if (settings.dryRun) {
    for (const b of goingBuilders) report.results.push({ kind: 'builder-container', name: b.name, status: 'planned', bytes: b.bytes });
    for (const v of goingVolumes) report.results.push({ kind: 'volume', name: v.name, status: 'planned', bytes: v.bytes });
    return report;
  }
  if (goingBuilders.length + goingVolumes.length === 0) return report;

  report.bytes.before = bytesOf(listing);
  for (const b of goingBuilders) {
    if (options.signal?.aborted) break;
    report.results.push({ kind: 'builder-container', name: b.name, bytes: b.bytes, ...(await removeBuilder(engine, b, now, settings.volumes.buildxOlderThanMs!, settings)) });
  }
  for (const v of goingVolumes) {
    if (options.signal?.aborted) break;
    report.results.push({ kind: 'volume', name: v.name, bytes: v.bytes, ...(await removeVolume(engine, v, settings)) });
  }
  const after = await engine.listVolumes!({ activitySince: now });
  report.bytes.after = bytesOf(after);
  report.bytes.measured = Math.max(0, report.bytes.before - report.bytes.after);
  return report;
}

/** Volume bytes plus builder containers' writable layers, as the engine sized them. */
function bytesOf(listing: { volumes: { size?: number }[]; containers: { name: string; sizeRw?: number }[] }): number {
  let sum = 0;
  for (const v of listing.volumes) sum += v.size ?? 0;
  for (const c of listing.containers) if (c.name.startsWith('buildx_buildkit_')) sum += c.sizeRw ?? 0;
  return sum;
}

async function removeBuilder(engine: EnginePort, b: BuilderDecision, now: number, olderThanMs: number, settings: Settings): Promise<{ status: LeftoverStatus; note?: string }> {
  try {
    if (engine.inspectContainer) {
      const current = await engine.inspectContainer(b.id);
      if (!current) return { status: 'gone' };
      if (!['exited', 'created', 'dead'].includes(current.status)) return { status: 'skipped', note: `${current.status} since listing` };
      if (protectedBy(current.labels, settings.protectLabels)) return { status: 'skipped', note: 'protected label' };
      if (current.finishedAt !== undefined && now - current.finishedAt < olderThanMs) return { status: 'skipped', note: 'stopped within buildx-older-than' };
    }
    return leftoverStatus(await engine.removeContainer!(b.id));
  } catch (error) {
    return { status: 'failed', note: error instanceof Error ? error.message : String(error) };
  }
}

async function removeVolume(engine: EnginePort, v: VolumeDecision, settings: Settings): Promise<{ status: LeftoverStatus; note?: string }> {
  try {
    // Re-check right before acting: a job may have mounted it, or relabelled it, since listing.
    if (engine.inspectVolume) {
      const current = await engine.inspectVolume(v.name);
      if (!current) return { status: 'gone' };
      if (protectedBy(current.labels, settings.protectLabels)) return { status: 'skipped', note: 'protected label' };
    }
    if (settings.volumes.protect.some((p) => globMatch(p, v.name))) return { status: 'skipped', note: 'protected name' };
    const users = await engine.volumeUsers!(v.name);
    if (users.length > 0) return { status: 'skipped', note: `mounted by ${users.join(', ')} since listing` };
    return leftoverStatus(await engine.removeVolume!(v.name));
  } catch (error) {
    return { status: 'failed', note: error instanceof Error ? error.message : String(error) };
  }
}

/** The engine's answer to a delete without force: a refusal (409) is a skip with its message. */
function leftoverStatus(outcome: ContainerRemovalOutcome): { status: LeftoverStatus; note?: string } {
  if (outcome.status === 'done') return { status: 'removed' };
  if (outcome.status === 'gone') return { status: 'gone' };
  return { status: 'skipped', note: outcome.message };
}
