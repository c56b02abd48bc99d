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

  it('5. nothing to do costs one snapshot and nothing else', async () => {
    const engine = new FakeEngine(snapshot(fiveBuilds()));
    const report = await run({ keep: 10 }, engine);
    assert.equal(report.counts.removed, 0);
    assert.deepEqual(engine.calls, ['snapshot']);
  });
});
