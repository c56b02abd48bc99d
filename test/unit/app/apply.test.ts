import { strict as assert } from 'node:assert';
import { NOT_STARTED_NOTE, RECHECK_MAX_AGE_MS, applyDecisions } from '../../../src/app/apply';
import { mapConcurrentAhead } from '../../../src/engine/concurrency';
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
  it('10. each worker re-checks its next image while its current removal is in the engine', async () => {
    const imgs = [1, 2, 3].map((n) => image({ tags: [`app:${n}`] }));
    const engine = new FakeEngine(snapshot(imgs));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const remove = engine.removeImage.bind(engine);
    // The first removal stays in the engine until the second image's re-check arrived.
    engine.removeImage = async (name) => {
      if (name === imgs[0].tags[0]) await held;
      return remove(name);
    };
    const inspect = engine.inspectImage.bind(engine);
    engine.inspectImage = async (name) => {
      if (name === imgs[1].id) release();
      return inspect(name);
    };
    const results = await applyDecisions(engine, imgs.map((i) => decision(i.id, i.tags, true)), { concurrency: 1 });
    assert.deepEqual(results.map((r) => r.status), ['removed', 'removed', 'removed']);
    assert.deepEqual(engine.calls, [
      `inspect ${imgs[0].id}`,
      `inspect ${imgs[1].id}`,
      `remove ${imgs[0].tags[0]}`,
      `inspect ${imgs[2].id}`,
      `remove ${imgs[1].tags[0]}`,
      `remove ${imgs[2].tags[0]}`,
    ]);
  });

  it(`11. a re-check older than ${RECHECK_MAX_AGE_MS} ms is done again, and sees a tag added meanwhile`, async () => {
    const a = image({ tags: ['app:1'], name: 'a' });
    const b = image({ tags: ['app:2'], name: 'b' });
    const engine = new FakeEngine(snapshot([a, b]));
    let now = 0;
    // While a's removal is slow, a concurrent job tags b: b's early re-check did not see it.
    engine.beforeRemove = (name) => {
      if (name !== a.tags[0]) return;
      now += RECHECK_MAX_AGE_MS + 1;
      engine.refs.set('docker.io/library/app:release', b.id);
    };
    const results = await applyDecisions(engine, [decision(a.id, a.tags, true), decision(b.id, b.tags, true)], { concurrency: 1, clock: () => now });
    assert.deepEqual(results.map((r) => r.status), ['removed', 'changed']);
    assert.equal(engine.calls.filter((c) => c === `inspect ${b.id}`).length, 2);
    assert.ok(engine.images.has(b.id));
  });

  it('12. a re-check that fails fails its own image only', async () => {
    const a = image({ tags: ['app:1'] });
    const b = image({ tags: ['app:2'] });
    const engine = new FakeEngine(snapshot([a, b]));
    const inspect = engine.inspectImage.bind(engine);
    engine.inspectImage = async (name) => (name === a.id ? Promise.reject(new Error('500 inspect failed')) : inspect(name));
    const results = await applyDecisions(engine, [decision(a.id, a.tags, true), decision(b.id, b.tags, true)], { concurrency: 1 });
    assert.deepEqual(results.map((r) => r.status), ['failed', 'removed']);
    assert.match(results[0].note ?? '', /inspect failed/);
    assert.ok(engine.images.has(a.id));
  });
  it('13. nothing is written before `ready` settles, nothing at all when it fails; re-checks may run meanwhile', async () => {
    const imgs = [1, 2, 3].map((n) => image({ tags: [`app:${n}`] }));
    const engine = new FakeEngine(snapshot(imgs));
    let fail!: (e: Error) => void;
    const ready = new Promise((_resolve, reject) => (fail = reject));
    const applying = applyDecisions(engine, imgs.map((i) => decision(i.id, i.tags, true)), { concurrency: 2, ready });
    await new Promise((r) => setTimeout(r, 10));
    // Each of the 2 workers re-checked its image and the one after it: reads only.
    assert.deepEqual(engine.calls, imgs.map((i) => `inspect ${i.id}`));
    fail(new Error('system df failed'));
    await assert.rejects(applying, /system df failed/);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(engine.calls.filter((c) => c.startsWith('remove')).length, 0);
    assert.equal(engine.images.size, 3);
  });
  it('14. a stop signal after the next image was re-checked: that image is not touched, the one in flight finishes', async () => {
    const a = image({ tags: ['app:1', 'team/app:1'], name: 'a' });
    const b = image({ tags: ['app:2'], name: 'b' });
    const engine = new FakeEngine(snapshot([a, b]));
    const stop = new AbortController();
    engine.beforeRemove = (name) => {
      if (name === a.tags[0]) stop.abort(); // b's re-check has already run ahead
    };
    const results = await applyDecisions(engine, [decision(a.id, a.tags, true), decision(b.id, b.tags, true)], { concurrency: 1, stop: stop.signal });
    assert.deepEqual(results.map((r) => r.status), ['removed', 'failed']);
    assert.equal(results[1].note, NOT_STARTED_NOTE);
    assert.ok(engine.calls.includes(`inspect ${b.id}`));
    assert.ok(!engine.calls.includes(`remove ${b.tags[0]}`));
    assert.ok(engine.images.has(b.id));
    assert.equal(engine.images.has(a.id), false, 'a finished all its steps: both references untagged');
  });
});

describe('mapConcurrentAhead', () => {
  const table: { items: number; limit: number }[] = [
    { items: 0, limit: 3 },
    { items: 1, limit: 3 },
    { items: 7, limit: 1 },
    { items: 7, limit: 3 },
    { items: 7, limit: 10 },
  ];
  for (const { items, limit } of table) {
    it(`${items} items, ${limit} workers: results in input order, at most ${limit} of each kind in flight, each item prepared once`, async () => {
      const list = Array.from({ length: items }, (_, i) => i);
      let running = 0;
      let most = 0;
      const prepared: number[] = [];
      const tick = () => new Promise((r) => setTimeout(r, Math.random() * 3));
      const results = await mapConcurrentAhead(
        list,
        limit,
        async (n) => {
          prepared.push(n);
          await tick();
          return n * 10;
        },
        async (n, ahead, index) => {
          running++;
          most = Math.max(most, running);
          await tick();
          running--;
          assert.ok(ahead.ok);
          return `${index}:${n}:${ahead.value}`;
        },
      );
      assert.deepEqual(results, list.map((n) => `${n}:${n}:${n * 10}`));
      assert.deepEqual([...prepared].sort((x, y) => x - y), list);
      assert.ok(most <= limit);
    });
  }

  it('hands a failed preparation to fn instead of throwing', async () => {
    const results = await mapConcurrentAhead(
      [1, 2],
      1,
      async (n) => {
        if (n === 1) throw new Error('no');
        return n;
      },
      async (_n, ahead) => (ahead.ok ? `ok ${ahead.value}` : `failed ${(ahead.error as Error).message}`),
    );
    assert.deepEqual(results, ['failed no', 'ok 2']);
  });
});
