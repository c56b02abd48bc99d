import type { ContainerRecord, ImageRecord, Snapshot } from '../src/planner/snapshot';

const HOUR = 3_600_000;

/**
 * A synthetic agent: 50 repositories built on 10 shared bases (5 base layers
 * each), every build 2 layers of its own and one tag, a build a minute;
 * 1,000 containers on 250 of the images.
 */
export function syntheticSnapshot(images: number, now: number): Snapshot {
  // Well-formed, distinct digests without hashing: the bench measures the planner.
  // Strings are made flat, as JSON.parse makes the engine's answers (a concatenated
  // string would be flattened, and its hash computed, inside the planner instead).
  let counter = 0;
  const fresh = () => flat(`sha256:${(++counter).toString(16).padStart(64, '0')}`);
  const list: ImageRecord[] = [];
  const bases = Array.from({ length: 10 }, () => {
    const layers = Array.from({ length: 5 }, fresh);
    return { layers, sizes: layers.map(() => 10_000_000) };
  });
  bases.forEach((base, b) =>
    list.push({ id: fresh(), tags: [flat(`docker.io/library/base${b}:1`)], digests: [], created: now - 5000 * HOUR, size: 50_000_000, labels: {}, layers: base.layers, layerSizes: base.sizes }),
  );
  for (let i = list.length; i < images; i++) {
    const base = bases[i % 10]!;
    list.push({
      id: fresh(),
      tags: [flat(`docker.io/library/repo${i % 50}:ci-${i}`)],
      digests: [],
      created: now - (images - i) * 60_000,
      size: 50_000_000 + 3_000_000,
      labels: {},
      layers: [...base.layers, fresh(), fresh()],
      layerSizes: [...base.sizes, 1_000_000, 2_000_000],
    });
  }
  const containers: ContainerRecord[] = Array.from({ length: Math.min(1000, list.length) }, (_, c) => {
    // 1,000 containers (a third running) on 250 images spread over the whole list.
    const image = list[((c % 250) * 7919) % list.length]!;
    return { id: `c${c}`, name: `c${c}`, image: image.tags[0]!, imageId: image.id, state: c % 3 ? 'exited' : 'running', created: now - HOUR, labels: {} };
  });
  return {
    takenAt: now,
    engine: { kind: 'docker', version: 'synthetic', apiVersion: '1.41' },
    images: list,
    containers,
    activity: [],
    activityWindow: { since: now - HOUR, complete: true },
  };
}

/** A sequential (flat) copy of a string, as JSON.parse returns. */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}
