import type { Snapshot } from './snapshot';

export interface Arrival {
  time: number;
  source: 'created' | 'tagged' | 'event';
}

/**
 * When each image last arrived on this engine (built, tagged, pulled, loaded):
 * the latest of its creation time, the engine's last-tag time and the image
 * events that name it. A pulled image can be months "old" by creation yet
 * arrived a minute ago; only the tag time or the pull event says so.
 */
export function arrivalTimes(snapshot: Snapshot): Map<string, Arrival> {
  const result = new Map<string, Arrival>();
  const consider = (id: string, time: number, source: Arrival['source']) => {
    const seen = result.get(id);
    if (!seen || time > seen.time) result.set(id, { time, source });
  };
  const byRef = new Map<string, string>();
  for (const image of snapshot.images) {
    consider(image.id, image.created, 'created');
    if (image.lastTagged !== undefined) consider(image.id, image.lastTagged, 'tagged');
    for (const ref of [...image.tags, ...image.digests]) byRef.set(ref, image.id);
  }
  const known = new Set(snapshot.images.map((i) => i.id));
  for (const event of snapshot.activity) {
    if (!ARRIVALS.has(event.action)) continue;
    if (event.imageId && known.has(event.imageId)) consider(event.imageId, event.time, 'event');
    // A pull names the reference; it belongs to whatever that reference points to now.
    const target = event.reference ? byRef.get(event.reference) : undefined;
    if (target) consider(target, event.time, 'event');
  }
  return result;
}

/** Image arrivals; `appeared` is synthesized from the usage record (absent at the previous run). */
const ARRIVALS = new Set(['pull', 'tag', 'load', 'import', 'build', 'commit', 'appeared']);
