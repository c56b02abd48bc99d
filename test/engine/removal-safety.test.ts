// The removal path on each dockerd store (containerd: noprune deletes), with
// what the plan keeps right next to what it removes: a dangling base image,
// images containers use (by ID, by tag, running and stopped), and images a
// concurrent job tags while the removals run (driven from the engine's own
// event stream). Podman is covered by test/engine/cleanup.test.ts; its
// service here cannot start containers, which two of these cases need.
import { strict as assert } from 'node:assert';
import type Docker from 'dockerode';
import { runCleanup, type CleanupReport } from '../../src/app/cleanup';
import { loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { createContainer, listTags, resetEngine, runContainer } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const DAY = 86_400_000;
const BUSYBOX: LayerSpec = { id: 'busybox', busybox: true };
const layer = (id: string): LayerSpec => ({ id, bytes: 10_000 });
const ago = (ms: number) => new Date(Date.now() - ms);

function builds(repo: string, n: number, base: LayerSpec[]): ImageSpec[] {
  return Array.from({ length: n }, (_, i) => ({ tags: [`${repo}:ci-${i + 1}`], created: ago((n - i) * DAY), layers: [...base, layer(`${repo}-${i + 1}`)] }));
}

async function exists(docker: Docker, idOrRef: string): Promise<boolean> {
  return docker
    .getImage(idOrRef)
    .inspect()
    .then(
      () => true,
      (e: { statusCode?: number }) => (e.statusCode === 404 ? false : Promise.reject(e)),
    );
}

for (const target of enginesOf('engine/removal-safety')) {
  describe(`removal safety: ${target.name}`, function () {
    this.timeout(180_000);
    let docker: Docker;
    before(() => {
      docker = target.docker();
    });
    beforeEach(async () => {
      await resetEngine(docker);
    });

    const clean = (raw: RawSettings): Promise<CleanupReport> => {
      const settings = parseSettings({ 'min-age': '0', 'usage-store': 'none', host: target.host(), ...raw });
      return runCleanup(settings, { engine: new DockerodeEngine({ host: settings.host }) });
    };

    it(`1. a dangling base image the kept builds stand on stays; the old builds go (${target.name})`, async () => {
      // base:1 moves to a new base: the old one is dangling, and app's builds stand on it.
      await loadImages(docker, [
        { tags: ['base:1'], created: ago(30 * DAY), layers: [BUSYBOX, layer('base-old')] },
        { tags: ['base:2'], created: ago(20 * DAY), layers: [BUSYBOX, layer('base-new')] },
        ...builds('app', 4, [BUSYBOX, layer('base-old')]),
      ]);
      const oldBase = (await docker.getImage('base:1').inspect()).Id;
      await docker.getImage('base:2').tag({ repo: 'base', tag: '1' });
      assert.deepEqual((await docker.getImage(oldBase).inspect()).RepoTags, []);

      const report = await clean({ keep: 1 });
      const decision = report.plan.decisions.find((d) => d.imageId === oldBase);
      assert.equal(decision?.action, 'keep', 'the plan keeps the dangling base');
      assert.ok(decision!.keepReasons.some((r) => r.kind === 'base-of'), JSON.stringify(decision.keepReasons));
      assert.equal(report.counts.removed, 3);
      assert.ok(await exists(docker, oldBase), 'the dangling base image is gone');
      assert.deepEqual(await listTags(docker), ['app:ci-4', 'base:1', 'base:2']);
      for (const r of report.results) assert.deepEqual(r.status, 'removed', `${r.imageId}: ${r.note ?? ''}`);
    });

    it(`2. images containers use (by ID and by tag, running and stopped) stay; the rest go (${target.name})`, async () => {
      await loadImages(docker, builds('app', 6, [BUSYBOX]));
      const ids = await Promise.all([1, 2, 3].map(async (i) => (await docker.getImage(`app:ci-${i}`).inspect()).Id));
      await runContainer(docker, ids[0]!.slice(7, 19), { name: 'running-by-id' });
      await runContainer(docker, 'app:ci-2', { name: 'running-by-tag' });
      await createContainer(docker, 'app:ci-3', { name: 'created-by-tag' });

      const report = await clean({ keep: 1 });
      assert.equal(report.counts.removed, 2); // ci-4 and ci-5
      for (const id of ids) assert.ok(await exists(docker, id), `${id} is gone`);
      assert.deepEqual(await listTags(docker), ['app:ci-1', 'app:ci-2', 'app:ci-3', 'app:ci-6']);
    });

    it(`3. images a concurrent job tags while the removals run, before the run reaches them, keep their new tag and stay (${target.name})`, async () => {
      const n = 40;
      await loadImages(docker, builds('app', n, [BUSYBOX]));
      // The last quarter of the removal order: the run re-checks them after the job's tags.
      // (A tag landing inside the engine's own DELETE of that image is the engine's window,
      // which no client closes: the engine has no conditional delete.)
      const planned = (await clean({ keep: 1, 'dry-run': true })).plan.decisions.filter((d) => d.action === 'remove');
      const idOf = new Map(planned.map((d) => [d.references[0]!, d.imageId]));
      const order = planned.map((d) => d.references[0]!);
      assert.equal(order.length, n - 1);
      const victims = order.slice(-Math.floor(order.length / 4));

      // The concurrent job tags the victims once the first removal is under way (the
      // removals wait for its tags, so they land mid-run on every engine however fast).
      const tagged: string[] = [];
      const job = () =>
        Promise.all(
          victims.map(async (ref, i) => {
            await docker.getImage(idOf.get(ref)!).tag({ repo: 'hold', tag: String(i) });
            tagged.push(ref);
          }),
        );
      class JobTagsDuringRemovals extends DockerodeEngine {
        private tagging?: Promise<unknown>;
        override async removeImage(idOrReference: string) {
          this.tagging ??= job();
          await this.tagging;
          return super.removeImage(idOrReference);
        }
      }
      const settings = parseSettings({ 'min-age': '0', 'usage-store': 'none', host: target.host(), keep: 1 });
      const report = await runCleanup(settings, { engine: new JobTagsDuringRemovals({ host: settings.host }) });
      assert.equal(tagged.length, victims.length, `the job tagged only ${tagged.length} of ${victims.length} before the run removed them`);
      for (const ref of tagged) {
        const id = idOf.get(ref)!;
        assert.ok(await exists(docker, id), `${ref} (${id.slice(7, 19)}), tagged during the run, is gone`);
        const i = victims.indexOf(ref);
        assert.ok((await docker.getImage(id).inspect()).RepoTags!.includes(`hold:${i}`), `${ref} lost its new tag hold:${i}`);
      }
      const removed = report.results.filter((r) => r.status === 'removed').map((r) => r.imageId);
      for (const ref of tagged) assert.ok(!removed.includes(idOf.get(ref)!), `${ref} is reported removed`);
      assert.ok(await exists(docker, `app:ci-${n}`));
    });
  });
}
