/**
 * Build cache and stopped containers on real engines: dockerd 20.10 and dockerd 26.1 on the
 * containerd store (BuildKit builds through the API, POST /build/prune record by record) and
 * Podman (no build-cache endpoint; created containers).
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { pruneBuildCache } from '../../src/app/build-cache';
import { removeStoppedContainers } from '../../src/app/containers';
import { RUN_LOCK_NAME } from '../../src/engine/run-lock';
import { USAGE_LOCK_NAME } from '../../src/usage/engine-store';
import { loadImages } from '../../src/demo/image-factory';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import type { BuildCacheRecord } from '../../src/planner/snapshot';
import { buildKitBuild, createContainer, resetEngine, runContainer } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const DAY = 86_400_000;
const runnable = () => [{ tags: ['runner:1'], created: new Date(Date.now() - 3 * DAY), layers: [{ id: 'maint-busybox', busybox: true }] }];

function engineFor(variable: string): DockerodeEngine {
  return new DockerodeEngine({ host: process.env[variable] });
}

async function names(docker: Docker): Promise<string[]> {
  return (await docker.listContainers({ all: true })).map((c) => c.Names[0]!.replace(/^\//, '')).sort();
}

describe('maintenance on the real engine', function () {
  this.timeout(300_000);

  for (const target of enginesOf('engine/maintenance').filter((e) => e.canRun)) describe(`${target.name}: containers run`, () => {
    let docker: Docker;
    before(async () => {
      docker = target.docker();
      await resetEngine(docker);
      await loadImages(docker, runnable());
    });

    it('1. build-cache-keep 0 prunes record by record: a running build keeps its cache and succeeds, records used within min-age or shared with an image stay', async () => {
      const run = (file: string, kb: number, then = '') => `FROM runner:1\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox dd if=/dev/urandom of=/${file} bs=1k count=${kb}${then}"]\n`;
      const engine = engineFor(target.hostVariable);
      const info = await engine.info();
      const describeOf = async (file: string) => ((await engine.listBuildCache()) ?? []).filter((r) => r.description.includes(`of=/${file} `));
      // An old build whose image is gone (its cache is all that is left), and one whose image stays (its records are Shared).
      await buildKitBuild(docker, 'old:1', run('old', 300));
      await docker.getImage('old:1').remove();
      await buildKitBuild(docker, 'kept:1', run('kept', 100));
      const [oldRun] = await describeOf('old');
      const [keptRun] = await describeOf('kept');
      assert.ok(oldRun && !oldRun.shared && oldRun.size >= 300 * 1024, JSON.stringify(oldRun));
      assert.ok(keptRun?.shared, JSON.stringify(keptRun));
      await new Promise((r) => setTimeout(r, 3500));

      // A neighbour's build is running (its RUN step sleeps) while the cleanup prunes.
      const neighbour = buildKitBuild(docker, 'nb:1', run('nb', 200, '; /bin/busybox sleep 6')).then(() => 'built', (e: Error) => `failed: ${e.message}`);
      let held: BuildCacheRecord[] = [];
      for (let i = 0; i < 100 && held.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        held = ((await engine.listBuildCache()) ?? []).filter((r) => r.inUse);
      }
      assert.ok(held.length > 0, 'the running build holds cache records');
      const settings = parseSettings({ 'build-cache-keep': '0', 'min-age': '3s' });
      const dry = await pruneBuildCache(engine, info, parseSettings({ 'build-cache-keep': '0', 'min-age': '3s', 'dry-run': true }));
      assert.equal(dry?.status, 'planned');
      const report = (await pruneBuildCache(engine, info, settings))!;
      assert.equal(report.status, 'pruned', report.note);
      assert.deepEqual(report.warnings, []);
      // Every call names one record; none is a daemon-wide prune.
      assert.ok(report.queries.length > 0);
      for (const q of report.queries) assert.deepEqual(Object.keys(q.filters ?? {}), ['id'], JSON.stringify(q));
      assert.deepEqual(report.records.map((r) => r.id), report.queries.map((q) => q.filters!.id![0]));
      const pruned = new Set(report.records.filter((r) => r.status === 'pruned').map((r) => r.id));
      assert.ok(pruned.has(oldRun.id), `the old build's RUN record went: ${JSON.stringify(report.records)}`);
      assert.ok(!pruned.has(keptRun.id), 'a record an image shares stays');
      for (const r of held) assert.ok(!pruned.has(r.id), `a record the running build holds stays: ${r.description}`);
      assert.ok(report.kept.inUse >= 1 && report.kept.shared >= 1, JSON.stringify(report.kept));
      assert.ok(report.spaceReclaimed >= 300 * 1024, `reclaimed ${report.spaceReclaimed}`);
      assert.equal(report.cachesDeleted, pruned.size);
      assert.equal(await neighbour, 'built', 'the neighbour\'s build was not disturbed');

      // Right after, the neighbour's fresh records are younger than min-age: they stay.
      const [nbRun] = await describeOf('nb');
      assert.ok(nbRun, 'the neighbour\'s RUN record is there');
      const again = (await pruneBuildCache(engine, info, settings))!;
      assert.ok(!again.records.some((r) => r.id === nbRun.id), JSON.stringify(again.records));
      assert.ok(again.kept.young >= 1, JSON.stringify(again.kept));
      assert.equal((await describeOf('kept')).length, 1, 'still there');

      // What the tool no longer sends: the daemon-wide prune (all, no filter) deletes even the record the image shares.
      const wide: any = await new Promise((resolve, reject) =>
        docker.modem.dial({ path: '/build/prune?', method: 'POST', options: { all: true, 'keep-storage': 0 }, statusCodes: { 200: true } }, (err: unknown, data: unknown) => (err ? reject(err) : resolve(data))),
      );
      assert.ok(wide.CachesDeleted.includes(keptRun.id), 'a daemon-wide prune takes the shared record too');
    });

    it('1b. build-cache-max-age: only records unused for longer go, children before parents', async () => {
      const engine = engineFor(target.hostVariable);
      const info = await engine.info();
      await buildKitBuild(docker, 'aged:1', 'FROM runner:1\nRUN ["/bin/busybox", "dd", "if=/dev/urandom", "of=/aged", "bs=1k", "count=100"]\n');
      await docker.getImage('aged:1').remove();
      const young = (await pruneBuildCache(engine, info, parseSettings({ 'build-cache-max-age': '1h', 'min-age': '0' })))!;
      assert.equal(young.status, 'pruned', young.note);
      assert.deepEqual(young.records, [], 'everything was used just now');
      await new Promise((r) => setTimeout(r, 2500));
      const old = (await pruneBuildCache(engine, info, parseSettings({ 'build-cache-max-age': '2s', 'min-age': '0' })))!;
      assert.ok(old.records.some((r) => r.description.includes('of=/aged') && r.status === 'pruned' && r.why === 'max-age'), JSON.stringify(old.records));
      const ids = old.records.map((r) => r.id);
      const listed = new Map(((await engine.listBuildCache()) ?? []).map((r) => [r.id, r]));
      for (const id of ids) assert.ok(!listed.has(id), `${id} is gone`);
    });

    it('2. removes stopped containers older than the setting; never running ones or protected labels', async () => {
      await runContainer(docker, 'runner:1', { name: 'running' });
      const exited = await runContainer(docker, 'runner:1', { name: 'exited', cmd: ['/bin/busybox', 'true'] });
      await exited.wait();
      await createContainer(docker, 'runner:1', { name: 'created' });
      await createContainer(docker, 'runner:1', { name: 'pinned', labels: { keep: 'yes' } });
      // Another agent's locks, held right now: created, never started, like any created container.
      await createContainer(docker, 'runner:1', { name: RUN_LOCK_NAME });
      await createContainer(docker, 'runner:1', { name: USAGE_LOCK_NAME });
      const engine = engineFor(target.hostVariable);

      const none = await removeStoppedContainers(engine, parseSettings({ 'containers-older-than': '1h', 'protect-label': 'keep' }));
      assert.equal(none!.results.length, 0);
      assert.equal(none!.counts.young, 2);
      const dry = await removeStoppedContainers(engine, parseSettings({ 'containers-older-than': '0', 'protect-label': 'keep', 'dry-run': true }));
      assert.deepEqual(dry!.results.map((r) => [r.name, r.status]).sort(), [['created', 'planned'], ['exited', 'planned']]);
      assert.deepEqual(await names(docker), ['created', RUN_LOCK_NAME, USAGE_LOCK_NAME, 'exited', 'pinned', 'running'].sort());

      const report = await removeStoppedContainers(engine, parseSettings({ 'containers-older-than': '0', 'protect-label': 'keep' }));
      assert.deepEqual(
        report!.results.map((r) => [r.name, r.image, r.state, r.status]).sort(),
        [['created', 'runner:1', 'created', 'removed'], ['exited', 'runner:1', 'exited', 'removed']],
      );
      assert.deepEqual(report!.counts, { removed: 2, skipped: 0, failed: 0, protected: 1, young: 0, active: 1 });
      assert.deepEqual(await names(docker), [RUN_LOCK_NAME, USAGE_LOCK_NAME, 'pinned', 'running'].sort());
    });
  });

  for (const target of enginesOf('engine/maintenance').filter((e) => !e.canRun)) describe(`${target.name}: containers created, not started`, () => {
    let podman: Docker;
    before(async () => {
      podman = target.docker();
      await resetEngine(podman);
      await loadImages(podman, runnable());
    });

    it('3. build cache: skipped with a note (no build-cache endpoint)', async () => {
      const engine = engineFor('DIC_TEST_PODMAN_HOST');
      const info = await engine.info();
      const report = await pruneBuildCache(engine, info, parseSettings({ 'build-cache-keep': '1GB', 'build-cache-max-age': '7d' }));
      assert.equal(report?.status, 'skipped');
      assert.match(report!.note!, /no build-cache endpoint/);
      assert.equal(report?.spaceReclaimed, 0);
    });

    it('4. removes created containers older than the setting, keeps protected ones', async () => {
      await createContainer(podman, 'runner:1', { name: 'created-1' });
      await createContainer(podman, 'runner:1', { name: 'created-2' });
      await createContainer(podman, 'runner:1', { name: 'pinned', labels: { 'com.example.keep': 'true' } });
      const engine = engineFor('DIC_TEST_PODMAN_HOST');
      const raw: RawSettings = { 'containers-older-than': '0', 'protect-label': 'com.example.keep=true' };
      const report = await removeStoppedContainers(engine, parseSettings(raw));
      assert.deepEqual(report!.results.map((r) => [r.name, r.state, r.status]).sort(), [['created-1', 'created', 'removed'], ['created-2', 'created', 'removed']]);
      assert.equal(report!.counts.protected, 1);
      assert.deepEqual(await names(podman), ['pinned']);
    });
  });
});
