import { createHash } from 'node:crypto';
import { normalizeReference } from '../../src/domain/reference';
import type { ContainerRecord, ImageActivity, ImageRecord, Snapshot } from '../../src/planner/snapshot';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** A fixed clock: planner tests never read the real time. */
export const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

let counter = 0;
/** A fake but well-formed image ID. */
export function fakeId(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex')}`;
}

export interface ImageOptions {
  name?: string;
  tags?: string[];
  digests?: string[];
  /** Hours before NOW. */
  ageHours?: number;
  layers?: string[];
  layerSizes?: number[];
  size?: number;
  labels?: Record<string, string>;
  parent?: ImageRecord;
  lastTaggedHoursAgo?: number;
}

/** An image with familiar tags normalized the way the engine port does. */
export function image(options: ImageOptions): ImageRecord {
  const name = options.name ?? options.tags?.[0] ?? `image-${++counter}`;
  const layers = options.layers ?? [`layer:${name}`];
  const layerSizes = options.layerSizes ?? layers.map(() => 1000);
  return {
    id: fakeId(name),
    parentId: options.parent?.id,
    tags: (options.tags ?? []).map(normalizeReference),
    digests: (options.digests ?? []).map(normalizeReference),
    created: NOW - (options.ageHours ?? 24 * 30) * HOUR,
    lastTagged: options.lastTaggedHoursAgo === undefined ? undefined : NOW - options.lastTaggedHoursAgo * HOUR,
    size: options.size ?? layerSizes.reduce((a, b) => a + b, 0),
    labels: options.labels ?? {},
    layers,
    layerSizes,
  };
}

/** An image built FROM `base`: its layers plus its own. */
export function derived(base: ImageRecord, options: ImageOptions & { ownLayers?: string[]; ownSizes?: number[] }): ImageRecord {
  const name = options.name ?? options.tags?.[0] ?? `image-${++counter}`;
  const own = options.ownLayers ?? [`layer:${name}`];
  const ownSizes = options.ownSizes ?? own.map(() => 100);
  return image({ ...options, name, layers: [...base.layers, ...own], layerSizes: [...(base.layerSizes ?? []), ...ownSizes] });
}

export function container(img: ImageRecord, options: { name: string; state?: string; typed?: string }): ContainerRecord {
  return {
    id: `c-${options.name}`,
    name: options.name,
    image: options.typed ?? img.tags[0] ?? img.id,
    imageId: img.id,
    state: options.state ?? 'running',
    created: NOW - HOUR,
    labels: {},
  };
}

export function snapshot(images: ImageRecord[], containers: ContainerRecord[] = [], activity: ImageActivity[] = [], complete = true): Snapshot {
  return {
    takenAt: NOW,
    engine: { kind: 'docker', version: '20.10.24', apiVersion: '1.41', storageDriver: 'vfs' },
    images,
    containers,
    activity,
    activityWindow: { since: NOW - HOUR, complete },
  };
}
