import { strict as assert } from 'node:assert';
import type { RemovalOutcome } from '../../../src/engine/port';
import { EngineUsageStore, USAGE_MARKER_LABEL, USAGE_RECORD_QUALIFIED } from '../../../src/usage/engine-store';
import type { UsageRecord } from '../../../src/usage/record';
import { FakeStateImages } from '../../support/fake-state-images';

// The store's answers to what no local engine shows; its behaviour on real engines is test/engine/usage.test.ts.
const adding = (id: string, n: number) => (current: UsageRecord): UsageRecord => ({
  ...current,
  updatedAt: Math.max(current.updatedAt, n),
  images: { ...current.images, [id]: { firstSeen: n, lastUsed: n, why: 'pulled', references: [], layersKey: '' } },
});

const recordImages = (engine: FakeStateImages) => [...engine.images.values()].filter((i) => i.labels[USAGE_MARKER_LABEL] === 'v1');

describe('EngineUsageStore over a fake StateImagesPort (faults no local engine shows)', () => {
  const cases: { name: string; onRemove: (id: string) => RemovalOutcome | Error; warnings: RegExp[]; recordImagesLeft: number }[] = [
    {
      name: 'an answer that untagged more than the store asked for is an incident',
      onRemove: () => ({ status: 'done', untagged: ['docker.io/library/app:1'], deleted: [] }),
      warnings: [/^INCIDENT: removing the replaced usage record image sha256:[0-9a-f]{12} also untagged docker\.io\/library\/app:1/],
      recordImagesLeft: 2, // the fake's answer deleted nothing
    },
    { name: 'a refusal (409) leaves it for the next run, silently', onRemove: () => ({ status: 'conflict', message: 'in use' }), warnings: [], recordImagesLeft: 2 },
    { name: 'gone meanwhile (404) is fine', onRemove: () => ({ status: 'gone' }), warnings: [], recordImagesLeft: 2 },
    {
      name: 'a failed delete is a warning; the new record stands',
      onRemove: () => Object.assign(new Error('(HTTP code 500) server error - disk quota'), { statusCode: 500 }),
      warnings: [/^could not remove the replaced usage record image sha256:[0-9a-f]{12}: \(HTTP code 500\) server error - disk quota$/],
      recordImagesLeft: 2,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const engine = new FakeStateImages();
      const store = new EngineUsageStore(engine);
      await store.update(adding('sha256:aa', 1));
      const [first] = recordImages(engine);
      engine.onRemove = (id) => (assert.equal(id, first!.id, 'only the replaced record image'), c.onRemove(id));
      const { record, warnings } = await store.update(adding('sha256:bb', 2));
      assert.deepEqual(Object.keys(record.images).sort(), ['sha256:aa', 'sha256:bb']);
      assert.equal(warnings.length, c.warnings.length, JSON.stringify(warnings));
      c.warnings.forEach((pattern, i) => assert.match(warnings[i]!, pattern));
      assert.equal(recordImages(engine).length, c.recordImagesLeft);
      assert.deepEqual((await store.read()).record, record);
      assert.equal(engine.containers.size, 0, 'the lock is released');
    });
  }

  it('without a fault the replaced image goes and one record image is left', async () => {
    const engine = new FakeStateImages();
    const store = new EngineUsageStore(engine);
    await store.update(adding('sha256:aa', 1));
    await store.update(adding('sha256:bb', 2));
    assert.deepEqual(recordImages(engine).map((i) => i.tags), [[USAGE_RECORD_QUALIFIED]]);
  });

  it('a lock the engine refuses for another reason fails the update and writes nothing', async () => {
    const engine = new FakeStateImages();
    engine.createLockContainer = async () => {
      throw Object.assign(new Error('(HTTP code 500) server error - no space left on device'), { statusCode: 500 });
    };
    await assert.rejects(new EngineUsageStore(engine).update(adding('sha256:aa', 1)), /no space left on device/);
    assert.deepEqual(recordImages(engine), []);
  });
});
