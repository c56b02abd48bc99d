/**
 * A trace from the usage record of a real engine and what the engine holds
 * now: each image the record knows arrives at its first use (or when first
 * seen, if earlier) and is used again at each later recorded use. A build the
 * record timed arrives in a job that ends at its creation, so the replayed
 * tool learns its build time as the real one did; a use credited for a later
 * build's cache reuse is not replayed as a run. Only images still on the
 * engine have sizes and layers; the others are counted and left out.
 */
import { repositoryOf } from '../domain/reference';
import type { ImageRecord, Snapshot } from '../planner/snapshot';
import type { UsageRecord } from '../usage/record';
import type { HowArrived, ImageUse, Job, LayerDef, Trace } from './trace';

export interface RecordTrace {
  trace: Trace;
  /** The period the record covers: its earliest first-seen or use, up to its last update. */
  since: number;
  until: number;
  /** Images the record names that the engine no longer holds (no sizes: left out). */
  leftOut: number;
}

const HOW: Record<string, HowArrived> = { pulled: 'pull', built: 'build', loaded: 'load' };

export function traceFromRecord(record: UsageRecord, snapshot: Snapshot, budgetBytes: number, bandwidthBytesPerSecond: number): RecordTrace {
  // Jobs by start time: what they use, and how long they run (a build runs until its image's creation).
  const byTime = new Map<number, { uses: ImageUse[]; durationMs: number }>();
  const useAt = (at: number, use: ImageUse, durationMs = 0) => {
    const job = byTime.get(at) ?? { uses: [], durationMs: 0 };
    job.uses.push(use);
    job.durationMs = Math.max(job.durationMs, durationMs);
    byTime.set(at, job);
  };
  let since = Infinity;
  let leftOut = 0;
  const onEngine = new Map(snapshot.images.map((i) => [i.id, i]));
  const credits = cacheCredits(record, onEngine);
  for (const [id, entry] of Object.entries(record.images)) {
    const image = onEngine.get(id);
    if (!image) {
      leftOut++;
      continue;
    }
    const sizes = image.layerSizes && image.layerSizes.length === image.layers.length ? image.layerSizes : undefined;
    // Without per-layer sizes the image is one layer of its size: its bytes count, its sharing cannot.
    const layers: LayerDef[] = sizes ? image.layers.map((l, n) => ({ id: l, bytes: sizes[n]! })) : [{ id: image.id, bytes: image.size }];
    const how = HOW[entry.arrived ?? ''] ?? 'pull';
    if (how === 'build' && entry.buildMs !== undefined) layers[layers.length - 1] = { ...layers[layers.length - 1]!, buildSeconds: entry.buildMs / 1000 };
    const ref = image.tags[0] ?? entry.references[0] ?? id;
    // A last use that is only the image's creation or tag time (first seen without an event) is no use here.
    const uses = entry.uses ?? (entry.why === 'first-seen' ? [] : [entry.lastUsed]);
    const use: ImageUse = { ref, layers, created: image.created, how, run: true };
    // A use that is only a later build reusing this one's cache is that build's arrival, not a run of this image.
    const runs = uses.filter((t) => !credits.get(id)?.has(t));
    // It arrived at its first use, or when first seen if that is earlier (the post-job step sees a pull after it).
    let times = [...new Set([...(runs.length > 0 && runs[0]! < entry.firstSeen ? [] : [entry.firstSeen]), ...runs])].sort((a, b) => a - b);
    if (how === 'build' && entry.buildMs !== undefined && image.created - entry.buildMs <= times[0]!) {
      // Built in a job the record timed: that job starts buildMs before the image's creation and ends at it,
      // so the replayed post-job step learns the build time as the real one did.
      const start = image.created - entry.buildMs;
      useAt(start, use, entry.buildMs);
      since = Math.min(since, start);
      times = times.filter((t) => t > image.created);
    }
    for (const at of times) {
      since = Math.min(since, at);
      useAt(at, use);
    }
  }
  const jobs: Job[] = [...byTime.entries()].sort(([a], [b]) => a - b).map(([at, job]) => ({ at, durationMs: job.durationMs, uses: job.uses }));
  const until = Math.max(record.updatedAt, jobs.length ? jobs[jobs.length - 1]!.at : 0);
  return {
    trace: {
      name: 'this engine',
      description: 'the images the usage record knows that the engine still holds, each arriving at its first recorded use and used at the later ones',
      source: 'the usage record of this engine',
      budgetBytes,
      bandwidthBytesPerSecond,
      jobs,
    },
    since: Number.isFinite(since) ? since : until,
    until,
    leftOut,
  };
}

/**
 * The uses the record credits to an earlier build when a later build of its
 * repository reused its cache (all its layers but the top; see
 * src/usage/observe.ts): the later build's first use, per earlier image.
 */
function cacheCredits(record: UsageRecord, onEngine: ReadonlyMap<string, ImageRecord>): Map<string, Set<number>> {
  const credits = new Map<string, Set<number>>();
  const built = Object.entries(record.images).filter(([id, e]) => e.arrived === 'built' && onEngine.has(id) && onEngine.get(id)!.layers.length >= 2);
  for (const [id, entry] of built) {
    const image = onEngine.get(id)!;
    const cache = image.layers.slice(0, -1);
    const repositories = new Set(image.tags.concat(entry.references).map(repositoryOf));
    for (const [otherId, other] of built) {
      const later = onEngine.get(otherId)!;
      const first = other.uses?.[0];
      if (otherId === id || first === undefined || other.firstSeen <= entry.firstSeen) continue;
      if (!later.tags.concat(other.references).some((r) => repositories.has(repositoryOf(r)))) continue;
      if (cache.every((l, n) => later.layers[n] === l)) credits.set(id, (credits.get(id) ?? new Set()).add(first));
    }
  }
  return credits;
}
