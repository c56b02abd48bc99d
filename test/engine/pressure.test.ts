import { strict as assert } from 'node:assert';
import type Docker from 'dockerode';
import { runCleanup } from '../../src/app/cleanup';
import { loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { createContainer, listTags, resetEngine, testDocker } from '../support/engine';

const HOUR = 3_600_000;
const KB = 1000;

/** Three repositories, three builds each, on one shared base; every build has 200 kB of its own. */
function agent(now: number): ImageSpec[] {
  const base: LayerSpec[] = [{ id: 'pressure-base', bytes: 500 * KB }];
  const specs: ImageSpec[] = [{ tags: ['base:1'], created: new Date(now - 1000 * HOUR), layers: base }];
  ['a', 'b', 'c'].forEach((repo, r) => {
    for (let n = 1; n <= 3; n++) {
      specs.push({ tags: [`${repo}:ci-${n}`], created: new Date(now - (100 - n * 10 - r) * HOUR), layers: [...base, { id: `${repo}-${n}`, bytes: 200 * KB }] });
    }
  });
  return specs;
}

describe('real engine: disk pressure', function () {
  this.timeout(180_000);
  let docker: Docker;
  const host = () => process.env.DIC_TEST_DOCKER_HOST!;
  before(() => {
    docker = testDocker();
  });
  beforeEach(async () => {
    await resetEngine(docker);
  });

  async function clean(raw: RawSettings, clock?: () => number) {
    const settings = parseSettings({ 'min-age': '0', 'usage-store': 'none', host: host(), ...raw });
    return runCleanup(settings, { engine: new DockerodeEngine({ host: settings.host }), clock });
  }

  it('1. a byte budget evicts kept builds least recently used first (by engine events), stops at the target, and the bytes agree', async () => {
    // one load: the engine logs a load event per image, in archive order (a, b, c)
    await loadImages(docker, agent(Date.now()));
    // then a job uses a's builds again: tag events make them the most recently used
    await new Promise((r) => setTimeout(r, 20));
    await docker.getImage('a:ci-2').tag({ repo: 'a', tag: 'used-2' });
    await docker.getImage('a:ci-3').tag({ repo: 'a', tag: 'used-3' });
    // keep-N leaves a 500 kB base + 6 builds x 200 kB (plus a few bytes of marker files): about 1.7 MB
    const report = await clean({ keep: 2, 'max-image-bytes': '1.6MB', 'target-image-bytes': '1.31MB', 'evict-kept-builds': true });
    const e = report.plan.eviction!;
    assert.deepEqual(e.rules, ['max-image-bytes']);
    assert.equal(e.reached, true);
    // least recently used: b's builds (loaded before c's), not a's (tagged since)
    assert.deepEqual(
      e.order.map((o) => o.references[0].replace('docker.io/library/', '')),
      ['b:ci-2', 'b:ci-3'],
    );
    assert.ok(e.order.every((o) => o.lastUsedWhy === 'event'));
    assert.deepEqual(await listTags(docker), ['a:ci-2', 'a:ci-3', 'a:used-2', 'a:used-3', 'base:1', 'c:ci-2', 'c:ci-3']);
    assert.equal(report.bytes.measured, report.bytes.predicted, 'predicted and measured bytes agree exactly on dockerd');
    assert.equal(e.imagesBytesAfter, report.bytes.after);
  });

  it('2. without the opt-in the run says by how much the budget is missed and removes only what keep-N allows', async () => {
    await loadImages(docker, agent(Date.now()));
    const report = await clean({ keep: 2, 'max-image-bytes': '1MB' });
    assert.equal(report.plan.eviction!.reached, false);
    assert.ok(report.warnings.some((w) => /cannot free .* more bytes/.test(w)));
    assert.equal(report.counts.removed, 3);
  });

  it('3. max-unused removes images not used for longer than the limit, unless protected or in use', async () => {
    await loadImages(docker, agent(Date.now()));
    await createContainer(docker, 'b:ci-3', { name: 'svc' });
    const later = Date.now() + 80 * HOUR; // the loads (their last use) are now 80 hours old
    await clean({ keep: 2, 'max-unused': '85h', protect: 'c:*' }, () => later);
    assert.deepEqual(await listTags(docker), ['a:ci-2', 'a:ci-3', 'b:ci-2', 'b:ci-3', 'base:1', 'c:ci-1', 'c:ci-2', 'c:ci-3']);
    const tighter = await clean({ keep: 2, 'max-unused': '75h', protect: 'c:*' }, () => later);
    assert.deepEqual(await listTags(docker), ['b:ci-3', 'base:1', 'c:ci-1', 'c:ci-2', 'c:ci-3']);
    assert.equal(tighter.plan.decisions.filter((d) => d.removeReasons.some((r) => r.kind === 'unused')).length, 3);
  });
});
