import { strict as assert } from 'node:assert';
import type { ImageActivity, ImageRecord } from '../../../src/planner/snapshot';
import { observe } from '../../../src/usage/observe';
import { emptyRecord, layersKeyOf, type UsageEntry, type UsageRecord, type UsageWhy } from '../../../src/usage/record';
import { recordRemovals } from '../../../src/usage/removals';
import { container, DAY, derived, fakeId, HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

const MIN = 60_000;
/** The regret-window setting's default (the catalog's 7d). */
const WEEK = 7 * DAY;

function entry(record: UsageRecord, img: ImageRecord): UsageEntry {
  const e = record.images[img.id];
  assert.ok(e, `no entry for ${img.tags[0] ?? img.id}`);
  return e;
}

describe('usage record: observe', () => {
  // app:ci-1 created 10 days ago, app:ci-2 5 days ago; node:20 (base of both) 30 days ago.
  const base = image({ tags: ['node:20'], ageHours: 30 * 24, layers: ['l:node1', 'l:node2'] });
  const ci1 = derived(base, { tags: ['app:ci-1'], ageHours: 10 * 24 });
  const ci2 = derived(base, { tags: ['app:ci-2'], ageHours: 5 * 24 });
  const lone = image({ tags: ['tool:1'], ageHours: 20 * 24, lastTaggedHoursAgo: 2 * 24 });

  const cases: {
    name: string;
    containers?: Parameters<typeof container>[];
    activity?: ImageActivity[];
    current?: string[];
    expect: [ImageRecord, number, UsageWhy][];
  }[] = [
    {
      name: 'first seen: created, or the last tag when later; bases follow the images built on them',
      expect: [
        [ci1, NOW - 10 * DAY, 'first-seen'],
        [ci2, NOW - 5 * DAY, 'first-seen'],
        [base, NOW - 5 * DAY, 'base-of-used'],
        [lone, NOW - 2 * DAY, 'first-seen'],
      ],
    },
    {
      name: 'a running container: used now, and so is its base',
      containers: [[ci1, { name: 'web', state: 'running' }]],
      expect: [
        [ci1, NOW, 'container-running'],
        [base, NOW, 'base-of-used'],
        [ci2, NOW - 5 * DAY, 'first-seen'],
      ],
    },
    {
      name: 'paused and restarting count as running',
      containers: [
        [ci1, { name: 'a', state: 'paused' }],
        [lone, { name: 'b', state: 'restarting' }],
      ],
      expect: [
        [ci1, NOW, 'container-running'],
        [lone, NOW, 'container-running'],
      ],
    },
    {
      name: 'created and exited containers: their creation time',
      containers: [
        [ci1, { name: 'a', state: 'created' }],
        [lone, { name: 'b', state: 'exited' }],
      ],
      expect: [
        [ci1, NOW - HOUR, 'container-created'],
        [lone, NOW - HOUR, 'container-exited'],
        [base, NOW - HOUR, 'base-of-used'],
      ],
    },
    {
      name: 'image events at their time, by ID or by reference',
      activity: [
        { time: NOW - 3 * HOUR, action: 'pull', reference: 'docker.io/library/tool:1' },
        { time: NOW - 2 * HOUR, action: 'tag', imageId: ci2.id, reference: 'docker.io/library/app:ci-2' },
        { time: NOW - 90 * MIN, action: 'untag', imageId: ci1.id },
        { time: NOW - 80 * MIN, action: 'delete', imageId: ci1.id },
      ],
      expect: [
        [lone, NOW - 3 * HOUR, 'pulled'],
        [ci2, NOW - 2 * HOUR, 'tagged'],
        [ci1, NOW - 10 * DAY, 'first-seen'],
        [base, NOW - 2 * HOUR, 'base-of-used'],
      ],
    },
    {
      name: 'load, import and build events',
      activity: [
        { time: NOW - 5 * HOUR, action: 'load', imageId: ci1.id },
        { time: NOW - 4 * HOUR, action: 'import', imageId: lone.id },
        { time: NOW - 3 * HOUR, action: 'build', reference: 'docker.io/library/app:ci-2' },
      ],
      expect: [
        [ci1, NOW - 5 * HOUR, 'loaded'],
        [lone, NOW - 4 * HOUR, 'loaded'],
        [ci2, NOW - 3 * HOUR, 'built'],
      ],
    },
    {
      name: 'container create/start activity: the image as typed, or its ID',
      activity: [
        { time: NOW - 6 * HOUR, action: 'container-create', reference: 'docker.io/library/app:ci-1' },
        { time: NOW - 5 * HOUR, action: 'container-start', reference: 'docker.io/library/app:ci-1' },
        { time: NOW - 4 * HOUR, action: 'container-create', imageId: lone.id },
      ],
      expect: [
        [ci1, NOW - 5 * HOUR, 'container-running'],
        [lone, NOW - 4 * HOUR, 'container-created'],
      ],
    },
    {
      name: 'the current build: used now',
      current: [ci2.id],
      expect: [
        [ci2, NOW, 'current-build'],
        [base, NOW, 'base-of-used'],
        [ci1, NOW - 10 * DAY, 'first-seen'],
      ],
    },
    {
      name: 'events from a clock ahead are capped at now',
      activity: [{ time: NOW + DAY, action: 'pull', imageId: lone.id }],
      expect: [[lone, NOW, 'pulled']],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const snap = snapshot(
        [base, ci1, ci2, lone],
        (c.containers ?? []).map((args) => container(...args)),
        c.activity ?? [],
      );
      const { record, regrets } = observe(emptyRecord(), snap, NOW, { currentImageIds: c.current, regretWindowMs: WEEK });
      assert.deepEqual(regrets, []);
      for (const [img, time, why] of c.expect) {
        const e = entry(record, img);
        assert.deepEqual([e.lastUsed, e.why], [time, why], `${img.tags[0]}`);
        assert.equal(e.firstSeen, NOW);
      }
    });
  }

  it('keeps what it knew, raises it with new uses, never lowers it', () => {
    const first = observe(emptyRecord(), snapshot([base, ci1], [container(ci1, { name: 'web' })]), NOW, { regretWindowMs: WEEK }).record;
    assert.equal(entry(first, ci1).lastUsed, NOW);
    const later = NOW + DAY;
    const second = observe(first, { ...snapshot([base, ci1]), takenAt: later }, later, { regretWindowMs: WEEK }).record;
    assert.deepEqual([entry(second, ci1).lastUsed, entry(second, ci1).why, entry(second, ci1).firstSeen], [NOW, 'container-running', NOW]);
    assert.equal(second.lastRunAt, later);
  });

  it('a base is not a base of an image with the same layers, only of longer chains', () => {
    const twin = image({ tags: ['twin:1'], ageHours: 100, layers: base.layers });
    const { record } = observe(emptyRecord(), snapshot([base, twin], [container(twin, { name: 't' })]), NOW, { regretWindowMs: WEEK });
    assert.equal(entry(record, twin).lastUsed, NOW);
    assert.equal(entry(record, base).why, 'first-seen');
  });

  it('propagates through several levels (base of a base)', () => {
    const mid = derived(base, { tags: ['mid:1'], ageHours: 200 });
    const top = derived(mid, { tags: ['top:1'], ageHours: 100 });
    const { record } = observe(emptyRecord(), snapshot([top, mid, base], [container(top, { name: 't' })]), NOW, { regretWindowMs: WEEK });
    for (const img of [mid, base]) assert.deepEqual([entry(record, img).lastUsed, entry(record, img).why], [NOW, 'base-of-used']);
  });

  it('drops images no longer present; keeps the references of an image that lost its tags', () => {
    const first = observe(emptyRecord(), snapshot([base, ci1, ci2]), NOW, { regretWindowMs: WEEK }).record;
    const untagged = { ...ci1, tags: [] };
    const second = observe(first, snapshot([base, untagged]), NOW + HOUR, { regretWindowMs: WEEK }).record;
    assert.deepEqual(Object.keys(second.images).sort(), [base.id, ci1.id].sort());
    assert.deepEqual(entry(second, ci1).references, ['docker.io/library/app:ci-1']);
    assert.equal(entry(second, ci1).layersKey, layersKeyOf(ci1.layers));
  });

  it('does not change its input', () => {
    const first = observe(emptyRecord(), snapshot([base, ci1]), NOW, { regretWindowMs: WEEK }).record;
    const copy = JSON.parse(JSON.stringify(first));
    observe(first, snapshot([ci2], [container(ci2, { name: 'x' })]), NOW + HOUR, { currentImageIds: [ci2.id], regretWindowMs: WEEK });
    assert.deepEqual(first, copy);
  });
});

describe('usage record: regrets', () => {
  const app = image({ tags: ['app:ci-1'], ageHours: 48, layers: ['l:a', 'l:b'] });
  /** The same content rebuilt or re-pulled: another config (ID), the same layers. */
  const rebuilt = image({ name: 'rebuilt', tags: ['app:ci-1'], ageHours: 1, layers: ['l:a', 'l:b'] });
  const other = image({ tags: ['other:1'], ageHours: 1, layers: ['l:x'] });
  const WINDOW = 7 * DAY;

  const removedRecord = (at: number) => {
    const seen = observe(emptyRecord(), snapshot([app]), at - HOUR, { regretWindowMs: WEEK }).record;
    return recordRemovals(seen, [{ imageId: app.id, references: app.tags, layers: app.layers }], at);
  };

  const cases: { name: string; removedAgo: number; back: ImageRecord; regret: boolean; sameId?: boolean }[] = [
    { name: 'same ID back within the window', removedAgo: 2 * DAY, back: app, regret: true, sameId: true },
    { name: 'same layers under another ID within the window', removedAgo: 2 * DAY, back: rebuilt, regret: true, sameId: false },
    { name: 'same ID back after the window', removedAgo: 8 * DAY, back: app, regret: false },
    { name: 'same layers back after the window', removedAgo: 8 * DAY, back: rebuilt, regret: false },
    { name: 'something else arriving', removedAgo: HOUR, back: other, regret: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = removedRecord(NOW - c.removedAgo);
      assert.equal(before.images[app.id], undefined, 'recordRemovals drops the image');
      const { record, regrets } = observe(before, snapshot([c.back]), NOW, { regretWindowMs: WINDOW });
      if (c.regret) {
        assert.deepEqual(regrets, [
          { imageId: c.back.id, references: ['docker.io/library/app:ci-1'], removedAt: NOW - c.removedAgo, returnedAt: NOW, sameId: c.sameId },
        ]);
        assert.deepEqual(record.removed, {}, 'a regret is reported once');
        assert.equal(entry(record, c.back).firstSeen, NOW);
      } else {
        assert.deepEqual(regrets, []);
      }
      if (c.removedAgo > WINDOW) assert.deepEqual(record.removed, {}, 'removals older than the window are forgotten');
      if (!c.regret && c.removedAgo <= WINDOW) assert.ok(record.removed[app.id]);
    });
  }

  it('an image present all along with the same layers is no regret', () => {
    const seen = observe(emptyRecord(), snapshot([app, rebuilt]), NOW - DAY, { regretWindowMs: WEEK }).record;
    const removed = recordRemovals(seen, [{ imageId: app.id, references: app.tags, layers: app.layers }], NOW - HOUR);
    assert.deepEqual(observe(removed, snapshot([rebuilt]), NOW, { regretWindowMs: WEEK }).regrets, []);
  });

  it('the default window is 7 days', () => {
    assert.equal(observe(removedRecord(NOW - 6 * DAY), snapshot([app]), NOW, { regretWindowMs: WEEK }).regrets.length, 1);
    assert.equal(observe(removedRecord(NOW - 8 * DAY), snapshot([app]), NOW, { regretWindowMs: WEEK }).regrets.length, 0);
  });
});

describe('usage record: scale', function () {
  this.timeout(60_000);
  // A correctness check at scale; its speed belongs to the benchmarks (no timed assertion here).
  it('observes 100,000 images (shared bases, containers, events): every image recorded, bases used as recently as their builds', () => {
    const { snap, ids } = syntheticSnapshot(100_000);
    const first = observe(emptyRecord(), snap, NOW, { currentImageIds: ids.slice(0, 10), regretWindowMs: WEEK });
    const second = observe(first.record, { ...snap, takenAt: NOW + HOUR }, NOW + HOUR, { regretWindowMs: WEEK });
    assert.equal(Object.keys(second.record.images).length, 100_000);
    // Bases: every base is used at least as recently as the latest build on it.
    assert.equal(second.record.images[ids[0]!]!.why, 'container-running');
  });
});

/** 100 bases of 5 layers; each image = a base + 1..4 own layers; 1000 containers; 256 events. */
export function syntheticSnapshot(count: number): { snap: ReturnType<typeof snapshot>; ids: string[] } {
  const images: ImageRecord[] = [];
  const ids: string[] = [];
  for (let b = 0; b < 100; b++) {
    const layers = Array.from({ length: 5 }, (_, l) => `sha256:base-${b}-${l}`);
    const img: ImageRecord = { id: fakeId(`base-${b}`), tags: [`docker.io/library/base${b}:1`], digests: [], created: NOW - 400 * DAY, size: 1, labels: {}, layers };
    images.push(img);
  }
  for (let i = images.length; i < count; i++) {
    const base = images[i % 100]!;
    const own = Array.from({ length: 1 + (i % 4) }, (_, l) => `sha256:own-${i}-${l}`);
    images.push({
      id: fakeId(`img-${i}`),
      tags: [`docker.io/team/app${i % 1000}:ci-${i}`],
      digests: [],
      created: NOW - (i % 365) * DAY,
      size: 1,
      labels: {},
      layers: [...base.layers, ...own],
    });
  }
  // the first ID is a running build; the rest of the containers exited
  const order = [images[100]!, ...images.filter((_, i) => i > 100)];
  for (const img of order) ids.push(img.id);
  const containers = order.slice(0, 1000).map((img, n) => container(img, { name: `c${n}`, state: n === 0 ? 'running' : 'exited' }));
  const activity: ImageActivity[] = order.slice(0, 256).map((img, n) => ({ time: NOW - n * MIN, action: 'pull', reference: img.tags[0] }));
  return { snap: snapshot(images, containers, activity), ids };
}
