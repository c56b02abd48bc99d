/**
 * A trace from the usage record of a real engine and what the engine holds
 * now: each image the record knows arrives when first seen and is used again
 * at each recorded use. Only images still on the engine have sizes and
 * layers; the others are counted and left out.
 */
import type { Snapshot } from '../planner/snapshot';
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
  const byTime = new Map<number, ImageUse[]>();
  let since = Infinity;
  let leftOut = 0;
  const onEngine = new Map(snapshot.images.map((i) => [i.id, i]));
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
    const times = [...new Set([entry.firstSeen, ...uses])].sort((a, b) => a - b);
    for (const at of times) {
      since = Math.min(since, at);
      const list = byTime.get(at) ?? [];
      list.push({ ref, layers, created: image.created, how, run: true });
      byTime.set(at, list);
    }
  }
  const jobs: Job[] = [...byTime.entries()].sort(([a], [b]) => a - b).map(([at, uses]) => ({ at, durationMs: 0, uses }));
  const until = Math.max(record.updatedAt, jobs.length ? jobs[jobs.length - 1]!.at : 0);
  return {
    trace: {
      name: 'this engine',
      description: 'the images the usage record knows that the engine still holds, each arriving when first seen and used at its recorded uses',
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
