import { strict as assert } from 'node:assert';
import { applyDecisions } from '../../../src/app/apply';
import type { ImageDecision } from '../../../src/planner/plan';
import { FakeEngine } from '../../support/fake-engine';
import { image, snapshot } from '../../support/snapshot-fixtures';

function decision(id: string, untag: string[], del: boolean): ImageDecision {
  return { imageId: id, references: untag, action: del ? 'remove' : 'untag', keepReasons: [], removeReasons: [], untag, delete: del, created: 0, size: 0, uniqueBytes: 0 };
}

describe('applying a plan', () => {
  it('1. untags every reference one by one, then the image is gone', async () => {
    const img = image({ tags: ['app:1', 'registry.example.com/app:1'] });
    const engine = new FakeEngine(snapshot([img]));
    const [result] = await applyDecisions(engine, [decision(img.id, img.tags, true)]);
    assert.equal(result.status, 'removed');
    assert.deepEqual(result.untagged, img.tags);
    assert.equal(engine.images.has(img.id), false);
    assert.ok(!engine.calls.some((c) => c === `remove ${img.id}`), 'no delete by ID is needed once the last tag went');
  });

  it('2. deletes a dangling image by ID', async () => {
    const img = image({ tags: [], name: 'dangling' });
    const engine = new FakeEngine(snapshot([img]));
    const [result] = await applyDecisions(engine, [decision(img.id, [], true)]);
    assert.equal(result.status, 'removed');
    assert.ok(engine.calls.includes(`remove ${img.id}`));
  });

  it('3. 404 is fine: somebody removed it first', async () => {
    const img = image({ tags: ['app:1'] });
    const engine = new FakeEngine(snapshot([]));
    const [result] = await applyDecisions(engine, [decision(img.id, img.tags, true)]);
    assert.equal(result.status, 'gone');
    assert.equal(engine.calls.filter((c) => c.startsWith('remove')).length, 0);
  });

  it('4. 409 is skipped and reported, never forced, and the run goes on', async () => {
    const a = image({ tags: ['app:1'] });
    const b = image({ tags: ['app:2'] });
    const engine = new FakeEngine(snapshot([a, b]));
    engine.failWith = (name) => (name === a.tags[0] ? { status: 'conflict', message: 'image is being used by running container abc' } : undefined);
    const results = await applyDecisions(engine, [decision(a.id, a.tags, true), decision(b.id, b.tags, true)], { concurrency: 1 });
    assert.deepEqual(results.map((r) => r.status), ['in-use', 'removed']);
    assert.match(results[0].note ?? '', /running container/);
  });

  it('5. a tag moved to a new image between plan and apply: the new image is left alone', async () => {
    const old = image({ tags: ['app:ci-1'], name: 'old' });
    const fresh = image({ tags: [], name: 'fresh' });
    const engine = new FakeEngine(snapshot([old, fresh]));
    engine.refs.set(old.tags[0], fresh.id); // concurrent build retagged app:ci-1
    const [result] = await applyDecisions(engine, [decision(old.id, old.tags, true)]);
    assert.equal(result.status, 'changed');
    assert.equal(engine.refs.get(old.tags[0]), fresh.id);
    assert.ok(engine.images.has(fresh.id));
  });

  it('6. a new tag on the image since planning: nothing is removed', async () => {
    const img = image({ tags: ['app:ci-1'] });
    const engine = new FakeEngine(snapshot([img]));
    engine.refs.set('docker.io/library/app:release', img.id);
    const [result] = await applyDecisions(engine, [decision(img.id, img.tags, true)]);
    assert.equal(result.status, 'changed');
    assert.equal(engine.calls.filter((c) => c.startsWith('remove')).length, 0);
  });

  it('7. an unexpected engine error fails that image only', async () => {
    const a = image({ tags: ['app:1'] });
    const b = image({ tags: ['app:2'] });
    const engine = new FakeEngine(snapshot([a, b]));
    engine.failWith = (name) => (name === a.tags[0] ? new Error('500 driver failed') : undefined);
    const results = await applyDecisions(engine, [decision(a.id, a.tags, true), decision(b.id, b.tags, true)], { concurrency: 1 });
    assert.deepEqual(results.map((r) => r.status), ['failed', 'removed']);
    assert.match(results[0].note ?? '', /driver failed/);
  });

  it('8. untag-only decisions keep the image and its other references', async () => {
    const img = image({ tags: ['app:1', 'team/app:1'] });
    const engine = new FakeEngine(snapshot([img]));
    const [result] = await applyDecisions(engine, [decision(img.id, [img.tags[0]], false)]);
    assert.equal(result.status, 'untagged');
    assert.equal(engine.refs.get(img.tags[1]), img.id);
    assert.ok(engine.images.has(img.id));
  });

  it('9. keep decisions cause no engine call at all', async () => {
    const img = image({ tags: ['app:1'] });
    const engine = new FakeEngine(snapshot([img]));
    const results = await applyDecisions(engine, [{ ...decision(img.id, [], false), action: 'keep' }]);
    assert.deepEqual(results, []);
    assert.deepEqual(engine.calls, []);
  });
});
