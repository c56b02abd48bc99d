import assert from 'node:assert/strict';
import { buildCachePrunePlan, pruneBuildCache } from '../../../src/app/build-cache';
import { removeStoppedContainers } from '../../../src/app/containers';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { FakeEngine } from '../../support/fake-engine';
import { HOUR, NOW, image, snapshot } from '../../support/snapshot-fixtures';

const DOCKER = { kind: 'docker', version: '20.10.24', apiVersion: '1.41' };

describe('build cache', () => {
  describe('buildCachePrunePlan: parameters per API version', () => {
    const cases: [api: string, raw: RawSettings, plan: unknown][] = [
      ['1.41', { 'build-cache-keep': '10GB' }, { queries: [{ all: true, 'keep-storage': 10e9 }] }],
      ['1.47', { 'build-cache-max-age': '2d' }, { queries: [{ all: true, filters: { until: ['172800s'] } }] }],
      ['1.39', { 'build-cache-max-age': '90m' }, { queries: [{ all: true, filters: { 'unused-for': ['5400s'] } }] }],
      ['1.48', { 'build-cache-keep': '5GB' }, { queries: [{ all: true, 'reserved-space': 5e9, 'max-used-space': 5e9 }] }],
      ['1.51', { 'build-cache-keep': '1GB', 'build-cache-max-age': '1h' }, { queries: [{ all: true, filters: { until: ['3600s'] } }, { all: true, 'reserved-space': 1e9, 'max-used-space': 1e9 }] }],
      ['1.44', { 'build-cache-keep': '1GB', 'build-cache-max-age': '1h' }, { queries: [{ all: true, filters: { until: ['3600s'] } }, { all: true, 'keep-storage': 1e9 }] }],
      ['1.38', { 'build-cache-keep': '1GB' }, { skip: 'engine API 1.38 predates build-cache limits (1.39)' }],
      ['', { 'build-cache-keep': '1GB' }, { skip: 'unknown engine API version ""' }],
    ];
    for (const [i, [api, raw, plan]] of cases.entries()) {
      it(`${i + 1}. API ${api} ${JSON.stringify(raw)}`, () => assert.deepEqual(buildCachePrunePlan(api, parseSettings(raw).buildCache), plan));
    }
  });

  it('9. off unless a limit is set', async () => {
    const engine = new FakeEngine();
    assert.equal(await pruneBuildCache(engine, DOCKER, parseSettings({})), undefined);
    assert.deepEqual(engine.calls, []);
  });

  it('10. sums SpaceReclaimed over the calls', async () => {
    const engine = new FakeEngine();
    engine.buildPrune = (q) => ({ status: 'done', spaceReclaimed: q.filters ? 100 : 50, cachesDeleted: 1 });
    const r = await pruneBuildCache(engine, DOCKER, parseSettings({ 'build-cache-keep': '1GB', 'build-cache-max-age': '1d' }));
    assert.deepEqual({ status: r?.status, bytes: r?.spaceReclaimed, n: r?.cachesDeleted }, { status: 'pruned', bytes: 150, n: 2 });
  });

  it('11. an engine without the endpoint (404/501) is skipped with a note', async () => {
    const engine = new FakeEngine();
    engine.buildPrune = () => ({ status: 'unsupported', message: '404: page not found' });
    const r = await pruneBuildCache(engine, { kind: 'podman', version: '4.3.1', apiVersion: '1.41' }, parseSettings({ 'build-cache-keep': '1GB' }));
    assert.equal(r?.status, 'skipped');
    assert.match(r!.note!, /podman engine has no build-cache endpoint \(404: page not found\)/);
  });

  it('12. dry run sends nothing; errors are reported, never thrown', async () => {
    const engine = new FakeEngine();
    const dry = await pruneBuildCache(engine, DOCKER, parseSettings({ 'build-cache-keep': '1GB', 'dry-run': true }));
    assert.equal(dry?.status, 'planned');
    assert.deepEqual(engine.calls, []);
    engine.buildPrune = () => new Error('a prune operation is already running');
    const failed = await pruneBuildCache(engine, DOCKER, parseSettings({ 'build-cache-keep': '1GB' }));
    assert.equal(failed?.status, 'failed');
    assert.match(failed!.note!, /already running/);
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
