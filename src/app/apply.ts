import type { EnginePort, RemovalOutcome } from '../engine/port';
import { mapConcurrent } from '../engine/concurrency';
import { EngineLostError, EngineTimeoutError } from '../engine/connection';
import { idHex, prefixedImageId } from '../domain/image-id';
import type { ImageDecision } from '../planner/plan';
import type { Incident } from './incident';
import { movedNameIncidents, type RemovalCall } from './moved-names';

export type RemovalStatus =
  /** Every reference untagged and the image deleted. */
  | 'removed'
  /** The planned references untagged; the image stays for its other references. */
  | 'untagged'
  /** Somebody else removed it first (404). */
  | 'gone'
  /** The engine refused (409: in use, has children): skipped, never forced. */
  | 'in-use'
  /** It changed since planning (a tag moved, a new tag appeared): left alone. */
  | 'changed'
  | 'failed';

export type { Incident } from './incident';

export interface RemovalResult {
  imageId: string;
  status: RemovalStatus;
  untagged: string[];
  deleted: boolean;
  /** Why something planned was not done. */
  note?: string;
  /** What the engine did beyond the plan while acting on this image. */
  incidents?: Incident[];
  /** Failed (or not attempted) because the engine was lost or stopped answering, not for this image. */
  engineLost?: true;
}

/** Why an image the plan removes was left untouched after a stop signal. */
export const NOT_STARTED_NOTE = 'not attempted: shutting down';

/** The note of images not attempted once the engine was lost or stopped answering. */
export const ENGINE_LOST_NOTE = 'not attempted: the engine was lost';

/** The engine is gone or stuck (not one image's problem): no further removal is attempted. */
export function isEngineLost(error: unknown): error is EngineLostError | EngineTimeoutError {
  return error instanceof EngineLostError || error instanceof EngineTimeoutError;
}

/** Removals in flight when the caller does not choose (the use case chooses per store: src/engine/store-tuning.ts). */
export const REMOVAL_CONCURRENCY = 8;

export interface ApplyOptions {
  concurrency?: number;
  onResult?: (result: RemovalResult, done: number, total: number) => void;
  /** Nothing is written before this settles, and nothing at all if it fails. */
  ready?: Promise<unknown>;
  /** Once aborted, no image not yet begun is touched (reported as not attempted); one in flight finishes all its steps. */
  stop?: AbortSignal;
  /**
   * The grace period, checked again on each re-check against the engine's
   * fresh last-tag time: an image tagged within it since planning (or whose
   * arrival the plan only knew from a cache) is left alone.
   */
  minAgeMs?: number;
  /** ms epoch, for the grace-period check. */
  clock?: () => number;
  /** What the run could not check, for the report's warnings. */
  onWarning?: (text: string) => void;
}

/** What every removal needs to know about the whole plan. */
interface PlanContext {
  /** Image IDs the plan keeps (including untag-only ones): deleting one is an incident. */
  kept: Set<string>;
  minAgeMs: number;
  clock: () => number;
  /** Every call that answered, for the moved-name check after the removals. */
  calls: RemovalCall[];
}

/**
 * Carries out untag/remove decisions safely; never throws for one image.
 *
 * Every engine call is preceded by its own re-check (no re-check is reused for
 * a later call), images are deleted by their immutable ID whenever at most one
 * tag is left (the engine then refuses with 409 if a container uses the image
 * or a tag was added, instead of acting on whatever a moved tag names), and
 * every answer is compared with the plan (see Incident).
 */
export async function applyDecisions(engine: EnginePort, decisions: readonly ImageDecision[], options: ApplyOptions = {}): Promise<RemovalResult[]> {
  const work = decisions.filter((d) => d.action !== 'keep');
  const context: PlanContext = {
    kept: new Set(decisions.filter((d) => !d.delete).map((d) => idHex(d.imageId))),
    minAgeMs: options.minAgeMs ?? 0,
    clock: options.clock ?? Date.now,
    calls: [],
  };
  // Begun before the first call: the engine's events tell of names moved onto new images meanwhile.
  const watching = work.length > 0 ? engine.watchImageEvents?.().catch(() => undefined) : undefined;
  // An engine (or proxy) slow to open the stream delays the removals 2 s at most; the watch's final read covers the start.
  const watchOpen = watching && Promise.race([watching, new Promise((resolve) => setTimeout(resolve, WATCH_OPEN_MS).unref?.())]);
  let done = 0;
  let lost: Error | undefined;
  const attempt = async (decision: ImageDecision): Promise<RemovalResult> => {
    try {
      if (options.stop?.aborted) throw new Error(NOT_STARTED_NOTE);
      if (lost) return { imageId: decision.imageId, status: 'failed', untagged: [], deleted: false, note: ENGINE_LOST_NOTE, engineLost: true };
      return await applyOne(engine, decision, context);
    } catch (error) {
      const failed: RemovalResult = { imageId: decision.imageId, status: 'failed', untagged: [], deleted: false, note: error instanceof Error ? error.message : String(error) };
      if (!isEngineLost(error)) return failed;
      lost ??= error;
      return { ...failed, engineLost: true };
    }
  };
  const results = await mapConcurrent(work, options.concurrency ?? REMOVAL_CONCURRENCY, async (decision) => {
    await options.ready;
    await watchOpen;
    const result = await attempt(decision);
    // A parent refused for "dependent child images" while the child is being removed by another worker: retried at the end.
    if (!isChildConflict(result)) options.onResult?.(result, ++done, work.length);
    return result;
  });
  for (let i = 0; i < work.length; i++) {
    if (!isChildConflict(results[i])) continue;
    const retried = await attempt(work[i]);
    results[i] = { ...retried, untagged: [...results[i].untagged, ...retried.untagged], incidents: joinIncidents(results[i].incidents, retried.incidents) };
    options.onResult?.(results[i], ++done, work.length);
  }
  const watch = await watching;
  if (watch && lost) await watch.stop();
  else if (watch) {
    const touched = new Set(work.map((d) => idHex(d.imageId)));
    try {
      const moved = await movedNameIncidents(context.calls, watch, touched, (ref) => engine.inspectImage(ref));
      for (const incident of moved.incidents) {
        const result = results.find((r) => r.imageId === incident.imageId);
        if (result) result.incidents = [...(result.incidents ?? []), incident];
      }
      for (const gap of moved.gaps) options.onWarning?.(gap);
      for (const survivor of moved.kept) {
        const result = results.find((r) => r.imageId === survivor.imageId);
        if (!result?.deleted) continue;
        Object.assign(result, { status: 'changed', deleted: false, note: `tagged ${survivor.names.join(', ')} during its delete: the engine kept the image under that name, though it answered deleted` });
      }
    } catch (error) {
      await watch.stop();
      if (!isEngineLost(error)) throw error;
    }
  }
  return results;
}

function isChildConflict(result: RemovalResult): boolean {
  return result.status === 'in-use' && /child image/i.test(result.note ?? '');
}

/** How long the removals wait for the event watch to open (ms). */
const WATCH_OPEN_MS = 2_000;

/** At most this many engine calls for one image: one per reference, the delete, and a few retries. */
const EXTRA_STEPS = 4;

async function applyOne(engine: EnginePort, decision: ImageDecision, context: PlanContext): Promise<RemovalResult> {
  const { imageId } = decision;
  const planned = new Set(decision.untag);
  const untagged: string[] = [];
  const incidents: Incident[] = [];
  let acted = false;
  const result = (status: RemovalStatus, deleted: boolean, note?: string): RemovalResult => ({
    imageId,
    status,
    untagged,
    deleted,
    ...(note !== undefined ? { note } : {}),
    ...(incidents.length > 0 ? { incidents } : {}),
  });

  for (let step = 0; step < decision.untag.length + EXTRA_STEPS; step++) {
    // The re-check, right before this very call: the plan may be seconds old on a busy daemon.
    const now = await engine.inspectImage(imageId);
    if (!now) return acted ? result('removed', true) : result('gone', false);
    const others = now.references.filter((r) => !planned.has(r));
    const left = now.references.filter((r) => planned.has(r));
    if (decision.delete && others.length > 0) return result('changed', false, `tagged ${others.join(', ')} since planning`);
    const taggedAgo = now.lastTagged === undefined ? undefined : context.clock() - now.lastTagged;
    if (context.minAgeMs > 0 && taggedAgo !== undefined && taggedAgo < context.minAgeMs) return result('changed', false, `tagged ${Math.max(0, Math.round(taggedAgo / 1000))} s ago, within min-age: a concurrent job's`);
    if (!decision.delete) {
      if (left.length === 0) return result('untagged', false);
      // Untagging the last references would delete an image the plan keeps.
      if (others.length === 0) return result('changed', false, 'its kept references are gone since planning');
    }
    const tags = left.filter((r) => !r.includes('@'));
    // At most one tag left: delete by ID. Several tags: untag one by name, the image keeps the rest.
    const byId = decision.delete && tags.length <= 1;
    const target = byId ? imageId : (tags[0] ?? left[0]);
    const call = `DELETE /images/${target}`;
    let outcome: RemovalOutcome;
    // Wall-clock time, not the run's clock (tests move that one): the engine's event times are compared with it.
    const sentAt = Date.now();
    try {
      outcome = await engine.removeImage(target);
      if (outcome.status === 'done') {
        const deleted = outcome.deleted.some((d) => idHex(d) === idHex(imageId));
        context.calls.push({ imageId, call, untagged: outcome.untagged, deleted, planned: decision.untag, sentAt, answeredAt: Date.now() });
      }
    } catch (error) {
      // 500 "unrecognized image ID" / "layer does not exist": a concurrent removal got there first.
      const since = await engine.inspectImage(imageId);
      if (!since) return acted ? result('removed', true) : result('gone', false);
      // Podman's 500 "by ID with more than one tag": a name landed since the re-check, its 409.
      const added = since.references.filter((r) => !planned.has(r));
      if (byId && added.length > 0) return result('changed', false, `tagged ${added.join(', ')} since planning`);
      throw error;
    }
    if (outcome.status === 'gone') {
      if (byId) return acted ? result('removed', true) : result('gone', false);
      continue; // the reference went meanwhile: re-check and go on
    }
    if (outcome.status === 'conflict') {
      // Several digests of different repositories and no tag: untag one by name, then try again.
      if (byId && tags.length === 0 && left.length > 1 && /multiple repositories/i.test(outcome.message)) {
        const digest = left[0];
        const again = await engine.removeImage(digest);
        if (again.status === 'done') readAnswer(`DELETE /images/${digest}`, again, false);
        continue;
      }
      const since = await engine.inspectImage(imageId);
      const added = since?.references.filter((r) => !planned.has(r)) ?? [];
      if (added.length > 0) return result('changed', false, `tagged ${added.join(', ')} since planning`);
      return result('in-use', false, outcome.message);
    }
    acted = true;
    if (readAnswer(call, outcome, byId)) return result('removed', true);
  }
  return result('failed', false, 'the image kept changing while it was being removed; left alone');

  /** Folds one answer into the result; true when it says the image itself was deleted. */
  function readAnswer(call: string, answer: { untagged: string[]; deleted: string[] }, byId: boolean): boolean {
    const strayTags = answer.untagged.filter((r) => !planned.has(r));
    untagged.push(...answer.untagged.filter((r) => planned.has(r) && !untagged.includes(r)));
    const deletedSelf = answer.deleted.some((d) => idHex(d) === idHex(imageId));
    const strayImages: string[] = [];
    // A call by name acts on whatever the name names now; the first image it deleted is that image.
    const first = answer.deleted[0];
    if (!byId && first !== undefined && idHex(first) !== idHex(imageId)) strayImages.push(prefixedImageId(first));
    // Parents the engine pruned along with the image: only the ones the plan keeps are a loss.
    for (const d of answer.deleted) if (context.kept.has(idHex(d)) && !strayImages.includes(prefixedImageId(d))) strayImages.push(prefixedImageId(d));
    if (deletedSelf && !decision.delete && !strayImages.includes(prefixedImageId(imageId))) strayImages.push(prefixedImageId(imageId));
    if (strayTags.length > 0 || strayImages.length > 0) {
      const parts = [
        ...(strayTags.length > 0 ? [`untagged ${strayTags.join(', ')}`] : []),
        ...(strayImages.length > 0 ? [`deleted ${strayImages.map((d) => d.slice(7, 19)).join(', ')}`] : []),
      ];
      incidents.push({
        imageId,
        call,
        untagged: strayTags,
        deleted: strayImages,
        text: `${call} (for ${imageId.slice(7, 19)}) also ${parts.join(' and ')}, which the plan did not name: a concurrent job changed it between the re-check and the call`,
      });
    }
    return deletedSelf && decision.delete;
  }
}

function joinIncidents(a: Incident[] | undefined, b: Incident[] | undefined): Incident[] | undefined {
  const all = [...(a ?? []), ...(b ?? [])];
  return all.length > 0 ? all : undefined;
}


/** Every incident of a run, in result order. */
export function incidentsOf(results: readonly RemovalResult[]): Incident[] {
  return results.flatMap((r) => r.incidents ?? []);
}
