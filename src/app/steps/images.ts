import { normalizeReference } from '../../domain/reference';
import { messageOf } from '../../engine/api-errors';
import type { DiskUsage, EnginePort } from '../../engine/port';
import type { EngineInfo } from '../../planner/snapshot';
import { isRunLockImage, RUN_LOCK_NAME } from '../../engine/run-lock';
import { tuningFor } from '../../engine/store-tuning';
import { applyDecisions, ENGINE_LOST_NOTE, incidentsOf, isEngineLost, type RemovalResult } from '../apply';
import { readFreeSpace } from '../free-space';
import type { StepOf } from '../run';

/** How far back events are read for least-recently-used ordering (the engine's buffer is the real limit). */
const EVENT_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * Images: the snapshot and the free space the plan reads, then the plan's removals
 * (re-checked, never forced) measured by the engine's disk use before and after.
 */
export const images: StepOf = (run) => {
  let results: RemovalResult[] | undefined;
  let before: DiskUsage | undefined;
  let after: DiskUsage | undefined;
  let measuring: Promise<DiskUsage> | undefined;
  return {
    async choose() {
      // Where the store's tuning says so, a real run measures the engine's disk use beside its snapshot:
      // there both reads cost the engine seconds, and the removals waited for one after the other.
      // Still no removal starts before it answered (see apply).
      const measureBeside = (engine: EngineInfo) => {
        if (!run.settings.dryRun && tuningFor(engine).measureBesideSnapshot) (measuring = run.engine.diskUsage()).catch(() => undefined);
      };
      // The engine keeps only its last 256 events; read them all (at least the
      // grace period): younger ones decide the grace period, all of them tell use.
      const seen = await run.engine.snapshot({ activitySince: run.startedAt - Math.max(run.settings.minAgeMs, EVENT_LOOKBACK_MS), onEngine: measureBeside });
      // The run lock (ours, or a waiting run's) is bookkeeping: not planned, not reported.
      run.snapshot = {
        ...seen,
        images: seen.images.filter((i) => !isRunLockImage(i.tags)),
        containers: seen.containers.filter((c) => !run.leaving.has(c.id) && c.name !== RUN_LOCK_NAME),
      };
      run.notes.push(...(seen.warnings ?? []));
      run.freeSpace = await readFreeSpace(run, seen.engine.dockerRootDir);
    },
    async apply({ plan, report, settings, engine, snapshot, deps, clock }) {
      if (settings.dryRun || report.counts.removed + report.counts.untagged === 0) return;
      // The first re-checks run while the engine measures its disk use; no removal starts before it answered.
      measuring ??= engine.diskUsage();
      results = await applyDecisions(engine, plan.decisions, {
        concurrency: settings.removalConcurrency ?? tuningFor(snapshot.engine).removalConcurrency,
        ready: measuring,
        stop: deps.signal,
        minAgeMs: settings.minAgeMs,
        clock,
        onResult: (_result, done, total) => deps.onProgress?.(done, total),
        onWarning: (text) => report.warnings.push(text),
      });
      before = await measuring;
      // The engine went away or stopped answering during the removals: keep what was done (report, usage record), attempt nothing more on it.
      const lost = results.find((r) => r.engineLost && r.note !== ENGINE_LOST_NOTE);
      if (lost) report.engineLost = lost.note;
      else {
        // The removals are done: a reading that fails now costs the figure, never the report of what was removed.
        try {
          after = await engine.diskUsage();
        } catch (error) {
          if (isEngineLost(error)) report.engineLost = error.message;
          else report.warnings.push(`the engine did not measure its image disk use after the removals (${messageOf(error).trim()}): the bytes freed are the plan's prediction, not a measurement`);
        }
      }
      if (!report.engineLost) await checkContainersAfter(engine, results);
    },
    freed: ({ report }) => ({ kind: 'images', predicted: report.bytes.predicted, measured: report.bytes.measured }),
    section({ report }) {
      if (!results || !before) return;
      report.results = results;
      const counts = report.counts;
      counts.removed = results.filter((r) => r.status === 'removed' || r.status === 'gone').length;
      counts.untagged = results.filter((r) => r.status === 'untagged').length;
      counts.skipped = results.filter((r) => r.status === 'in-use' || r.status === 'changed').length;
      counts.failed = results.filter((r) => r.status === 'failed').length;
      report.incidents = incidentsOf(results);
      counts.incidents = report.incidents.length;
      for (const incident of report.incidents) report.warnings.push(`INCIDENT: ${incident.text}`);
      counts.kept = counts.images - counts.removed;
      // The run lock (image and container) stands on the engine for the whole run and is left out of the plan:
      // out of the figures too, by what it holds in each measurement.
      report.bytes.before = Math.max(0, before.imagesBytes - (before.runLockBytes ?? 0));
      report.bytes.runLock = before.runLockBytes;
      if (after) {
        report.bytes.after = Math.max(0, after.imagesBytes - (after.runLockBytes ?? 0));
        report.bytes.measured = Math.max(0, report.bytes.before - report.bytes.after);
      }
    },
  };
};

/**
 * A container created from an image in the engine's own window between its
 * conflict check and the delete keeps running on an image that no longer
 * exists; the engine's answer does not say so. One container list after the
 * removals finds them, and each is an incident of the image's removal.
 */
async function checkContainersAfter(engine: EnginePort, results: RemovalResult[]): Promise<void> {
  const deleted = new Map(results.filter((r) => r.deleted).map((r) => [r.imageId, r]));
  if (deleted.size === 0 || !engine.listContainers) return;
  // A container created by a name we untagged, inside the delete, may carry no ID of ours
  // (dockerd 28's containerd store resolves the name while the image goes): its name leads here.
  const byName = new Map(results.filter((r) => r.deleted).flatMap((r) => r.untagged.map((name) => [name, r] as const)));
  let containers;
  try {
    containers = await engine.listContainers();
  } catch (error) {
    if (isEngineLost(error)) return;
    throw error;
  }
  for (const c of containers) {
    const result = (c.imageId ? deleted.get(c.imageId) : undefined) ?? (await deletedByName(engine, c, byName));
    if (!result) continue;
    const text = `container ${c.name} (${c.state}) was created from ${result.imageId.slice(7, 19)} while the engine deleted it (the engine's own window between its in-use check and the delete); it now runs on an image that no longer exists`;
    (result.incidents ??= []).push({ imageId: result.imageId, call: `DELETE /images/${result.imageId}`, untagged: [], deleted: [result.imageId], text });
  }
}

/** The deleted image a container names by one of its untagged names, when what it runs on is gone (a name another job moved on is not ours). */
async function deletedByName(engine: EnginePort, c: { image: string; imageId: string }, byName: Map<string, RemovalResult>): Promise<RemovalResult | undefined> {
  let name: string;
  try {
    name = normalizeReference(c.image);
  } catch {
    return undefined; // an ID or digest: matched by ID above
  }
  const result = byName.get(name);
  if (!result) return undefined;
  return (await engine.inspectImage(c.imageId || c.image)) ? undefined : result;
}
