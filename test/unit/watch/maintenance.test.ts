import assert from 'node:assert/strict';
import { chooseCacheRecords, pruneBuildCache } from '../../../src/app/build-cache';
import type { BuildCacheRecord } from '../../../src/planner/snapshot';
import { removeStoppedContainers } from '../../../src/app/containers';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { FakeEngine } from '../../support/fake-engine';
import { HOUR, NOW, image, snapshot } from '../../support/snapshot-fixtures';

const DOCKER = { kind: 'docker', version: '20.10.24', apiVersion: '1.41' };

describe('build cache', () => {
  /** A record last used `usedHoursAgo` before NOW. */
  const rec = (id: string, size: number, usedHoursAgo: number, more: Partial<BuildCacheRecord> = {}): BuildCacheRecord => ({
    id, parents: [], type: 'regular', description: `rec ${id}`, inUse: false, shared: false, size, created: NOW - 100 * HOUR, lastUsed: NOW - usedHoursAgo * HOUR, ...more,
  });
  // a <- b (b builds on a), c alone, d in use, e used 10 minutes ago, f shared with an image
  const RECORDS = [
    rec('a', 100, 50),
    rec('b', 200, 40, { parents: ['a'] }),
    rec('c', 300, 30),
    rec('d', 400, 60, { inUse: true }),
    rec('e', 500, 1 / 6),
    rec('f', 600, 70, { shared: true }),
  ];

  describe('chooseCacheRecords: which records go, in which order', () => {
    const cases: [name: string, raw: RawSettings, records: BuildCacheRecord[], prune: string[]][] = [
      ['max-age 35h: a and b are older, b (the child) before a', { 'build-cache-max-age': '35h' }, RECORDS, ['b:max-age', 'a:max-age']],
      ['max-age 45h: only a is that old, but its child b stays, so a stays', { 'build-cache-max-age': '45h' }, RECORDS, []],
      // total (not shared) 1500; in use d and young e count but cannot go
      ['keep 1200: least recently used first until it fits', { 'build-cache-keep': '1200B' }, RECORDS, ['b:keep', 'a:keep']],
      ['keep 0: everything that may go, children first; in use, young and shared stay', { 'build-cache-keep': '0' }, RECORDS, ['b:keep', 'a:keep', 'c:keep']],
      ['keep 2000: it fits already', { 'build-cache-keep': '2000B' }, RECORDS, []],
      ['min-age 0: the record used 10 minutes ago may go too', { 'build-cache-keep': '0', 'min-age': '0' }, RECORDS, ['b:keep', 'a:keep', 'c:keep', 'e:keep']],
      ['age first, then size', { 'build-cache-max-age': '35h', 'build-cache-keep': '1000B' }, RECORDS, ['b:max-age', 'a:max-age', 'c:keep']],
      ['a record without LastUsedAt counts from its creation', { 'build-cache-max-age': '90h' }, [rec('n', 10, 0, { lastUsed: undefined })], ['n:max-age']],
    ];
    for (const [i, [name, raw, records, prune]] of cases.entries()) {
      it(`${i + 1}. ${name}`, () => {
        const settings = parseSettings(raw);
        const choice = chooseCacheRecords(records, settings.buildCache, { now: NOW, minAgeMs: settings.minAgeMs });
        assert.deepEqual(choice.prune.map((p) => `${p.record.id}:${p.why}`), prune);
      });
    }

    it(`${cases.length + 1}. says what it left alone and why`, () => {
      const choice = chooseCacheRecords(RECORDS, parseSettings({ 'build-cache-keep': '0' }).buildCache, { now: NOW, minAgeMs: HOUR });
      assert.deepEqual(choice.kept, { inUse: 1, young: 1, shared: 1 });
    });
  });

  it('10. off unless a limit is set', async () => {
    const engine = new FakeEngine();
    assert.equal(await pruneBuildCache(engine, DOCKER, parseSettings({})), undefined);
    assert.deepEqual(engine.calls, []);
  });

  it('11. one prune per chosen record, by its id; never a daemon-wide prune; SpaceReclaimed summed', async () => {
    const engine = new FakeEngine();
    engine.buildCache = RECORDS;
    engine.buildPrune = (q) => ({ status: 'done', spaceReclaimed: RECORDS.find((r) => r.id === q.filters!.id![0])!.size, cachesDeleted: 1, deletedIds: q.filters!.id });
    const r = await pruneBuildCache(engine, DOCKER, parseSettings({ 'build-cache-keep': '0' }), { now: NOW });
    assert.deepEqual(engine.calls, ['build cache', ...['b', 'a', 'c'].map((id) => `build prune ${JSON.stringify({ all: true, filters: { id: [id] } })}`)]);
    assert.deepEqual({ status: r?.status, bytes: r?.spaceReclaimed, n: r?.cachesDeleted, warnings: r?.warnings }, { status: 'pruned', bytes: 600, n: 3, warnings: [] });
    assert.deepEqual(r!.records.map((x) => [x.id, x.status, x.reclaimed]), [['b', 'pruned', 200], ['a', 'pruned', 100], ['c', 'pruned', 300]]);
    assert.deepEqual(r!.kept, { inUse: 1, young: 1, shared: 1 });
  });

  it('12. a record the engine deleted that was not chosen is an incident; one it deleted nothing for is a skip', async () => {
    const engine = new FakeEngine();
    engine.buildCache = [rec('a', 100, 50), rec('c', 300, 30)];
    engine.buildPrune = (q) => (q.filters!.id![0] === 'a' ? { status: 'done', spaceReclaimed: 900, cachesDeleted: 2, deletedIds: ['a', 'zz'] } : { status: 'done', spaceReclaimed: 0, cachesDeleted: 0, deletedIds: [] });
    const r = await pruneBuildCache(engine, DOCKER, parseSettings({ 'build-cache-keep': '0' }), { now: NOW });
    assert.equal(r!.warnings.length, 1);
    assert.match(r!.warnings[0]!, /^incident: pruning build cache record a also deleted zz/);
    assert.deepEqual(r!.records.map((x) => [x.id, x.status]), [['a', 'pruned'], ['c', 'skipped']]);
  });

  it('13. an engine without the endpoint (404/501), or Podman, is skipped with a note', async () => {
    const engine = new FakeEngine();
    engine.buildCache = [rec('a', 100, 50)];
    engine.buildPrune = () => ({ status: 'unsupported', message: '404: page not found' });
    const r = await pruneBuildCache(engine, DOCKER, parseSettings({ 'build-cache-keep': '0' }), { now: NOW });
    assert.equal(r?.status, 'skipped');
    assert.match(r!.note!, /docker engine has no build-cache endpoint \(404: page not found\)/);
    const podman = await pruneBuildCache(new FakeEngine(), { kind: 'podman', version: '4.3.1', apiVersion: '1.41' }, parseSettings({ 'build-cache-keep': '1GB' }));
    assert.equal(podman?.status, 'skipped');
    assert.match(podman!.note!, /Podman has no build-cache endpoint/);
    const old = await pruneBuildCache(new FakeEngine(), { ...DOCKER, apiVersion: '1.38' }, parseSettings({ 'build-cache-keep': '1GB' }));
    assert.match(old!.note!, /engine API 1.38 predates build-cache filters \(1.39\)/);
  });

  it('14. dry run lists and chooses but prunes nothing; errors are reported, never thrown, and stop the pruning', async () => {
    const engine = new FakeEngine();
    engine.buildCache = RECORDS;
    const dry = await pruneBuildCache(engine, DOCKER, parseSettings({ 'build-cache-keep': '0', 'dry-run': true }), { now: NOW });
    assert.equal(dry?.status, 'planned');
    assert.deepEqual(dry!.records.map((x) => [x.id, x.status]), [['b', 'planned'], ['a', 'planned'], ['c', 'planned']]);
    assert.deepEqual(engine.calls, ['build cache']);
    engine.buildPrune = () => new Error('a prune operation is already running');
    const failed = await pruneBuildCache(engine, DOCKER, parseSettings({ 'build-cache-keep': '0' }), { now: NOW });
    assert.equal(failed?.status, 'failed');
    assert.match(failed!.note!, /already running/);
    assert.equal(engine.calls.filter((c) => c.startsWith('build prune')).length, 1, 'the first failed, then it stopped');
  });
});

describe('stopped containers', () => {
  const img = image({ tags: ['app:ci-1'] });
  function engineWith(containers: { name: string; state: string; ageHours: number; finishedHoursAgo?: number; labels?: Record<string, string>; image?: string }[]) {
    const engine = new FakeEngine(snapshot([img]));
    for (const c of containers) {
      engine.containers.set(`c-${c.name}`, {
        id: `c-${c.name}`,
        name: c.name,
        image: c.image ?? 'app:ci-1',
        imageId: img.id,
        state: c.state,
        created: NOW - c.ageHours * HOUR,
        labels: c.labels ?? {},
        finishedAt: c.finishedHoursAgo === undefined ? undefined : NOW - c.finishedHoursAgo * HOUR,
      });
    }
    return engine;
  }
  const run = (engine: FakeEngine, raw: RawSettings) => removeStoppedContainers(engine, parseSettings(raw), { now: NOW });

  it('1. off unless containers-older-than is set', async () => {
    const engine = engineWith([{ name: 'old', state: 'exited', ageHours: 100 }]);
    assert.equal(await run(engine, {}), undefined);
    assert.deepEqual(engine.calls, []);
  });

  describe('which containers go', () => {
    const cases: { name: string; state: string; ageHours: number; finishedHoursAgo?: number; labels?: Record<string, string>; image?: string; raw?: RawSettings; status: string | undefined }[] = [
      { name: 'exited-old', state: 'exited', ageHours: 48, finishedHoursAgo: 30, status: 'removed' },
      { name: 'created-old', state: 'created', ageHours: 48, status: 'removed' },
      { name: 'dead-old', state: 'dead', ageHours: 48, status: 'removed' },
      { name: 'running-old', state: 'running', ageHours: 480, status: undefined },
      { name: 'paused-old', state: 'paused', ageHours: 480, status: undefined },
      { name: 'restarting-old', state: 'restarting', ageHours: 480, status: undefined },
      { name: 'exited-young', state: 'exited', ageHours: 2, status: undefined },
      { name: 'finished-just-now', state: 'exited', ageHours: 48, finishedHoursAgo: 1, status: undefined },
      { name: 'protected', state: 'exited', ageHours: 48, labels: { keep: '' }, raw: { 'protect-label': 'keep' }, status: undefined },
      { name: 'label-other-value', state: 'exited', ageHours: 48, labels: { tier: 'ci' }, raw: { 'protect-label': 'tier=base' }, status: 'removed' },
      { name: 'out-of-scope', state: 'exited', ageHours: 48, image: 'other:1', raw: { repositories: 'web' }, status: undefined },
      { name: 'in-scope', state: 'exited', ageHours: 48, raw: { repositories: 'app' }, status: 'removed' },
      { name: 'dry-run', state: 'exited', ageHours: 48, raw: { 'dry-run': true }, status: 'planned' },
    ];
    for (const [i, c] of cases.entries()) {
      it(`${i + 2}. ${c.name} -> ${c.status ?? 'left alone'}`, async () => {
        const engine = engineWith([c]);
        const r = await run(engine, { 'containers-older-than': '1d', ...(c.raw ?? {}) });
        assert.deepEqual(r!.results.map((x) => x.status), c.status ? [c.status] : []);
        const removed = engine.calls.includes(`remove container c-${c.name}`);
        assert.equal(removed, c.status === 'removed');
        assert.equal(engine.containers.has(`c-${c.name}`), c.status !== 'removed');
      });
    }
  });

  it('15. reported like image removals: id, name, image, state, age, status', async () => {
    const engine = engineWith([{ name: 'build-42', state: 'exited', ageHours: 72, finishedHoursAgo: 50 }]);
    const r = await run(engine, { 'containers-older-than': '2d' });
    assert.deepEqual(r!.results, [{ id: 'c-build-42', name: 'build-42', image: 'app:ci-1', state: 'exited', ageMs: 50 * HOUR, status: 'removed' }]);
    assert.deepEqual(r!.counts, { removed: 1, skipped: 0, failed: 0, protected: 0, young: 0, active: 0 });
  });

  it('16. started again since listing: skipped, never forced', async () => {
    const engine = engineWith([{ name: 'revived', state: 'exited', ageHours: 72 }]);
    const orig = engine.inspectContainer.bind(engine);
    engine.inspectContainer = async (id) => ({ ...(await orig(id))!, status: 'running' });
    const r = await run(engine, { 'containers-older-than': '1d' });
    assert.deepEqual(r!.results.map((x) => [x.status, x.note]), [['skipped', 'running since listing']]);
    assert.equal(engine.calls.some((c) => c.startsWith('remove container')), false);
  });

  it('17. 409 is skipped, 404 is gone, an error is failed; the others still go', async () => {
    const engine = engineWith([
      { name: 'a', state: 'exited', ageHours: 72 },
      { name: 'b', state: 'exited', ageHours: 72 },
      { name: 'c', state: 'exited', ageHours: 72 },
      { name: 'd', state: 'exited', ageHours: 72 },
    ]);
    engine.beforeRemoveContainer = (id) => {
      if (id === 'c-a') engine.containers.get(id)!.state = 'running';
      if (id === 'c-b') engine.containers.delete(id);
      if (id === 'c-c') throw new Error('socket hang up');
    };
    const r = await run(engine, { 'containers-older-than': '1d' });
    assert.deepEqual(r!.results.map((x) => [x.name, x.status]), [['a', 'skipped'], ['b', 'gone'], ['c', 'failed'], ['d', 'removed']]);
    assert.deepEqual(r!.counts, { removed: 2, skipped: 1, failed: 1, protected: 0, young: 0, active: 0 });
  });

  it('18. an aborted signal starts no further removal', async () => {
    const engine = engineWith([{ name: 'a', state: 'exited', ageHours: 72 }, { name: 'b', state: 'exited', ageHours: 72 }]);
    const controller = new AbortController();
    const r = await removeStoppedContainers(engine, parseSettings({ 'containers-older-than': '1d' }), { now: NOW, signal: controller.signal, onResult: () => controller.abort() });
    assert.deepEqual(r!.results.map((x) => x.name), ['a']);
  });

  it('19. an adapter without container methods: skipped with a note', async () => {
    const bare = { snapshot: async () => snapshot([]), inspectImage: async () => undefined, removeImage: async () => ({ status: 'gone' as const }), diskUsage: async () => ({ imagesBytes: 0 }) };
    const r = await removeStoppedContainers(bare, parseSettings({ 'containers-older-than': '1d' }), { now: NOW });
    assert.match(r!.notes[0]!, /cannot list or remove containers/);
  });
});
