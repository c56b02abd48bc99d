// The record's fields the cost order and what-if read (uses, arrived, buildMs): how two agents'
// records merge them, how the stored JSON reads them (records written before them, damaged
// values, the USES_KEPT limit), and how observing the engine fills them in.
import { strict as assert } from 'node:assert';
import { parseRecord } from '../../../src/usage/codec';
import { mergeRecords, rebase } from '../../../src/usage/merge';
import { observe } from '../../../src/usage/observe';
import { emptyRecord, lastUsedMap, USES_KEPT, type RemovedEntry, type UsageEntry, type UsageRecord } from '../../../src/usage/record';
import { recordRemovals } from '../../../src/usage/removals';
import { container, DAY, derived, HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

const MIN = 60_000;
const WEEK = 7 * DAY;
const ID = 'sha256:' + 'a'.repeat(64);

const entry = (extra: Partial<UsageEntry> = {}): UsageEntry => ({ firstSeen: 10, lastUsed: 50, why: 'pulled', references: ['x:1'], layersKey: 'k', ...extra });
const rec = (e: Partial<UsageEntry> | undefined, removed?: Partial<RemovedEntry>): UsageRecord => ({
  version: 1,
  updatedAt: 100,
  images: e ? { [ID]: entry(e) } : {},
  removed: removed ? { [ID]: { removedAt: 60, references: [], layersKey: 'k', ...removed } } : {},
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** The three fields of the merged entry, absent ones left out. */
const fields = (e: UsageEntry | RemovedEntry | undefined) => {
  const { uses, buildMs } = e ?? {};
  const arrived = e && 'arrived' in e ? e.arrived : undefined;
  return { ...(uses ? { uses } : {}), ...(arrived ? { arrived } : {}), ...(buildMs !== undefined ? { buildMs } : {}) };
};

describe('usage record: uses, arrived and buildMs', () => {
  describe('merging two agents\' entries', () => {
    const cases: { what: string; a: Partial<UsageEntry>; b: Partial<UsageEntry>; merged: ReturnType<typeof fields> }[] = [
      { what: 'neither has them (records before the fields): none appear', a: {}, b: {}, merged: {} },
      { what: 'one has them: taken as they are', a: { uses: [20, 50], arrived: 'pulled', buildMs: 0 }, b: {}, merged: { uses: [20, 50], arrived: 'pulled', buildMs: 0 } },
      { what: 'uses: the union of distinct times, ascending', a: { uses: [20, 50] }, b: { uses: [30, 50, 40] }, merged: { uses: [20, 30, 40, 50] } },
      { what: `uses: at most ${USES_KEPT}, the latest`, a: { uses: range(1, 6) }, b: { uses: range(5, 12) }, merged: { uses: range(5, 12) } },
      { what: 'arrived: one of two, the same whichever agent merges', a: { arrived: 'pulled' }, b: { arrived: 'built' }, merged: { arrived: 'built' } },
      { what: 'arrived: known beats unknown', a: {}, b: { arrived: 'loaded' }, merged: { arrived: 'loaded' } },
      { what: 'buildMs: the longer build (what a rebuild takes at most)', a: { buildMs: 90_000 }, b: { buildMs: 300_000 }, merged: { buildMs: 300_000 } },
      { what: 'buildMs: 0 is a time, not absent', a: { buildMs: 0 }, b: {}, merged: { buildMs: 0 } },
    ];
    for (const c of cases) {
      it(c.what, () => {
        for (const [x, y] of [[c.a, c.b], [c.b, c.a]] as const) assert.deepEqual(fields(mergeRecords(rec(x), rec(y)).images[ID]), c.merged);
      });
    }

    const removedCases: { what: string; a: Partial<RemovedEntry>; b: Partial<RemovedEntry>; merged: ReturnType<typeof fields> }[] = [
      { what: 'removed entries: uses joined and capped, the longer buildMs', a: { uses: range(1, 5), buildMs: 1000 }, b: { uses: range(4, 10), buildMs: 2000 }, merged: { uses: range(3, 10), buildMs: 2000 } },
      { what: 'removed entries without them stay without them', a: {}, b: {}, merged: {} },
    ];
    for (const c of removedCases) {
      it(c.what, () => {
        for (const [x, y] of [[c.a, c.b], [c.b, c.a]] as const) assert.deepEqual(fields(mergeRecords(rec(undefined, x), rec(undefined, y)).removed[ID]), c.merged);
      });
    }

    it('is a join on these fields too: commutative, associative, idempotent', () => {
      const samples = [rec({}), rec({ uses: [1, 2, 3], arrived: 'pulled' }), rec({ uses: range(4, 11), buildMs: 5 }), rec({ arrived: 'built', buildMs: 9 }), rec({ uses: [7], arrived: 'loaded' }, { uses: [2], buildMs: 3 })];
      const norm = (r: UsageRecord) => JSON.stringify(fields(r.images[ID])) + JSON.stringify(fields(r.removed[ID]));
      for (const x of samples) {
        assert.equal(norm(mergeRecords(x, x)), norm(x));
        for (const y of samples) {
          assert.equal(norm(mergeRecords(x, y)), norm(mergeRecords(y, x)));
          for (const z of samples) assert.equal(norm(mergeRecords(mergeRecords(x, y), z)), norm(mergeRecords(x, mergeRecords(y, z))));
        }
      }
    });

    it('rebase: uses another agent recorded meanwhile are kept beside ours', () => {
      const base = rec({ uses: [10] });
      const ours = rec({ uses: [10, 50], lastUsed: 50 });
      const theirs = rec({ uses: [10, 40], lastUsed: 40, buildMs: 7000 });
      assert.deepEqual(fields(rebase(base, ours, theirs).images[ID]), { uses: [10, 40, 50], buildMs: 7000 });
    });

    it('the planner gets them from the merged record', () => {
      const merged = mergeRecords(rec({ uses: [20, 50], arrived: 'built' }), rec({ uses: [30], buildMs: 60_000 }));
      assert.deepEqual(lastUsedMap(merged).get(ID), { time: 50, why: 'pulled', firstSeen: 10, uses: [20, 30, 50], arrived: 'built', buildMs: 60_000 });
    });
  });

  describe('stored JSON', () => {
    const stored = (e: Record<string, unknown>, removed?: Record<string, unknown>) =>
      JSON.stringify({
        version: 1,
        updatedAt: 100,
        images: { [ID]: { firstSeen: 10, lastUsed: 50, why: 'pulled', references: ['x:1'], layersKey: 'k', ...e } },
        removed: removed ? { [ID]: { removedAt: 60, references: [], layersKey: 'k', ...removed } } : {},
      });
    const cases: { what: string; json: string; image: ReturnType<typeof fields>; removed?: ReturnType<typeof fields> }[] = [
      { what: 'a record written before the fields reads as before, none added', json: stored({}, {}), image: {}, removed: {} },
      { what: 'all three read back', json: stored({ uses: [20, 50], arrived: 'built', buildMs: 1234 }, { uses: [5], buildMs: 9 }), image: { uses: [20, 50], arrived: 'built', buildMs: 1234 }, removed: { uses: [5], buildMs: 9 } },
      { what: 'uses out of order are sorted', json: stored({ uses: [50, 20, 30] }), image: { uses: [20, 30, 50] } },
      { what: `more than ${USES_KEPT} uses (another writer, an edit): the latest ${USES_KEPT}`, json: stored({ uses: range(1, 20).reverse() }, { uses: range(1, 9) }), image: { uses: range(13, 20) }, removed: { uses: range(2, 9) } },
      { what: 'uses not a list of numbers: left out, the entry kept', json: stored({ uses: [1, 'two'] }), image: {} },
      { what: 'uses empty: left out', json: stored({ uses: [] }), image: {} },
      { what: 'uses not a list: left out', json: stored({ uses: 5 }, { uses: 'x' }), image: {}, removed: {} },
      { what: 'an unknown arrival: left out', json: stored({ arrived: 'stolen' }), image: {} },
      { what: 'buildMs negative, text or null: left out', json: stored({ buildMs: -1 }, { buildMs: '9' }), image: {}, removed: {} },
      { what: 'buildMs null: left out', json: stored({ buildMs: null }), image: {} },
    ];
    for (const c of cases) {
      it(c.what, () => {
        const { record, warnings } = parseRecord(c.json, 'test');
        assert.deepEqual(warnings, []);
        assert.ok(record.images[ID], 'the entry is kept');
        assert.deepEqual(fields(record.images[ID]), c.image);
        if (c.removed) assert.deepEqual(fields(record.removed[ID]), c.removed);
      });
    }

    it('round-trips a record with all three fields, on images and removals', () => {
      const r: UsageRecord = { ...rec({ uses: [20, 50], arrived: 'loaded', buildMs: 5 }), removed: { ['sha256:' + 'b'.repeat(64)]: { removedAt: 70, references: ['y:1'], layersKey: 'q', uses: [1, 2], buildMs: 3 } } };
      assert.deepEqual(parseRecord(JSON.stringify(r), 'test'), { record: r, warnings: [] });
    });

    it('uses from the future are set to now and stay sorted', () => {
      const now = Date.UTC(2026, 11, 1);
      const { record } = parseRecord(stored({ uses: [now - DAY, now + 365 * DAY, now - 2 * DAY] }), 'test', now);
      assert.deepEqual(record.images[ID]!.uses, [now - 2 * DAY, now - DAY, now]);
    });
  });

  describe('observing the engine', () => {
    const base = image({ tags: ['node:20'], ageHours: 30 * 24, layers: ['l:node'] });

    it(`uses: one per distinct time (a pull and its container within a minute are one), the latest ${USES_KEPT} kept`, () => {
      const img = derived(base, { tags: ['app:1'], ageHours: 100 });
      let record = emptyRecord();
      for (let n = 0; n < 12; n++) {
        const at = NOW - (12 - n) * HOUR;
        const events = [{ time: at, action: 'pull', imageId: img.id, reference: 'app:1' }, { time: at + 30_000, action: 'container-create', imageId: img.id }];
        record = observe(record, snapshot([base, img], [], events), at + 5 * MIN, { regretWindowMs: WEEK }).record;
      }
      assert.deepEqual(record.images[img.id]!.uses, range(4, 11).map((n) => NOW - (12 - n) * HOUR));
    });

    const arrivals: { what: string; events: { action: string; at: number }[]; jobStartedAt?: number; created: number; arrived?: string; buildMs?: number }[] = [
      { what: 'a pull event: pulled, no build time', events: [{ action: 'pull', at: NOW - 10 * MIN }], created: NOW - 30 * DAY, arrived: 'pulled' },
      { what: 'a load event: loaded', events: [{ action: 'load', at: NOW - 10 * MIN }], created: NOW - 30 * DAY, arrived: 'loaded' },
      { what: 'created during the job whose start the front gave: built, in creation less start', events: [], jobStartedAt: NOW - 20 * MIN, created: NOW - 8 * MIN, arrived: 'built', buildMs: 12 * MIN },
      { what: 'created before the job started: not known to be built here', events: [], jobStartedAt: NOW - 20 * MIN, created: NOW - 2 * HOUR },
      { what: 'no job start given (watch): no build time', events: [], created: NOW - 8 * MIN },
    ];
    for (const c of arrivals) {
      it(`arrived/buildMs: ${c.what}`, () => {
        const img = image({ tags: ['new:1'], ageHours: (NOW - c.created) / HOUR, layers: ['l:new'] });
        const events = c.events.map((e) => ({ time: e.at, action: e.action, imageId: img.id, reference: 'new:1' }));
        const e = observe(emptyRecord(), snapshot([img], [], events), NOW, { regretWindowMs: WEEK, ...(c.jobStartedAt ? { jobStartedAt: c.jobStartedAt } : {}) }).record.images[img.id]!;
        assert.deepEqual([e.arrived, e.buildMs], [c.arrived, c.buildMs]);
      });
    }

    it('arrived and buildMs, once known, are not changed by later observations', () => {
      const img = image({ tags: ['new:1'], ageHours: 0.1, layers: ['l:new'] });
      const first = observe(emptyRecord(), snapshot([img]), NOW, { regretWindowMs: WEEK, jobStartedAt: NOW - 10 * MIN }).record;
      const later = observe(first, snapshot([img], [], [{ time: NOW + HOUR, action: 'pull', imageId: img.id, reference: 'new:1' }]), NOW + 2 * HOUR, { regretWindowMs: WEEK, jobStartedAt: NOW + HOUR }).record;
      assert.deepEqual([later.images[img.id]!.arrived, later.images[img.id]!.buildMs], ['built', 10 * MIN - 6 * MIN]);
    });

    it('a removed image that comes back takes up its uses and build time again', () => {
      const img = image({ tags: ['app:1'], ageHours: 100, layers: ['l:app'] });
      const seen = observe(emptyRecord(), snapshot([img], [container(img, { name: 'c', state: 'running' })]), NOW - DAY, { regretWindowMs: WEEK }).record;
      const withBuild: UsageRecord = { ...seen, images: { [img.id]: { ...seen.images[img.id]!, uses: [NOW - 3 * DAY, NOW - DAY], buildMs: 4000 } } };
      const removed = recordRemovals(withBuild, [{ imageId: img.id, references: ['app:1'], layers: img.layers }], NOW - HOUR);
      assert.deepEqual(fields(removed.removed[img.id]), { uses: [NOW - 3 * DAY, NOW - DAY], buildMs: 4000 });
      const back = observe(removed, snapshot([img], [], [{ time: NOW - MIN, action: 'pull', imageId: img.id, reference: 'app:1' }]), NOW, { regretWindowMs: WEEK }).record;
      assert.deepEqual(fields(back.images[img.id]), { uses: [NOW - 3 * DAY, NOW - DAY, NOW - MIN], arrived: 'pulled', buildMs: 4000 });
    });
  });
});
