import { layersKeyOf, unionSorted, type UsageRecord } from './record';

/** Records images this tool removed (only those whose ID was actually deleted). */
export function recordRemovals(
  record: UsageRecord,
  removed: { imageId: string; references: string[]; layers: string[]; incident?: string }[],
  now: number,
): UsageRecord {
  const images = { ...record.images };
  const gone = { ...record.removed };
  for (const r of removed) {
    const prior = images[r.imageId];
    delete images[r.imageId];
    gone[r.imageId] = {
      removedAt: now,
      references: unionSorted(r.references, prior?.references ?? []),
      layersKey: layersKeyOf(r.layers) || prior?.layersKey || '',
      ...(r.incident ? { incident: r.incident } : {}),
      ...(prior?.uses ? { uses: prior.uses } : {}),
      ...(prior?.buildMs !== undefined ? { buildMs: prior.buildMs } : {}),
    };
  }
  return { ...record, updatedAt: Math.max(now, record.updatedAt), images, removed: gone };
}
