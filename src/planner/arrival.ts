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
  // Only the references events name are looked up: a few hundred, not every image's.
  const byRef = new Map<string, string>();
  for (const event of snapshot.activity) if (event.reference && ARRIVALS.has(event.action)) byRef.set(event.reference, '');
  for (const image of snapshot.images) {
    consider(image.id, image.created, 'created');
    if (image.lastTagged !== undefined) consider(image.id, image.lastTagged, 'tagged');
    if (byRef.size === 0) continue;
    for (const ref of image.tags) if (byRef.has(ref)) byRef.set(ref, image.id);
    for (const ref of image.digests) if (byRef.has(ref)) byRef.set(ref, image.id);
  }
  const known = result; // every image has its creation entry
  for (const event of snapshot.activity) {
    if (!ARRIVALS.has(event.action)) continue;
    if (event.imageId && known.has(event.imageId)) consider(event.imageId, event.time, 'event');
    // A pull names the reference; it belongs to whatever that reference points to now.
    const target = event.reference ? byRef.get(event.reference) || undefined : undefined;
    if (target) consider(target, event.time, 'event');
  }
  return result;
}

/** Image arrivals; `appeared` is synthesized from the usage record (absent at the previous run). */
const ARRIVALS = new Set(['pull', 'tag', 'load', 'import', 'build', 'commit', 'appeared']);
