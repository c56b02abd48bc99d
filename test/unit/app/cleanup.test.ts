import { strict as assert } from 'node:assert';
import { MaxRemovalsExceededError, runCleanup } from '../../../src/app/cleanup';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { FakeEngine } from '../../support/fake-engine';
import { image, NOW, snapshot } from '../../support/snapshot-fixtures';

const fiveBuilds = () => [1, 2, 3, 4, 5].map((n) => image({ tags: [`app:ci-${n}`], ageHours: 100 - n }));

async function run(raw: RawSettings, engine: FakeEngine) {
  return runCleanup(parseSettings({ 'min-age': '0', ...raw }), { engine, clock: () => NOW });
}

describe('the cleanup use case', () => {
  it('1. snapshot, plan, apply, measure: counts and bytes', async () => {
    const imgs = fiveBuilds();
    const engine = new FakeEngine(snapshot(imgs));
    const report = await run({ keep: 2 }, engine);
    assert.equal(report.counts.removed, 3);
    assert.equal(report.counts.kept, 2);
    assert.equal(report.bytes.measured, 3000);
    assert.equal(report.bytes.predicted, 3000);
    assert.deepEqual([...engine.images].sort(), [imgs[3].id, imgs[4].id].sort());
  });

  it('1b. the engine cannot measure its disk use before the removals: the run fails and removes nothing', async () => {
    const engine = new FakeEngine(snapshot(fiveBuilds()));
    engine.diskUsage = async () => {
      engine.calls.push('df');
      throw new Error('system df: 500 server error');
    };
    await assert.rejects(run({ keep: 2 }, engine), /system df: 500/);
    assert.equal(engine.images.size, 5);
    assert.ok(!engine.calls.some((c) => c.startsWith('remove')));
  });

  it('1c. the engine cannot measure its disk use after the removals: the report keeps every result and says the bytes are predicted', async () => {
    const engine = new FakeEngine(snapshot(fiveBuilds()));
    let dfs = 0;
    const measure = engine.diskUsage.bind(engine);
    engine.diskUsage = async () => (++dfs === 1 ? measure() : Promise.reject(Object.assign(new Error('404'), { statusCode: 404, json: { message: 'snapshot does not exist: not found' } })));
    const report = await run({ keep: 2 }, engine);
    assert.equal(report.counts.removed, 3);
    assert.equal(report.results.length, 3);
    assert.equal(report.bytes.predicted, 3000);
    assert.equal(report.bytes.measured, undefined);
    assert.match(report.warnings.join('\n'), /did not measure its image disk use after the removals \(snapshot does not exist: not found\): the bytes freed are the plan's prediction/);
  });

  it('2. dry run removes nothing and asks no disk usage', async () => {
    const engine = new FakeEngine(snapshot(fiveBuilds()));
    const report = await run({ keep: 2, 'dry-run': true }, engine);
    assert.equal(report.dryRun, true);
    assert.equal(report.counts.removed, 3);
    assert.equal(engine.images.size, 5);
    assert.deepEqual(engine.calls, ['snapshot']);
  });

  it('3. the safety cap refuses the whole run and removes nothing', async () => {
    const engine = new FakeEngine(snapshot(fiveBuilds()));
    await assert.rejects(run({ keep: 2, 'max-removals': 2 }, engine), (e: unknown) => {
      assert.ok(e instanceof MaxRemovalsExceededError);
      assert.equal(e.planned, 3);
      assert.match(e.message, /max-removals is 2; nothing was removed/);
      return true;
    });
    assert.equal(engine.images.size, 5);
    assert.ok(!engine.calls.some((c) => c.startsWith('remove')));
  });

  it('4. a dry run over the cap says a real run would refuse', async () => {
    const engine = new FakeEngine(snapshot(fiveBuilds()));
    const report = await run({ keep: 2, 'max-removals': 1, 'dry-run': true }, engine);
    assert.match(report.warnings.join('\n'), /would refuse/);
  });

  // Where both reads cost the engine seconds (dockerd 28.2+ on the containerd store), a real run reads
  // system df beside the snapshot; elsewhere a run with nothing to do costs one snapshot only.
  const ENGINES: { engine: string; version: string; containerdStore: boolean; nothingToDo: string[]; dryRun: string[] }[] = [
    { engine: 'dockerd 20.10 (graph driver)', version: '20.10.24', containerdStore: false, nothingToDo: ['snapshot'], dryRun: ['snapshot'] },
    { engine: 'dockerd 26.1 (containerd store)', version: '26.1.5', containerdStore: true, nothingToDo: ['snapshot'], dryRun: ['snapshot'] },
    { engine: 'dockerd 28.5 (containerd store)', version: '28.5.2+dfsg4', containerdStore: true, nothingToDo: ['snapshot', 'df'], dryRun: ['snapshot'] },
  ];
  for (const e of ENGINES) {
    const on = (snap: ReturnType<typeof snapshot>) => ({ ...snap, engine: { ...snap.engine, version: e.version, containerdStore: e.containerdStore } });
    it(`5. ${e.engine}: nothing to do costs ${e.nothingToDo.join(' + ')}; a dry run ${e.dryRun.join(' + ')}`, async () => {
      for (const [raw, calls] of [[{ keep: 10 }, e.nothingToDo], [{ keep: 2, 'dry-run': true }, e.dryRun]] as const) {
        const engine = new FakeEngine(on(snapshot(fiveBuilds())));
        await run(raw, engine);
        assert.deepEqual(engine.calls, calls, JSON.stringify(raw));
      }
    });

    it(`5b. ${e.engine}: a run that removes measures once before its first removal and once after`, async () => {
      const engine = new FakeEngine(on(snapshot(fiveBuilds())));
      const report = await run({ keep: 2 }, engine);
      const dfs = engine.calls.flatMap((c, i) => (c === 'df' ? [i] : []));
      const removals = engine.calls.flatMap((c, i) => (c.startsWith('remove') ? [i] : []));
      assert.equal(dfs.length, 2, engine.calls.join(', '));
      assert.ok(dfs[0] < removals[0] && dfs[1] > removals[removals.length - 1], engine.calls.join(', '));
      assert.equal(report.bytes.measured, 3000);
    });
  }
});
