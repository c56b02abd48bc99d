import { strict as assert } from 'node:assert';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';
import { applyDecisions } from '../../src/app/apply';
import { MaxRemovalsExceededError, runCleanup, type CleanupReport } from '../../src/app/cleanup';
import { loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { plan } from '../../src/planner/planner';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { createContainer, engineFacts, listTags, resetEngine, runContainer } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every test seeds its own images from these layers; `busybox` makes containers runnable. */
const BUSYBOX: LayerSpec = { id: 'busybox', busybox: true };
const layer = (id: string, bytes = 20_000): LayerSpec => ({ id, bytes });

function ago(ms: number): Date {
  return new Date(Date.now() - ms);
}

/** builds ci-1 (oldest) .. ci-n of a repository on top of `base` layers, one day apart */
function builds(repo: string, n: number, base: LayerSpec[] = [BUSYBOX], extra: Partial<ImageSpec> = {}): ImageSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    tags: [`${repo}:ci-${i + 1}`],
    created: ago((n - i) * DAY),
    layers: [...base, layer(`${repo}-ci-${i + 1}`)],
    ...extra,
  }));
}

for (const target of enginesOf('engine/cleanup')) {
  describe(`real engine: ${target.name}`, function () {
    this.timeout(180_000);
    let docker: Docker;

    before(() => {
      docker = target.docker();
    });
    beforeEach(async () => {
      await resetEngine(docker);
    });

    async function clean(raw: RawSettings, clock?: () => number): Promise<CleanupReport> {
      const settings = parseSettings({ 'min-age': '0', host: target.host(), ...raw });
      return runCleanup(settings, { engine: new DockerodeEngine({ host: settings.host }), clock });
    }

    const useContainer = (image: string, name: string) =>
      target.canRun ? runContainer(docker, image, { name }) : createContainer(docker, image, { name });

    it('1. keeps N builds plus the current build and removes the rest', async () => {
      await loadImages(docker, builds('app', 5));
      const report = await clean({ keep: 2, current: 'app:ci-1' });
      assert.deepEqual(await listTags(docker), ['app:ci-1', 'app:ci-4', 'app:ci-5']);
      assert.equal(report.counts.removed, 2);
      assert.equal(report.counts.failed, 0);
    });

    it('2. latest plus a build tag on one image is one build, and both tags stay', async () => {
      const specs = builds('app', 3);
      specs[2].tags.push('app:latest');
      await loadImages(docker, specs);
      await clean({ keep: 1 });
      assert.deepEqual(await listTags(docker), ['app:ci-3', 'app:latest']);
    });

    it('3. one image in two repositories: judged per reference, never "referenced in multiple repositories"', async () => {
      const specs = builds('app', 3);
      specs[0].tags.push('registry.example.com/team/app:ci-1');
      const gone = builds('app2', 3);
      gone[0].tags.push('registry.example.com/team/app2:ci-1');
      gone.push({ tags: ['registry.example.com/team/app2:ci-2', 'registry.example.com/team/app2:ci-3'], created: ago(HOUR * 2), layers: [BUSYBOX, layer('mirror')] });
      await loadImages(docker, [...specs, ...gone]);
      const report = await clean({ keep: 1 });
      const tags = await listTags(docker);
      // app:ci-1 untagged, the image stays for its registry tag
      assert.ok(!tags.includes('app:ci-1'));
      assert.ok(tags.includes('registry.example.com/team/app:ci-1'));
      // app2:ci-1 went from both repositories, so the image is deleted
      assert.ok(!tags.includes('app2:ci-1'));
      assert.ok(!tags.includes('registry.example.com/team/app2:ci-1'));
      assert.equal(report.counts.failed, 0);
      assert.ok(!JSON.stringify(report.results).includes('multiple repositories'));
      // containerd store: the repo@digest it derives from each tag is no tag of its own (the re-check
      // after the first untag once took it for one: "skipped (changed) … tagged …@sha256:… since planning")
      assert.deepEqual(report.results.filter((r) => r.status === 'changed'), []);
      assert.ok(report.plan.decisions.every((d) => d.references.every((r) => !r.includes('@sha256:'))), 'no digest reference of its own here');
    });

    it('4. base images are found by their layers without any protect pattern', async () => {
      const node18 = [BUSYBOX, layer('node18')];
      await loadImages(docker, [
        { tags: ['node:18-alpine'], created: ago(300 * DAY), layers: node18 },
        { tags: ['node:20-alpine'], created: ago(200 * DAY), layers: [BUSYBOX, layer('node20')] },
        { tags: ['node:22-alpine'], created: ago(100 * DAY), layers: [BUSYBOX, layer('node22')] },
        ...builds('app', 3, node18),
      ]);
      const report = await clean({ keep: 2 });
      const tags = await listTags(docker);
      assert.ok(tags.includes('node:18-alpine'), 'the old base the kept builds stand on stays');
      assert.ok(tags.includes('node:20-alpine') && tags.includes('node:22-alpine'));
      assert.ok(!tags.includes('app:ci-1'));
      const node = report.plan.decisions.find((d) => d.references.includes('docker.io/library/node:18-alpine'))!;
      assert.ok(node.keepReasons.some((r) => r.kind === 'base-of'));
    });

    it('5. a protect pattern for a whole registry', async () => {
      await loadImages(docker, [
        ...builds('mcr.microsoft.com/dotnet/sdk', 4),
        ...builds('app', 4),
      ]);
      await clean({ keep: 1, protect: 'mcr.microsoft.com/**' });
      const tags = await listTags(docker);
      assert.equal(tags.filter((t) => t.startsWith('mcr.microsoft.com/')).length, 4);
      assert.deepEqual(tags.filter((t) => t.startsWith('app:')), ['app:ci-4']);
    });

    it('6. a label-protected image', async () => {
      const specs = builds('app', 4);
      specs[0].labels = { 'com.example.keep': 'true' };
      await loadImages(docker, specs);
      await clean({ keep: 1, 'protect-label': 'com.example.keep=true' });
      assert.deepEqual(await listTags(docker), ['app:ci-1', 'app:ci-4']);
    });

    it('7. a container created by image ID keeps that image', async () => {
      await loadImages(docker, builds('app', 4));
      const id = (await docker.getImage('app:ci-1').inspect()).Id;
      await useContainer(id.slice(7, 19), 'by-id');
      const report = await clean({ keep: 1 });
      assert.ok((await listTags(docker)).includes('app:ci-1'));
      const d = report.plan.decisions.find((x) => x.imageId === id)!;
      assert.ok(d.keepReasons.some((r) => r.kind === 'in-use' && r.containerName === 'by-id'));
    });

    it('8. a stopped container keeps its image', async function () {
      await loadImages(docker, builds('app', 4));
      const c = await useContainer('app:ci-2', 'stopped');
      if (target.canRun) await c.stop({ t: 0 });
      const state = (await c.inspect()).State.Status;
      assert.ok(['exited', 'created'].includes(state), state);
      await clean({ keep: 1 });
      assert.deepEqual(await listTags(docker), ['app:ci-2', 'app:ci-4']);
    });

    it('9. a container whose image tag has since moved to a newer build keeps the old image', async () => {
      await loadImages(docker, builds('app', 3, [BUSYBOX], {}));
      await useContainer('app:ci-1', 'old-service');
      const oldId = (await docker.getImage('app:ci-1').inspect()).Id;
      // a newer build takes the tag: the container's image is now untagged
      await loadImages(docker, [{ tags: ['app:ci-1'], created: ago(HOUR * 3), layers: [BUSYBOX, layer('rebuilt')] }]);
      const report = await clean({ keep: 1 });
      if (!(await engineFacts(target)).loadKeepsReplacedImage) {
        // dockerd 26.1's containerd store: its load overwrites the name record and deletes the old image
        // although a container uses it (the engine's doing, before the tool runs; a tag
        // moved by `docker tag` leaves a dangling record instead, see 19). What holds: the
        // container stays, nothing fails, and the rebuilt ci-1 is kept as the newest build.
        await assert.rejects(docker.getImage(oldId).inspect(), /no such image/i);
        assert.equal((await docker.listContainers({ all: true })).length, 1);
        assert.equal(report.counts.failed, 0);
        assert.deepEqual(await listTags(docker), ['app:ci-1']);
        return;
      }
      const still = await docker.getImage(oldId).inspect();
      assert.equal(still.Id, oldId);
      const d = report.plan.decisions.find((x) => x.imageId === oldId)!;
      assert.deepEqual(d.references, []);
      assert.ok(d.keepReasons.some((r) => r.kind === 'in-use'));
    });

    it('10. dangling images nobody needs are removed', async () => {
      await loadImages(docker, [
        { tags: [], created: ago(10 * DAY), layers: [BUSYBOX, layer('leftover-1')] },
        { tags: [], created: ago(9 * DAY), layers: [BUSYBOX, layer('leftover-2')] },
        ...builds('app', 1),
      ]);
      const before = (await docker.listImages()).length;
      const report = await clean({ keep: 2 });
      assert.equal(before, 3);
      assert.equal((await docker.listImages()).length, 1);
      assert.equal(report.plan.decisions.filter((d) => d.removeReasons.some((r) => r.kind === 'dangling')).length, 2);
    });

    it('11. an image younger than min-age is kept (the run happens two hours after loading)', async () => {
      const later = Date.now() + 2 * HOUR;
      const specs = builds('app', 3);
      // built 10 and 20 minutes before the run by a concurrent job
      specs.push({ tags: ['app:concurrent'], created: new Date(later - 10 * 60_000), layers: [BUSYBOX, layer('young')] });
      specs[0].created = new Date(later - 20 * 60_000);
      await loadImages(docker, specs);
      const report = await clean({ keep: 0, 'min-age': '1h' }, () => later);
      assert.deepEqual(await listTags(docker), ['app:ci-1', 'app:concurrent']);
      const d = report.plan.decisions.find((x) => x.references.includes('docker.io/library/app:concurrent'))!;
      assert.ok(d.keepReasons.some((r) => r.kind === 'young' && r.source === 'created'));
    });

    it('11b. an image that arrived just now with a months-old creation time is kept by min-age', async () => {
      await loadImages(docker, builds('app', 3));
      await docker.getImage('app:ci-1').tag({ repo: 'app', tag: 'pulled-now' });
      const report = await clean({ keep: 0, 'min-age': '1h' });
      const d = report.plan.decisions.find((x) => x.references.includes('docker.io/library/app:pulled-now'))!;
      const young = d.keepReasons.find((r) => r.kind === 'young');
      assert.ok(young && young.source !== 'created', JSON.stringify(d.keepReasons));
      assert.equal(d.action, 'keep');
      // dockerd's load events name each image, so all three just-loaded builds are young;
      // Podman's "loadfromarchive" event names only the archive, so only the tag event counts there.
      assert.equal(report.counts.removed, target.canRun ? 0 : 2);
    });

    it('12. a repository outside scope is untouched', async () => {
      await loadImages(docker, [...builds('app', 4), ...builds('team/other', 4)]);
      await clean({ keep: 1, repositories: 'app' });
      const tags = await listTags(docker);
      assert.equal(tags.filter((t) => t.startsWith('team/other:')).length, 4);
      assert.deepEqual(tags.filter((t) => t.startsWith('app:')), ['app:ci-4']);
    });

    it('13. a dry run changes nothing', async () => {
      await loadImages(docker, builds('app', 5));
      const before = await listTags(docker);
      const report = await clean({ keep: 1, 'dry-run': true });
      assert.deepEqual(await listTags(docker), before);
      assert.equal(report.counts.removed, 4);
      assert.deepEqual(report.results, []);
    });

    it('14. a second run removes nothing', async () => {
      await loadImages(docker, [...builds('app', 5), { tags: [], created: ago(DAY), layers: [BUSYBOX, layer('d')] }]);
      const first = await clean({ keep: 2 });
      assert.equal(first.counts.removed, 4);
      const second = await clean({ keep: 2 });
      assert.equal(second.counts.removed, 0);
      assert.equal(second.counts.untagged, 0);
      assert.deepEqual(second.results, []);
    });

    it('15. a tag moved to a new image between plan and apply leaves the new image intact', async () => {
      await loadImages(docker, builds('app', 4));
      const engine = new DockerodeEngine({ host: target.host() });
      const settings = parseSettings({ keep: 1, 'min-age': '0' });
      const snapshot = await engine.snapshot({ activitySince: Date.now() });
      const p = plan({ snapshot, settings, now: Date.now() });
      assert.equal(p.decisions.filter((d) => d.action === 'remove').length, 3);
      const oldId = (await docker.getImage('app:ci-1').inspect()).Id;
      // a concurrent build retags app:ci-1 before the removals run
      await loadImages(docker, [{ tags: ['app:ci-1'], created: new Date(), layers: [BUSYBOX, layer('concurrent')] }]);
      const newId = (await docker.getImage('app:ci-1').inspect()).Id;
      const results = await applyDecisions(engine, p.decisions);
      assert.equal((await docker.getImage('app:ci-1').inspect()).Id, newId);
      // The old image, dangling now, went by its ID: the moved tag was never named in a call.
      // (on the containerd store an image is its names: it went with the moved tag, 'gone')
      assert.ok(['removed', 'gone'].includes(results.find((r) => r.imageId === oldId)?.status ?? ''));
      assert.deepEqual(results.flatMap((r) => r.incidents ?? []), []);
      assert.deepEqual(await listTags(docker), ['app:ci-1', 'app:ci-4']);
    });

    it('16. the safety cap refuses and nothing is removed', async () => {
      await loadImages(docker, builds('app', 5));
      await assert.rejects(clean({ keep: 1, 'max-removals': 3 }), MaxRemovalsExceededError);
      assert.equal((await listTags(docker)).length, 5);
    });

    it('17. predicted bytes match what the engine measures, shared layers counted once', async () => {
      const base = [BUSYBOX, layer('shared-base', 300_000)];
      await loadImages(docker, [
        { tags: ['base:1'], created: ago(100 * DAY), layers: base },
        ...builds('app', 6, base),
        { tags: [], created: ago(5 * DAY), layers: [...base, layer('dangling-own', 50_000)] },
      ]);
      // What the engine's own image list says the images hold, before and after (Podman's measured figure).
      const listedBytes = async () => (await docker.listImages()).reduce((sum, i) => sum + i.Size, 0);
      const listedBefore = await listedBytes();
      const report = await clean({ keep: 2 });
      const listedAfter = await listedBytes();
      assert.equal(report.counts.removed, 5);
      assert.ok(report.bytes.predicted > 4 * 20_000, `predicted ${report.bytes.predicted}`);
      const facts = await engineFacts(target);
      if (target.store === 'containerd' && !facts.diskUseCountsContent) {
        assert.ok(report.warnings.some((w) => /content store are freed too, but neither predicted nor measured/.test(w)), report.warnings.join('\n'));
      }
      if (facts.diskUseCountsContent) {
        // snapshots and blobs: each build's own blobs; the base's stay. Off only by config blobs
        // (their sizes are not in the API, see the README's size rules): well within 1%.
        assert.ok(!report.warnings.some((w) => /content store/.test(w)), report.warnings.join('\n'));
        assert.ok(Math.abs(report.bytes.measured! - report.bytes.predicted) <= report.bytes.measured! / 100, `${report.bytes.predicted} predicted, ${report.bytes.measured} measured`);
      } else if (target.store !== 'podman') {
        assert.equal(report.bytes.measured, report.bytes.predicted);
      } else {
        // Podman 4.3's df has no layer figure (docs/engines.md): the sum of its images' listed Sizes, held to that list.
        assert.equal(report.bytes.before, listedBefore);
        assert.equal(report.bytes.after, listedAfter);
        assert.equal(report.bytes.measured, listedBefore - listedAfter);
        assert.ok(report.bytes.measured! >= report.bytes.predicted, `a shared base counts once in each listed Size: measured ${report.bytes.measured} >= predicted ${report.bytes.predicted}`);
      }
    });

    it('19. moby #45839 shapes: containers by full ID, short ID, digest, and one whose tag moved to a newer build keep their images', async () => {
      await loadImages(docker, builds('app', 5));
      const idOf = async (ref: string) => (await docker.getImage(ref).inspect()).Id;
      const [byFull, byShort, byDigest, moved] = [await idOf('app:ci-1'), await idOf('app:ci-2'), await idOf('app:ci-3'), await idOf('app:ci-4')];
      await useContainer(byFull, 'by-full-id');
      await useContainer(byShort.slice(7, 19), 'by-short-id');
      const digests = (await docker.getImage('app:ci-3').inspect()).RepoDigests ?? [];
      if (target.store === 'graphdriver') {
        // dockerd 20.10 lists a digest only for pulled or pushed images, never for a loaded one,
        // and no registry is reachable here: the digest form there is `sha256:<ID>`.
        assert.deepEqual(digests, []);
        await useContainer(byDigest, 'by-digest');
      } else {
        // containerd store: repo@<manifest digest> = repo@<image ID>; Podman: its local manifest's digest
        assert.equal(digests.length, 1, JSON.stringify(digests));
        await useContainer(digests[0]!, 'by-digest');
      }
      await useContainer('app:ci-4', 'tag-moved');
      await docker.getImage('app:ci-5').tag({ repo: 'app', tag: 'ci-4' });
      const report = await clean({ keep: 0 });
      const expected: [string, string][] = [[byFull, 'by-full-id'], [byShort, 'by-short-id'], [byDigest, 'by-digest'], [moved, 'tag-moved']];
      for (const [id, name] of expected) {
        assert.equal((await docker.getImage(id).inspect()).Id, id, `${name}: the image stays`);
        const d = report.plan.decisions.find((x) => x.imageId === id);
        assert.ok(d?.keepReasons.some((r) => r.kind === 'in-use' && r.containerName === name), `${name}: ${JSON.stringify(d?.keepReasons)}`);
      }
      // the tag moved to ci-5's image, which no container uses: that one goes
      assert.deepEqual((await listTags(docker)).filter((t) => t === 'app:ci-4' || t === 'app:ci-5'), []);
      assert.equal(report.counts.failed, 0);
    });

    it('20. classic-builder builds (DOCKER_BUILDKIT=0) have a parent, loaded images none; removing old builds frees exactly the predicted bytes', async () => {
      await loadImages(docker, [{ tags: ['base:1'], created: ago(100 * DAY), layers: [BUSYBOX, layer('classic-base', 100_000)] }]);
      for (const n of [1, 2, 3]) {
        // Podman's service here cannot start the container a RUN step needs: COPY only there
        const run = target.canRun ? `RUN ["/bin/busybox", "dd", "if=/dev/zero", "of=/data", "bs=1k", "count=${30 * n}"]\n` : '';
        await classicBuild(docker, `app:ci-${n}`, `FROM base:1\nCOPY build.txt /build.txt\n${run}LABEL build=${n}\n`, { 'build.txt': 'x'.repeat(20_000 * n) });
      }
      const snapshot = await new DockerodeEngine({ host: target.host() }).snapshot({ activitySince: Date.now() });
      const record = (tag: string) => snapshot.images.find((i) => i.tags.includes(`docker.io/library/${tag}`))!;
      assert.equal(record('base:1').parentId, undefined, 'a loaded image has no parent');
      for (const n of [1, 2, 3]) assert.ok(record(`app:ci-${n}`).parentId, `app:ci-${n} has its build parent`);
      const report = await clean({ keep: 1 });
      assert.equal(report.counts.removed, 2);
      assert.deepEqual(await listTags(docker), ['app:ci-3', 'base:1']);
      if (target.store === 'podman') {
        // Podman's df has no layer figure (LayersSize 0, SharedSize 0) and the Sizes it lists for
        // buildah-built images do not add up to their layers: only the removal is asserted there
        assert.ok(report.bytes.predicted > 2 * 20_000, `predicted ${report.bytes.predicted}`);
        assert.ok(report.bytes.measured !== undefined);
      } else if (target.store === 'containerd') {
        // Each RUN layer sits on its build container's -init snapshot, which the history does not
        // show; the image's unpacked size counts it. The tool deletes with noprune there, so the
        // builds' intermediate images (dangling once their child is gone) still hold those
        // snapshots: this run frees less than predicted (a known gap: the prediction does not see
        // the intermediates, listed only with all=1); the next run removes them as dangling.
        assert.ok(report.bytes.measured! < report.bytes.predicted);
        const next = await clean({ keep: 1 });
        assert.ok(next.plan.decisions.filter((d) => d.action === 'remove').every((d) => d.references.length === 0));
        assert.ok(next.bytes.measured! > 0 && report.bytes.measured! + next.bytes.measured! <= report.bytes.predicted);
      } else {
        assert.equal(report.bytes.measured, report.bytes.predicted);
      }
    });

    it('18. a wrong socket is reported as unreachable, naming the address', async () => {
      const settings = parseSettings({ host: 'unix:///nonexistent/docker.sock' });
      await assert.rejects(runCleanup(settings, { engine: new DockerodeEngine({ host: settings.host }) }), /cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker\.sock/);
    });
  });
}

/** `docker build` with the classic builder (API version=1, as DOCKER_BUILDKIT=0 sends), no network. */
async function classicBuild(docker: Docker, tag: string, dockerfile: string, files: Record<string, string> = {}): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, content);
  pack.finalize();
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, version: '1', networkmode: 'none', rm: true } as any);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream as unknown as NodeJS.ReadableStream, (err: Error | null, out: any[]) => {
      const failed = out?.find((o) => o.error || o.errorDetail);
      if (err || failed) return reject(err ?? new Error(failed.errorDetail?.message ?? failed.error));
      resolve();
    }),
  );
}
