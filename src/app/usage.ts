import { isCanonicalImageId } from '../domain/image-id';
import type { Plan } from '../planner/plan';
import type { ImageActivity, Snapshot } from '../planner/snapshot';
import type { LastUse } from '../planner/eviction';
import type { Settings } from '../settings/settings';
import { observe } from '../usage/observe';
import { lastUsedMap, type Regret, type UsageRecord } from '../usage/record';
import { recordRemovals } from '../usage/removals';
import type { UsageStore } from '../usage/store';
import type { RemovalResult } from './apply';

/** What the record says before planning. */
export interface UsageView {
  previous: UsageRecord;
  lastUse: Map<string, LastUse>;
  regrets: Regret[];
  /** Images absent at the previous run: they arrived after it (a lower bound for the grace period). */
  appeared: ImageActivity[];
  warnings: string[];
}

export async function readUsage(store: UsageStore, snapshot: Snapshot, now: number, settings: Settings): Promise<UsageView> {
  const { record, warnings } = await store.read();
  const observed = observe(record, snapshot, now, { regretWindowMs: settings.usage.regretWindowMs });
  const appeared: ImageActivity[] = [];
  if (record.lastRunAt !== undefined) {
    for (const image of snapshot.images) {
      if (!record.images[image.id]) appeared.push({ time: record.lastRunAt, action: 'appeared', imageId: image.id });
    }
  }
  // What the previous run lost to concurrent changes (its incidents), said once more so the next report shows what it cost.
  const lost = Object.values(record.removed).filter((r) => r.incident && record.lastRunAt !== undefined && r.removedAt >= record.lastRunAt);
  for (const r of lost) warnings.push(`the previous run had an incident: ${r.incident}`);
  return { previous: record, lastUse: lastUsedMap(observed.record), regrets: observed.regrets, appeared, warnings };
}

/** Folds this run's observations and removals into the stored record (locked, merged). */
export async function saveUsage(store: UsageStore, snapshot: Snapshot, plan: Plan, results: RemovalResult[], now: number, settings: Settings, jobStartedAt?: number): Promise<string[]> {
  const current = plan.decisions
    .filter((d) => d.keepReasons.some((r) => r.kind === 'current' || r.kind === 'job-image'))
    .map((d) => d.imageId);
  const byId = new Map(snapshot.images.map((i) => [i.id, i]));
  const removed: { imageId: string; references: string[]; layers: string[]; incident?: string }[] = results
    .filter((r) => r.deleted)
    .map((r) => ({ imageId: r.imageId, references: [...(byId.get(r.imageId)?.tags ?? [])], layers: byId.get(r.imageId)?.layers ?? [] }));
  // Incidents: what the engine took beyond the plan is recorded as removed too, with what happened.
  for (const incident of results.flatMap((r) => r.incidents ?? [])) {
    const own = removed.find((r) => r.imageId === incident.imageId);
    if (own) {
      own.references = [...own.references, ...incident.untagged];
      own.incident = incident.text;
    }
    for (const id of incident.deleted) {
      if (id === incident.imageId && own) continue;
      const known = byId.get(id);
      const target = incident.call.replace(/^DELETE \/images\//, '');
      removed.push({ imageId: id, references: known ? [...known.tags] : isCanonicalImageId(target) ? [] : [target], layers: known?.layers ?? [], incident: incident.text });
    }
  }
  const { warnings } = await store.update((stored) => {
    const next = observe(stored, snapshot, now, { currentImageIds: current, regretWindowMs: settings.usage.regretWindowMs, jobStartedAt }).record;
    return { ...recordRemovals(next, removed, now), lastRunAt: now };
  });
  return warnings;
}
