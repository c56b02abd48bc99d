import { strict as assert } from 'node:assert';
import { plan, type PlanInput } from '../../../src/planner/planner';
import type { BuildCacheRecord, ImageRecord } from '../../../src/planner/snapshot';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { derived, HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

const MB = 1_000_000;

/** A 10 MB base and three builds of 1 MB each, used 30h, 20h and 10h ago. */
function agent() {
  const base = image({ tags: ['node:20'], layers: ['node20'], layerSizes: [10 * MB], ageHours: 1000 });
  const apps = [1, 2, 3].map((n) => derived(base, { tags: [`app:ci-${n}`], ageHours: 100 - n, ownSizes: [MB] }));
  const usage = new Map(apps.map((a, i) => [a.id, { time: NOW - (30 - i * 10) * HOUR, why: 'container-exited' }]));
  return { all: [base, ...apps], usage };
}

const record = (id: string, hoursAgo: number, extra: Partial<BuildCacheRecord> = {}): BuildCacheRecord => ({
  id,
  parents: [],
  type: 'regular',
  description: `step ${id}`,
  inUse: false,
  shared: false,
  size: 2 * MB,
  created: NOW - 100 * HOUR,
  lastUsed: NOW - hoursAgo * HOUR,
  ...extra,
});

function run(images: ImageRecord[], raw: RawSettings, extra: Partial<PlanInput>) {
  return plan({ snapshot: snapshot(images), settings: parseSettings({ 'min-age': '1h', keep: 3, 'evict-kept-builds': true, ...raw }), now: NOW, ...extra });
}

const order = (p: ReturnType<typeof plan>) => p.eviction!.order.map((o) => (o.kind === 'image' ? o.references[0].replace('docker.io/library/', '') : o.imageId));

describe('one budget over images, build cache and volumes', () => {
  // 13 MB of images + 6 MB cache + 1 MB volumes = 20 MB
  // Build cache records have no keep rule: they are in the first tier (what the policy lets go),
  // least recently used first, before kept builds (opt-in) and base images (opt-in).
  const cases: [string, RawSettings, BuildCacheRecord[], { bytes: number; freed: number } | undefined, string[], Record<string, number>][] = [
    [
      'cache records go least recently used first, before kept builds',
      { 'max-docker-bytes': '17MB', 'target-docker-bytes': '16MB' },
      [record('c-mid', 25), record('c-old', 40), record('c-new', 5)],
      { bytes: MB, freed: 0 },
      ['c-old', 'c-mid'],
      { image: 0, 'build-cache': 4 * MB, volume: 0 },
    ],
    [
      'what the volume rules remove counts first',
      { 'max-docker-bytes': '17.5MB', 'target-docker-bytes': '17MB' },
      [record('c-old', 40), record('c-mid', 25), record('c-new', 5)],
      { bytes: MB, freed: MB },
      ['c-old'],
      { image: 0, 'build-cache': 2 * MB, volume: MB },
    ],
    [
      'a record in use (a running build) never goes',
      { 'max-docker-bytes': '17MB', 'target-docker-bytes': '16MB' },
      [record('c-old', 40, { inUse: true }), record('c-mid', 25), record('c-new', 5)],
      { bytes: MB, freed: 0 },
      ['c-mid', 'c-new'],
      { image: 0, 'build-cache': 4 * MB, volume: 0 },
    ],
    [
      'a parent goes only after its children',
      { 'max-docker-bytes': '15MB', 'target-docker-bytes': '13MB' },
      [record('c-parent', 40), record('c-child', 35, { parents: ['c-parent'] })],
      undefined,
      ['c-child', 'c-parent'],
      { image: 0, 'build-cache': 4 * MB, volume: 0 },
    ],
    [
      'records used within min-age stay; then the least recently used kept build',
      { 'max-docker-bytes': '15MB', 'target-docker-bytes': '14MB' },
      [record('c-now', 0.5), record('c-old', 40)],
      undefined,
      ['c-old', 'app:ci-1'],
      { image: MB, 'build-cache': 2 * MB, volume: 0 },
    ],
    [
      'a shared record counts 0 bytes',
      { 'max-docker-bytes': '14.5MB', 'target-docker-bytes': '14MB' },
      [record('c-shared', 40, { shared: true }), record('c-old', 39)],
      undefined,
      ['c-shared', 'c-old'],
      { image: 0, 'build-cache': 2 * MB, volume: 0 },
    ],
    [
      'max-image-bytes alone counts images: the cache is not touched',
      { 'max-image-bytes': '12.5MB', 'target-image-bytes': '12MB', 'evict-build-cache': true },
      [record('c-old', 40)],
      undefined,
      ['app:ci-1'],
      { image: MB, 'build-cache': 0, volume: 0 },
    ],
  ];
  for (const [title, raw, cache, volumes, expected, byKind] of cases) {
    it(title, () => {
      const { all, usage } = agent();
      const p = run(all, raw, { usage, buildCache: cache, volumes });
      assert.deepEqual(order(p), expected);
      assert.deepEqual(p.eviction!.byKind, byKind);
      assert.deepEqual(p.buildCacheEvictions.map((e) => e.id), expected.filter((x) => x.startsWith('c-')));
      assert.equal(p.eviction!.reached, true);
    });
  }

  it('the total before and after: images + cache + volumes', () => {
    const { all, usage } = agent();
    const p = run(all, { 'max-docker-bytes': '17MB', 'target-docker-bytes': '16MB' }, { usage, buildCache: [record('c-old', 40), record('c-mid', 25), record('c-new', 5)], volumes: { bytes: MB, freed: 0 } });
    assert.equal(p.eviction!.dockerBytesBefore, 20 * MB);
    assert.equal(p.eviction!.dockerBytesAfter, 16 * MB);
  });

  it('without evict-build-cache, min-free takes images only', () => {
    const { all, usage } = agent();
    const filesystem = { totalBytes: 100 * MB, freeBytes: 9 * MB, totalInodes: 1000, freeInodes: 500 };
    const p = run(all, { 'min-free': '10MB', 'target-free': '10MB' }, { usage, buildCache: [record('c-old', 40)], filesystem });
    assert.deepEqual(order(p), ['app:ci-1']);
    const q = run(all, { 'min-free': '10MB', 'target-free': '10MB', 'evict-build-cache': true }, { usage, buildCache: [record('c-old', 40)], filesystem });
    assert.deepEqual(order(q), ['c-old']);
  });
});
