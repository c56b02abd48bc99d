import { strict as assert } from 'node:assert';
import { NOT_STARTED_NOTE, applyDecisions } from '../../../src/app/apply';
import { mapConcurrentAhead } from '../../../src/engine/concurrency';
import type { ImageDecision } from '../../../src/planner/plan';
import { FakeEngine } from '../../support/fake-engine';
import { image, snapshot } from '../../support/snapshot-fixtures';

function decision(id: string, untag: string[], del: boolean): ImageDecision {
  return { imageId: id, references: untag, action: del ? 'remove' : 'untag', keepReasons: [], removeReasons: [], untag, delete: del, created: 0, size: 0, uniqueBytes: 0 };
}

describe('applying a plan', () => {
  it('1. untags all but one reference by name, then deletes the image by its ID', async () => {
    const img = image({ tags: ['app:1', 'registry.example.com/app:1'] });
    const engine = new FakeEngine(snapshot([img]));
    const [result] = await applyDecisions(engine, [decision(img.id, img.tags, true)]);
    assert.equal(result.status, 'removed');
    assert.deepEqual(result.untagged, img.tags);
    assert.equal(result.incidents, undefined);
    assert.equal(engine.images.has(img.id), false);
    // Each call right after its own re-check; the last reference goes with the delete by ID.
    assert.deepEqual(engine.calls, [`inspect ${img.id}`, `remove ${img.tags[0]}`, `inspect ${img.id}`, `remove ${img.id}`]);
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
    engine.failWith = (name) => (name === a.tags[0] || name === a.id ? { status: 'conflict', message: 'image is being used by running container abc' } : undefined);
    const results = await applyDecisions(engine, [decision(a.id, a.tags, true), decision(b.id, b.tags, true)], { concurrency: 1 });
    assert.deepEqual(results.map((r) => r.status), ['in-use', 'removed']);
    assert.match(results[0].note ?? '', /running container/);
  });

  it('5. a tag moved to a new image between plan and apply: the old image goes by ID, the new image is left alone', async () => {
    const old = image({ tags: ['app:ci-1'], name: 'old' });
    const fresh = image({ tags: [], name: 'fresh' });
    const engine = new FakeEngine(snapshot([old, fresh]));
    engine.refs.set(old.tags[0], fresh.id); // concurrent build retagged app:ci-1
    const [result] = await applyDecisions(engine, [decision(old.id, old.tags, true)]);
    assert.equal(result.status, 'removed');
    assert.ok(!engine.calls.includes(`remove ${old.tags[0]}`));
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
    engine.failWith = (name) => (name === a.tags[0] || name === a.id ? new Error('500 driver failed') : undefined);
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
  it('10. no re-check is reused: every engine call follows its own inspect, also while other removals are slow', async () => {
    const imgs = [1, 2, 3].map((n) => image({ tags: [`app:${n}`, `team/app:${n}`] }));
    const engine = new FakeEngine(snapshot(imgs));
    // The first image's removals are slow (40 ms each): the others' calls run meanwhile.
    const remove = engine.removeImage.bind(engine);
    engine.removeImage = async (name) => {
      const answer = remove(name);
      if (imgs[0]!.tags.includes(name) || name === imgs[0]!.id) await new Promise((r) => setTimeout(r, 40));
      engine.calls.push(`answered ${name}`);
      return answer;
    };
    const results = await applyDecisions(engine, imgs.map((i) => decision(i.id, i.tags, true)), { concurrency: 2 });
    assert.deepEqual(results.map((r) => r.status), ['removed', 'removed', 'removed']);
    const of = (i: (typeof imgs)[number]) => (c: string) => c.includes(i.id) || i.tags.some((t) => c.endsWith(` ${t}`));
    const perImage = imgs.map((i) => engine.calls.filter((c) => of(i)(c) && !c.startsWith('answered')));
    for (const calls of perImage) assert.deepEqual(calls.map((c) => c.split(' ')[0]), ['inspect', 'remove', 'inspect', 'remove']);
    // They really overlapped: another image's calls came between a slow removal and its answer.
    const slowStart = engine.calls.findIndex((c) => c.startsWith('remove') && of(imgs[0]!)(c));
    const slowEnd = engine.calls.findIndex((c, k) => k > slowStart && c.startsWith('answered') && of(imgs[0]!)(c));
    assert.ok(engine.calls.slice(slowStart, slowEnd).some((c) => !of(imgs[0]!)(c)), engine.calls.join('\n'));
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
  it('13. nothing is asked or written before `ready` settles, nothing at all when it fails', async () => {
    const imgs = [1, 2, 3].map((n) => image({ tags: [`app:${n}`] }));
    const engine = new FakeEngine(snapshot(imgs));
    let fail!: (e: Error) => void;
    const ready = new Promise((_resolve, reject) => (fail = reject));
    const applying = applyDecisions(engine, imgs.map((i) => decision(i.id, i.tags, true)), { concurrency: 2, ready });
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(engine.calls as string[], []);
    fail(new Error('system df failed'));
    await assert.rejects(applying, /system df failed/);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(engine.calls.filter((c) => c.startsWith('remove')).length, 0);
    assert.equal(engine.images.size, 3);
  });
  it('14. a stop signal while one image is in flight: the next is not touched, the one in flight finishes', async () => {
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
    assert.ok(!engine.calls.some((c) => c.includes(b.id) || c.endsWith(b.tags[0])));
    assert.ok(engine.images.has(b.id));
    assert.equal(engine.images.has(a.id), false, 'a finished all its steps: both references untagged');
  });

  describe('races between the re-check and the call (a concurrent job acts right before the engine does)', () => {
    it('15. the only tag moved to a new image: the delete by ID leaves the new image alone', async () => {
      const old = image({ tags: ['app:ci-1'], name: 'old' });
      const fresh = image({ tags: [], name: 'fresh' });
      const engine = new FakeEngine(snapshot([old, fresh]));
      engine.beforeRemove = () => engine.refs.set(old.tags[0], fresh.id);
      const [result] = await applyDecisions(engine, [decision(old.id, old.tags, true)]);
      assert.equal(result.status, 'removed');
      assert.equal(result.incidents, undefined);
      assert.equal(engine.refs.get(old.tags[0]), fresh.id);
      assert.ok(engine.images.has(fresh.id));
    });

    it('16. a tag moved while untagging an image with several: the engine deleted the new image, and that is an incident', async () => {
      const old = image({ tags: ['app:ci-1', 'team/app:ci-1'], name: 'old' });
      const fresh = image({ tags: [], name: 'fresh' });
      const engine = new FakeEngine(snapshot([old, fresh]));
      let moved = false;
      engine.beforeRemove = (name) => {
        if (name === old.tags[0] && !moved) (moved = true), engine.refs.set(old.tags[0], fresh.id);
      };
      const [result] = await applyDecisions(engine, [decision(old.id, old.tags, true)]);
      assert.equal(engine.images.has(fresh.id), false, 'the engine acted on what the name named at that moment');
      assert.equal(result.incidents?.length, 1);
      assert.deepEqual(result.incidents![0].deleted, [fresh.id]);
      assert.match(result.incidents![0].text, /DELETE \/images\/\S*app:ci-1 .*deleted .*plan did not name/);
    });

    it('17. a protected tag added right before the delete by ID: the engine refuses (two tags), the image and the tag stay', async () => {
      const img = image({ tags: ['app:ci-1'] });
      const engine = new FakeEngine(snapshot([img]));
      engine.beforeRemove = (name) => name === img.id && engine.refs.set('node:99-alpine', img.id);
      const [result] = await applyDecisions(engine, [decision(img.id, img.tags, true)]);
      assert.equal(result.status, 'changed');
      assert.match(result.note ?? '', /node:99-alpine/);
      assert.equal(engine.refs.get('node:99-alpine'), img.id);
    });

    it('18. a tag added to a dangling image right before its delete: the engine untags it with the image, reported as an incident', async () => {
      const img = image({ tags: [], name: 'dangling' });
      const engine = new FakeEngine(snapshot([img]));
      engine.beforeRemove = (name) => name === img.id && engine.refs.set('node:99-alpine', img.id);
      const [result] = await applyDecisions(engine, [decision(img.id, [], true)]);
      assert.equal(result.status, 'removed');
      assert.deepEqual(result.incidents?.map((i) => i.untagged), [['node:99-alpine']]);
    });

    // Both engines read the names of the image they resolved, check for conflicts, then delete
    // each name by name, whatever it names by then; they log and answer it under the resolved
    // image. No local engine shows that window on demand (it is microseconds inside one call;
    // bench/races.ts hits it about once in 75 injections), so the fake plays it exactly.
    for (const store of ['dockerd 20.10', 'containerd store'] as const) {
      for (const late of [false, true]) {
        it(`24. (${store}, the watch ${late ? 'looks after the engine took the name' : 'sees the new name first'}) the only tag moved onto a new image inside the engine's own window: the new image loses it, the answer names only the planned tag, and the engine's events make it an incident`, async () => {
          const old = image({ tags: ['app:ci-1'], name: 'old' });
          const engine = new FakeEngine(snapshot([old]));
          engine.imagesNeedNames = store === 'containerd store';
          engine.watchLooksLate = late;
          const fresh = image({ tags: [], name: 'fresh' }).id;
          engine.withinRemove = (name) => name === old.id && engine.load(fresh, old.tags[0]);
          const [result] = await applyDecisions(engine, [decision(old.id, old.tags, true)]);
          assert.equal(result.status, 'removed');
          assert.equal(engine.refs.get(old.tags[0]), undefined, 'the engine took the tag from the new image');
          assert.equal(engine.images.has(fresh), store === 'dockerd 20.10', 'kept untagged (graph driver) or gone with its only name (containerd)');
          assert.equal(result.incidents?.length, 1, JSON.stringify(result));
          const incident = result.incidents![0];
          assert.equal(incident.call, `DELETE /images/${old.id}`);
          assert.deepEqual(incident.deleted, store === 'containerd store' ? [fresh] : []);
          assert.deepEqual(incident.untagged, late ? [] : [old.tags[0]]);
          const names = late ? 'its name' : old.tags[0];
          assert.ok(
            incident.text.includes(`untagged ${old.tags[0]} while another job gave image ${fresh.slice(7, 19)} ${late ? 'a name' : names} (load at `) &&
              incident.text.includes(`; it has lost ${names} since${store === 'containerd store' ? ' and is gone' : ''}, without an untag or delete of its own`),
            incident.text,
          );
        });
      }
    }

    for (const trails of [false, true]) {
      it(`24c. a protected tag given inside the delete by ID, the engine ${trails ? 'not logging it in time' : 'logging it'}: ${trails ? 'the run warns that such a loss cannot be checked' : 'an incident, no warning'}`, async () => {
        const img = image({ tags: ['app:ci-1'] });
        const engine = new FakeEngine(snapshot([img]));
        engine.logTrails = trails;
        engine.withinRemove = (name) => name === img.id && engine.tag(img.id, 'node:99-alpine');
        const warnings: string[] = [];
        const [result] = await applyDecisions(engine, [decision(img.id, img.tags, true)], { onWarning: (w) => warnings.push(w) });
        assert.equal(engine.images.has(img.id), false, 'the name went with the image');
        assert.deepEqual(result.incidents?.map((i) => i.untagged) ?? [], trails ? [] : [['node:99-alpine']]);
        assert.deepEqual(warnings.map((w) => /could not be read whole .* may be lost without an incident/.test(w)), trails ? [true] : []);
      });
    }

    it('24b. several calls at once: the incident goes to the call that untagged the name the new image had', async () => {
      const [a, b] = [1, 2].map((n) => image({ tags: [`app:ci-${n}`], name: `old-${n}` }));
      const engine = new FakeEngine(snapshot([a, b]));
      const fresh = image({ tags: [], name: 'fresh' }).id;
      engine.withinRemove = (name) => name === b.id && engine.load(fresh, b.tags[0]);
      const results = await applyDecisions(engine, [a, b].map((i) => decision(i.id, i.tags, true)));
      assert.deepEqual(results.map((r) => r.incidents?.map((i) => i.call)), [undefined, [`DELETE /images/${b.id}`]]);
    });

    it('25. a tag moved by `docker tag` onto an image of its own inside the window: the incident names the tag, and that image keeps its other names', async () => {
      const old = image({ tags: ['app:ci-1', 'app:latest'], name: 'old' });
      const other = image({ tags: ['app:ci-2'], name: 'other' });
      const engine = new FakeEngine(snapshot([old, other]));
      const [ci1, latest] = old.tags;
      engine.withinRemove = (name) => name === old.id && engine.tag(other.id, latest);
      const [result] = await applyDecisions(engine, [decision(old.id, [latest, ci1], true)]);
      assert.equal(result.status, 'removed');
      assert.deepEqual(engine.refs.get(other.tags[0]), other.id);
      assert.equal(engine.refs.get(latest), undefined);
      assert.deepEqual(result.incidents?.map((i) => [i.call, i.untagged]), [[`DELETE /images/${old.id}`, [latest]]]);
    });

    it('25b. a protected tag given to the image inside our own DELETE of it, after the engine read its names: the name goes with the image, the answer names only the planned tag, and the events make it an incident', async () => {
      const old = image({ tags: ['app:ci-1'], name: 'old' });
      const engine = new FakeEngine(snapshot([old]));
      engine.withinRemove = (name) => name === old.id && engine.tag(old.id, 'node:99-alpine-1');
      const [result] = await applyDecisions(engine, [decision(old.id, old.tags, true)]);
      assert.equal(result.status, 'removed');
      assert.deepEqual(result.untagged, old.tags, 'the answer names only the planned tag');
      assert.equal(await engine.inspectImage('node:99-alpine-1'), undefined, 'the name went with the image');
      assert.deepEqual(result.incidents?.map((i) => [i.call, i.untagged]), [[`DELETE /images/${old.id}`, ['node:99-alpine-1']]]);
      assert.match(result.incidents![0].text, /deleted the image while another job gave it node:99-alpine-1 \(tag at /);
    });

    it('25c. (containerd store) a protected tag given inside our delete by ID keeps the image though the engine answers deleted: the result says changed, not removed, and no incident', async () => {
      const old = image({ tags: ['app:ci-1'], name: 'old' });
      const engine = new FakeEngine(snapshot([old]));
      engine.namesMidDeleteKeep = true;
      engine.withinRemove = (name) => name === old.id && engine.tag(old.id, 'node:99-alpine-1');
      const [result] = await applyDecisions(engine, [decision(old.id, old.tags, true)]);
      assert.equal((await engine.inspectImage('node:99-alpine-1'))?.id, old.id, 'the image stands under the new name');
      assert.deepEqual([result.status, result.deleted, result.incidents], ['changed', false, undefined]);
      assert.match(result.note ?? '', /tagged node:99-alpine-1 during its delete: the engine kept the image/);
    });

    it('26. no false alarm: other jobs load and tag their own images during the removals, or remove them openly, or move a name on again', async () => {
      const imgs = [1, 2, 3].map((n) => image({ tags: [`app:ci-${n}`], name: `old-${n}` }));
      const engine = new FakeEngine(snapshot(imgs));
      const [a, b, c] = [1, 2, 3].map((n) => image({ tags: [], name: `job-${n}` }).id);
      engine.withinRemove = (name) => {
        if (name === imgs[0].id) engine.load(a, 'job:1'); // a name of its own: kept
        if (name === imgs[1].id) {
          engine.load(b, 'job:2');
          void engine.removeImage('job:2'); // removed openly by its job (untag + delete under its own ID)
        }
        if (name === imgs[2].id) {
          engine.load(c, 'job:3');
          engine.load(a, 'job:3'); // the name moved on to another image
        }
      };
      const results = await applyDecisions(engine, imgs.map((i) => decision(i.id, i.tags, true)));
      assert.deepEqual(results.map((r) => r.status), ['removed', 'removed', 'removed']);
      assert.deepEqual(results.flatMap((r) => r.incidents ?? []), []);
    });

    it('19. a container created from the image right before the delete: refused (in use), never forced', async () => {
      const img = image({ tags: ['app:ci-1'] });
      const engine = new FakeEngine(snapshot([img]));
      engine.beforeRemove = () =>
        engine.containers.set('c1', { id: 'c1', name: 'job', image: img.id, imageId: img.id, state: 'created', created: 0, labels: {} });
      const [result] = await applyDecisions(engine, [decision(img.id, img.tags, true)]);
      assert.equal(result.status, 'in-use');
      assert.ok(engine.images.has(img.id));
    });

    it('20. an untag-only decision whose kept references vanished: left alone rather than deleted', async () => {
      const img = image({ tags: ['app:1', 'team/app:1'] });
      const engine = new FakeEngine(snapshot([img]));
      engine.refs.delete(img.tags[1]);
      const [result] = await applyDecisions(engine, [decision(img.id, [img.tags[0]], false)]);
      assert.equal(result.status, 'changed');
      assert.ok(engine.images.has(img.id));
    });

    it('21. a 500 on delete for an image that is in fact gone (removed concurrently) is "gone", not failed', async () => {
      const img = image({ tags: ['app:1'] });
      const engine = new FakeEngine(snapshot([img]));
      engine.failWith = () => {
        engine.images.delete(img.id);
        engine.refs.delete('app:1');
        return new Error('(HTTP code 500) server error - unrecognized image ID');
      };
      const [result] = await applyDecisions(engine, [decision(img.id, img.tags, true)]);
      assert.equal(result.status, 'gone');
    });

    it('23. tagged within min-age by the fresh re-check (the plan knew an older arrival, e.g. from a cache): left alone', async () => {
      const img = image({ tags: ['app:ci-1'] });
      const table = [
        { minAgeMs: 30_000, status: 'changed' },
        { minAgeMs: 5_000, status: 'removed' },
        { minAgeMs: 0, status: 'removed' },
      ];
      for (const { minAgeMs, status } of table) {
        const fresh = new FakeEngine(snapshot([img]));
        const inspect = fresh.inspectImage.bind(fresh);
        fresh.inspectImage = async (name) => {
          const state = await inspect(name);
          return state && { ...state, lastTagged: 1_000_000 - 10_000 };
        };
        const [result] = await applyDecisions(fresh, [decision(img.id, img.tags, true)], { minAgeMs, clock: () => 1_000_000 });
        assert.equal(result.status, status, `min-age ${minAgeMs} ms`);
      }
    });

    it('22. a parent refused for its dependent child images is retried once the other removals are done', async () => {
      const parent = image({ tags: [], name: 'parent' });
      const child = image({ tags: ['app:1'], name: 'child' });
      const engine = new FakeEngine(snapshot([parent, child]));
      let childThere = true;
      engine.failWith = (name) => (name === parent.id && childThere ? { status: 'conflict', message: 'conflict: unable to delete (cannot be forced) - image has dependent child images' } : undefined);
      engine.beforeRemove = (name) => {
        if (name === child.id) childThere = false;
      };
      const results = await applyDecisions(engine, [decision(parent.id, [], true), decision(child.id, child.tags, true)], { concurrency: 1 });
      assert.deepEqual(results.map((r) => r.status), ['removed', 'removed']);
    });
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
