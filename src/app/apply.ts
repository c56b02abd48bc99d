import type { EnginePort, ImageState } from '../engine/port';
import { mapConcurrentAhead } from '../engine/concurrency';
import type { ImageDecision } from '../planner/plan';

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

export interface RemovalResult {
  imageId: string;
  status: RemovalStatus;
  untagged: string[];
  deleted: boolean;
  /** Why something planned was not done. */
  note?: string;
}

/** Why an image the plan removes was left untouched after a stop signal. */
export const NOT_STARTED_NOTE = 'not attempted: shutting down';

/** Removals in flight when the caller does not choose (the use case chooses per store: src/engine/store-tuning.ts). */
export const REMOVAL_CONCURRENCY = 8;

/**
 * How old a re-check may be when its removal starts. Each worker re-checks its
 * next image while its current removal is in the engine: an inspect waits on
 * the layer-store lock the deletions hold, so sent in between two of them it
 * costs about as much again (400 of 500 images, 8 in flight, medians of 5:
 * inspect then delete 1.08 s, one ahead 0.87 s, the engine's untag + prune
 * 0.88 s; `npm run bench -- --sweep` repeats the comparison). A re-check older
 * than this (a slow removal before it) is done again.
 */
export const RECHECK_MAX_AGE_MS = 100;

export interface ApplyOptions {
  concurrency?: number;
  onResult?: (result: RemovalResult, done: number, total: number) => void;
  /**
   * Nothing is written before this settles, and nothing at all if it fails;
   * the first re-checks may run meanwhile (they are re-done if it takes long).
   */
  ready?: Promise<unknown>;
  /**
   * Once aborted, no image not yet begun is touched (reported as not attempted);
   * one in flight finishes all its steps. Checked after the re-check, which may
   * have run ahead of the signal.
   */
  stop?: AbortSignal;
  /** Milliseconds; injected so the re-check age can be tested. */
  clock?: () => number;
}

/** The image as the engine showed it right before acting, and when that was asked. */
interface Recheck {
  state: ImageState | undefined;
  at: number;
}

/** Carries out untag/remove decisions safely; never throws for one image. */
export async function applyDecisions(engine: EnginePort, decisions: readonly ImageDecision[], options: ApplyOptions = {}): Promise<RemovalResult[]> {
  const work = decisions.filter((d) => d.action !== 'keep');
  const clock = options.clock ?? Date.now;
  // Aged from when it was asked: the engine's answer is at least that fresh.
  const recheck = async (decision: ImageDecision): Promise<Recheck> => {
    const at = clock();
    return { state: await engine.inspectImage(decision.imageId), at };
  };
  let done = 0;
  return mapConcurrentAhead(work, options.concurrency ?? REMOVAL_CONCURRENCY, recheck, async (decision, prepared) => {
    await options.ready;
    let result: RemovalResult;
    try {
      if (options.stop?.aborted) throw new Error(NOT_STARTED_NOTE);
      if (!prepared.ok) throw prepared.error;
      const fresh = clock() - prepared.value.at <= RECHECK_MAX_AGE_MS ? prepared.value : await recheck(decision);
      result = await applyOne(engine, decision, fresh.state);
    } catch (error) {
      result = { imageId: decision.imageId, status: 'failed', untagged: [], deleted: false, note: error instanceof Error ? error.message : String(error) };
    }
    options.onResult?.(result, ++done, work.length);
    return result;
  });
}

/** `before`: the re-check, the image as the engine shows it now (undefined: gone). */
async function applyOne(engine: EnginePort, decision: ImageDecision, before: ImageState | undefined): Promise<RemovalResult> {
  const { imageId } = decision;
  const untagged: string[] = [];
  const result = (status: RemovalStatus, deleted: boolean, note?: string): RemovalResult => ({ imageId, status, untagged, deleted, note });

  // The re-check: the plan may be seconds old on a busy daemon.
  if (!before) return result('gone', false);
  if (decision.delete) {
    const unexpected = before.references.filter((r) => !decision.untag.includes(r));
    if (unexpected.length > 0) return result('changed', false, `tagged ${unexpected.join(', ')} since planning`);
  }

  let deleted = false;
  for (const reference of decision.untag) {
    // A reference the image itself still lists names this image (a reference names one
    // image); one it no longer lists may have moved to a new image from a concurrent
    // build: leave that image alone.
    if (!before.references.includes(reference)) {
      const target = await engine.inspectImage(reference);
      if (!target) continue;
      if (target.id !== imageId) {
        if (decision.delete) return result('changed', false, `${reference} now names ${target.id.slice(7, 19)}`);
        continue;
      }
    }
    const outcome = await engine.removeImage(reference);
    if (outcome.status === 'conflict') return result('in-use', false, outcome.message);
    if (outcome.status === 'done') {
      untagged.push(reference);
      if (outcome.deleted.some((d) => sameId(d, imageId))) deleted = true;
    }
  }

  if (!decision.delete) return result('untagged', false);
  // Untagging the last reference usually deletes the image already, and says so.
  if (deleted) return result('removed', true);
  const after = await engine.inspectImage(imageId);
  if (!after) return result('removed', true);
  if (after.references.length > 0) return result('changed', false, `tagged ${after.references.join(', ')} since planning`);
  const outcome = await engine.removeImage(imageId);
  if (outcome.status === 'conflict') return result('in-use', false, outcome.message);
  return result('removed', true);
}

/** The engine answers `Deleted` with or without the `sha256:` prefix. */
function sameId(a: string, b: string): boolean {
  return a.replace(/^sha256:/, '') === b.replace(/^sha256:/, '');
}
