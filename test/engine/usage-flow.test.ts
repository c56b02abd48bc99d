import { strict as assert } from 'node:assert';
import { runCleanup } from '../../src/app/cleanup';
import { openSession } from '../../src/compose';
import { loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { listTags, freshEngineEachTest, runContainer } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const HOUR = 3_600_000;
const KB = 1000;

/** Builds of c, b, a (loaded in that order) on one runnable base; 200 kB of their own each. */
function agent(now: number): ImageSpec[] {
  const base: LayerSpec[] = [{ id: 'usage-base', busybox: true }];
  const specs: ImageSpec[] = [{ tags: ['base:1'], created: new Date(now - 1000 * HOUR), layers: base }];
  for (const repo of ['c', 'b', 'a']) {
    for (let n = 1; n <= 3; n++) {
      specs.push({ tags: [`${repo}:ci-${n}`], created: new Date(now - (100 - n * 10) * HOUR), layers: [...base, { id: `usage-${repo}-${n}`, bytes: 200 * KB }] });
    }
  }
  return specs;
}

for (const target of enginesOf('engine/usage-flow'))
for (const store of ['file', 'engine'] as const) {
  describe(`real engine: the usage record (${store} store) drives least-recently-used eviction on ${target.name}`, function () {
    this.timeout(180_000);
    const on = freshEngineEachTest(target, 'dic-usage-');

    /** A fresh session every run: the record must survive the tool's restart. */
    async function run(raw: RawSettings, at: number) {
      const settings = parseSettings({ 'min-age': '0', 'usage-store': store, host: target.host(), ...raw });
      const { engine, usage } = openSession(settings, on.dir);
      assert.ok(usage, 'a usage store');
      return runCleanup(settings, { engine, usage, clock: () => at });
    }

    it('1. a container seen by an earlier run keeps its image recently used after the container is gone; a re-pull is a regret', async () => {
      const now = Date.now();
      await loadImages(on.docker, agent(now));
      // run A, an hour later: c:ci-2 has a running container
      const svc = await runContainer(on.docker, 'c:ci-2', { name: 'svc' });
      const a = await run({ keep: 2 }, now + HOUR);
      assert.equal(a.counts.removed, 3);
      await svc.remove({ force: true });

      // run B, two hours later, over budget: without the record c's builds (loaded first) would go first
      // least recently used first (eviction-order recent): what this case is about; the default cost order is pinned in test/unit/replay
      const b = await run({ keep: 2, 'max-image-bytes': '1B', 'target-image-bytes': '1B', 'evict-kept-builds': true, protect: 'base:*,a:*', 'eviction-order': 'recent' }, now + 2 * HOUR);
      const order = b.plan.eviction!.order.map((o) => o.references[0]?.replace('docker.io/library/', ''));
      assert.deepEqual(order.slice(0, 3), ['c:ci-3', 'b:ci-2', 'b:ci-3']);
      assert.equal(order[3], 'c:ci-2', 'the image the container used goes last');
      assert.equal(b.plan.eviction!.order[3].lastUsedWhy, 'container-running');
      assert.deepEqual((await listTags(on.docker)).filter((t) => !t.startsWith('docker-image-cleanup-state')), ['a:ci-2', 'a:ci-3', 'base:1']);

      // the same build comes back (same content, same ID): reported as a regret
      await loadImages(on.docker, agent(now).filter((s) => s.tags[0] === 'c:ci-3' || s.tags[0] === 'base:1'));
      const c = await run({ keep: 2, 'dry-run': true }, now + 3 * HOUR);
      assert.deepEqual(c.regrets.map((r) => r.references), [['docker.io/library/c:ci-3']]);
      assert.equal(c.regrets[0].removedAt, now + 2 * HOUR);
    });
  });
}
