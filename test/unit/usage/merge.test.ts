import { strict as assert } from 'node:assert';
import { mergeRecords, rebase } from '../../../src/usage/merge';
import { observe } from '../../../src/usage/observe';
import { emptyRecord, lastUsedMap, type UsageEntry, type UsageRecord, type UsageWhy } from '../../../src/usage/record';
import { recordRemovals } from '../../../src/usage/removals';
import { container, DAY, fakeId, HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

const MIN = 60_000;
/** The regret-window setting's default (the catalog's 7d). */
const WEEK = 7 * DAY;

describe('usage record: merge', () => {
  const id = (n: number) => fakeId(`m${n}`);
  const e = (firstSeen: number, lastUsed: number, why: UsageWhy, references: string[] = []): UsageEntry => ({
    firstSeen,
    lastUsed,
    why,
    references,
    layersKey: 'k',
  });
  const rec = (images: Record<string, UsageEntry>, removed: UsageRecord['removed'] = {}, updatedAt = 1, lastRunAt?: number): UsageRecord => ({
    version: 1,
    updatedAt,
    ...(lastRunAt === undefined ? {} : { lastRunAt }),
    images,
    removed,
  });

  const a = rec({ [id(1)]: e(10, 50, 'pulled', ['x:1']), [id(2)]: e(5, 20, 'tagged') }, { [id(9)]: { removedAt: 30, references: ['z:1'], layersKey: 'q' } }, 100, 90);
  const b = rec({ [id(1)]: e(12, 70, 'container-running', ['x:2']), [id(3)]: e(1, 2, 'first-seen') }, {}, 120);
  const c = rec({ [id(1)]: e(8, 70, 'built'), [id(2)]: e(5, 60, 'pulled') }, { [id(2)]: { removedAt: 40, references: [], layersKey: 'k' }, [id(9)]: { removedAt: 35, references: [], layersKey: 'q' } }, 110, 95);
  const d = rec({ [id(4)]: e(3, 3, 'current-build') }, { [id(4)]: { removedAt: 10, references: ['w:1'], layersKey: 'k' } });
  const samples = [a, b, c, d, emptyRecord()];
  const norm = (r: UsageRecord) => JSON.parse(JSON.stringify(r, Object.keys(flatKeys(r)).sort()));

  it('is commutative', () => {
    for (const x of samples) for (const y of samples) assert.deepEqual(norm(mergeRecords(x, y)), norm(mergeRecords(y, x)));
  });
  it('is associative', () => {
    for (const x of samples)
      for (const y of samples)
        for (const z of samples) assert.deepEqual(norm(mergeRecords(mergeRecords(x, y), z)), norm(mergeRecords(x, mergeRecords(y, z))));
  });
  it('is idempotent', () => {
    for (const x of samples) {
      assert.deepEqual(norm(mergeRecords(x, x)), norm(x));
      const xy = mergeRecords(x, b);
      assert.deepEqual(norm(mergeRecords(xy, b)), norm(xy));
    }
  });
  it('takes the earliest firstSeen, the latest use with its reason, all references, the latest removal', () => {
    const m = mergeRecords(a, b);
    assert.deepEqual(m.images[id(1)], e(10, 70, 'container-running', ['x:1', 'x:2']));
    assert.deepEqual([m.updatedAt, m.lastRunAt], [120, 90]);
    const t = mergeRecords(m, c);
    assert.equal(t.images[id(1)]!.why, 'container-running', 'same time: the stronger reason, whatever the order');
    assert.equal(t.removed[id(9)]!.removedAt, 35);
  });
  it('an image removed after its last use is gone for the planner; used after the removal it is back', () => {
    const m = mergeRecords(a, c);
    // id(2): lastUsed 60 > removedAt 40: used again after the removal.
    assert.equal(lastUsedMap(m).get(id(2))?.time, 60);
    // id(4): lastUsed 3 < removedAt 10: gone.
    assert.equal(lastUsedMap(mergeRecords(a, d)).has(id(4)), false);
    assert.deepEqual(lastUsedMap(mergeRecords(a, b)).get(id(1)), { time: 70, why: 'container-running', firstSeen: 10 });
  });

  it('concurrent runs merged in any order lose no update', () => {
    // Two agents start from the same stored record, each observes other containers.
    const img = (n: string, layers: string[]) => image({ name: n, tags: [`${n}:1`], ageHours: 100, layers });
    const base = img('base', ['b']);
    const x = img('x', ['b', 'x']);
    const y = img('y', ['b', 'y']);
    const stored = observe(emptyRecord(), snapshot([base, x, y]), NOW - DAY, { regretWindowMs: WEEK }).record;
    const agentA = observe(stored, snapshot([base, x, y], [container(x, { name: 'a' })]), NOW, { regretWindowMs: WEEK }).record;
    const agentB = observe(stored, snapshot([base, x, y], [container(y, { name: 'b', state: 'exited' })]), NOW + MIN, { regretWindowMs: WEEK }).record;
    const removedByB = recordRemovals(agentB, [{ imageId: fakeId('gone'), references: ['gone:1'], layers: ['g'] }], NOW + MIN);
    for (const merged of [mergeRecords(agentA, removedByB), mergeRecords(removedByB, agentA), rebase(stored, agentA, removedByB)]) {
      assert.deepEqual([merged.images[x.id]!.lastUsed, merged.images[x.id]!.why], [NOW, 'container-running']);
      assert.deepEqual([merged.images[y.id]!.lastUsed, merged.images[y.id]!.why], [NOW - HOUR, 'container-exited']);
      assert.equal(merged.images[base.id]!.lastUsed, NOW);
      assert.ok(merged.removed[fakeId('gone')]);
    }
  });
});

describe('usage record: rebase (store updates)', () => {
  const i1 = image({ tags: ['one:1'], ageHours: 10 });
  const i2 = image({ tags: ['two:1'], ageHours: 10 });
  const i3 = image({ tags: ['three:1'], ageHours: 10 });
  it('nobody else wrote: the change as it is (images dropped stay dropped)', () => {
    const base = observe(emptyRecord(), snapshot([i1, i2]), NOW, { regretWindowMs: WEEK }).record;
    const changed = observe(base, snapshot([i1]), NOW + HOUR, { regretWindowMs: WEEK }).record;
    assert.deepEqual(rebase(base, changed, base), changed);
  });
  it('another writer meanwhile: its additions and changes are kept', () => {
    const base = observe(emptyRecord(), snapshot([i1, i2]), NOW, { regretWindowMs: WEEK }).record;
    const changed = observe(base, snapshot([i1]), NOW + HOUR, { regretWindowMs: WEEK }).record;
    const other = observe(base, snapshot([i1, i2, i3], [container(i2, { name: 'x' })]), NOW + 2 * HOUR, { regretWindowMs: WEEK }).record;
    const result = rebase(base, changed, other);
    assert.deepEqual(Object.keys(result.images).sort(), [i1.id, i2.id, i3.id].sort());
    assert.equal(result.images[i2.id]!.why, 'container-running');
  });
});

function flatKeys(value: unknown, out: Record<string, true> = {}): Record<string, true> {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out[k] = true;
      flatKeys(v, out);
    }
  }
  return out;
}
