/**
 * Volumes and buildx builder leftovers on real engines: dockerd (containers run,
 * so volumes hold real bytes sized by system/df) and Podman (containers can only
 * be created here, so its volumes stay empty: sizes are 0, the rules are the same).
 * Buildx leftovers are simulated with containers and volumes named as the
 * docker-container driver names them (no buildx CLI and no registry here).
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { cleanVolumes } from '../../src/app/volumes';
import { runCleanup } from '../../src/app/cleanup';
import { loadImages } from '../../src/demo/image-factory';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { createContainer, resetEngine, runContainer } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const DAY = 86_400_000;
const runnable = () => [{ tags: ['runner:1'], created: new Date(Date.now() - 3 * DAY), layers: [{ id: 'vol-busybox', busybox: true }] }];
const FILL = (path: string, kb: number) => ['/bin/busybox', 'dd', 'if=/dev/urandom', `of=${path}`, 'bs=1k', `count=${kb}`];
const ALL: RawSettings = { 'volumes-older-than': '0', 'volumes-named': true, 'protect-volume': 'pinned-*', 'protect-label': 'keep', 'buildx-older-than': '0' };

async function volumeNames(docker: Docker): Promise<string[]> {
  return ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).sort();
}

/** Runs `cmd` in a container with these mounts until it exits (dockerd only). */
async function runToEnd(docker: Docker, name: string, volumes: string[], cmd: string[]): Promise<Docker.Container> {
  const c = await runContainer(docker, 'runner:1', { name, volumes, cmd });
  await c.wait();
  return c;
}

/** The anonymous volume a container mounts at `path`. */
async function anonymousOf(c: Docker.Container, path: string): Promise<string> {
  const inspect: any = await c.inspect();
  return inspect.Mounts.find((m: any) => m.Destination === path).Name;
}

describe('volumes and builder leftovers on the real engine', function () {
  this.timeout(300_000);

  for (const target of enginesOf('engine/volumes').filter((e) => e.canRun)) describe(`${target.name}: containers run`, () => {
    let docker: Docker;
    let leftover: string;
    let held: string;
    beforeEach(async () => {
      docker = target.docker();
      await resetEngine(docker);
      await loadImages(docker, runnable());
      // A container job that wrote 300 kB to an anonymous volume and was removed without -v.
      const gone = await runToEnd(docker, 'gone-job', ['/data'], FILL('/data/f', 300));
      leftover = await anonymousOf(gone, '/data');
      await gone.remove({ v: false });
      // An exited job still holds its anonymous volume.
      held = await anonymousOf(await runToEnd(docker, 'held-job', ['/data'], FILL('/data/f', 10)), '/data');
      // A running service on a named volume; dangling named volumes, one pinned by name, one by label.
      await runContainer(docker, 'runner:1', { name: 'svc', volumes: ['svc-data:/d'] });
      await (await runToEnd(docker, 'filler', ['old-cache:/c', 'pinned-npm:/p'], FILL('/c/f', 200))).remove();
      await docker.createVolume({ Name: 'labelled', Labels: { keep: 'yes' } });
      // buildx: a stopped node of a gone builder with 100 kB of state, and a running builder.
      await runToEnd(docker, 'buildx_buildkit_old0', ['buildx_buildkit_old0_state:/var/lib/buildkit'], FILL('/var/lib/buildkit/cache', 100));
      await runContainer(docker, 'runner:1', { name: 'buildx_buildkit_live0', volumes: ['buildx_buildkit_live0_state:/var/lib/buildkit'] });
    });

    it('1. dry run: each kind with its reason and bytes from system/df; nothing changes', async () => {
      const engine = new DockerodeEngine({ host: target.host() });
      const before = await volumeNames(docker);
      const report = (await cleanVolumes(engine, parseSettings({ ...ALL, 'dry-run': true })))!;
      const going = Object.fromEntries([...report.plan.volumes, ...report.plan.builders].filter((d) => d.action === 'remove').map((d) => [d.name, d]));
      assert.deepEqual(Object.keys(going).sort(), [leftover, 'buildx_buildkit_old0', 'buildx_buildkit_old0_state', 'old-cache'].sort());
      assert.match(going[leftover].reason, /^anonymous volume no container mounts/);
      assert.match(going['old-cache'].reason, /^dangling named volume/);
      assert.match(going.buildx_buildkit_old0.reason, /^stopped node of builder old, which no longer runs/);
      assert.match(going.buildx_buildkit_old0_state.reason, /^state of builder old/);
      // vfs sizes files by their blocks: at least what was written.
      assert.ok(going[leftover].bytes! >= 300 * 1024, `anonymous ${going[leftover].bytes}`);
      assert.ok(going['old-cache'].bytes! >= 200 * 1024);
      assert.ok(going.buildx_buildkit_old0_state.bytes! >= 100 * 1024);
      const kept = Object.fromEntries(report.plan.volumes.filter((d) => d.action === 'keep').map((d) => [d.name, d.reason]));
      assert.match(kept[held], /^mounted by held-job/);
      assert.match(kept['svc-data'], /^mounted by svc/);
      assert.match(kept['pinned-npm'], /^protected name pinned-\*/);
      assert.match(kept.labelled, /^protected label/);
      assert.match(kept.buildx_buildkit_live0_state, /^mounted by buildx_buildkit_live0/);
      assert.ok(report.bytes.predicted >= 600 * 1024);
      assert.deepEqual(report.results.map((r) => r.status), ['planned', 'planned', 'planned', 'planned']);
      assert.match(report.sizeSource, /system\/df/);
      assert.deepEqual(await volumeNames(docker), before);
    });

    it('2. removes them, never what a container mounts; measured bytes match the prediction', async () => {
      const engine = new DockerodeEngine({ host: target.host() });
      const report = (await cleanVolumes(engine, parseSettings(ALL)))!;
      assert.deepEqual(report.results.map((r) => [r.kind, r.name, r.status]).sort(), [
        ['builder-container', 'buildx_buildkit_old0', 'removed'],
        ['volume', 'buildx_buildkit_old0_state', 'removed'],
        ['volume', leftover, 'removed'],
        ['volume', 'old-cache', 'removed'],
      ].sort());
      assert.deepEqual(await volumeNames(docker), [held, 'buildx_buildkit_live0_state', 'labelled', 'pinned-npm', 'svc-data'].sort());
      assert.equal(report.bytes.measured, report.bytes.predicted, 'system/df before minus after equals what the plan sized');
      const names = (await docker.listContainers({ all: true })).map((c) => c.Names[0]).sort();
      assert.deepEqual(names, ['/buildx_buildkit_live0', '/held-job', '/svc']);
    });

    it('3. within the grace period nothing goes (volume created or mounted recently)', async () => {
      const engine = new DockerodeEngine({ host: target.host() });
      const report = (await cleanVolumes(engine, parseSettings({ ...ALL, 'volumes-older-than': '1h', 'buildx-older-than': '1h' })))!;
      assert.deepEqual(report.results, []);
      const reasons = [...report.plan.volumes, ...report.plan.builders].filter((d) => d.action === 'keep').map((d) => d.reason);
      assert.ok(reasons.some((r) => /within the grace period/.test(r)));
      assert.ok(reasons.some((r) => /younger than buildx-older-than/.test(r)));
    });

    it('4. a job that mounts a volume after the listing: the re-check skips it, no force', async () => {
      const engine = new DockerodeEngine({ host: target.host() });
      const realUsers = engine.volumeUsers.bind(engine);
      // A concurrent job takes the leftover volume right before the tool's re-check.
      engine.volumeUsers = async (name: string) => {
        if (name === leftover) await createContainer(docker, 'runner:1', { name: 'late-job', volumes: [`${leftover}:/data`] });
        return realUsers(name);
      };
      const report = (await cleanVolumes(engine, parseSettings(ALL)))!;
      const r = report.results.find((x) => x.name === leftover)!;
      assert.equal(r.status, 'skipped');
      assert.match(r.note!, /mounted by late-job since listing/);
      assert.ok((await volumeNames(docker)).includes(leftover));
    });

    it('5. in a cleanup run: the report shows the volumes after the images, text and JSON', async () => {
      const engine = new DockerodeEngine({ host: target.host() });
      const report = await runCleanup(parseSettings({ ...ALL, 'dry-run': true }), { engine });
      assert.equal(report.volumes?.results.length, 4);
      const { renderText } = await import('../../src/report/text');
      const text = renderText(report);
      assert.match(text, /Volumes and builder leftovers: .* predicted; sizes from system\/df/);
      assert.match(text, new RegExp(`anonymous ${leftover}: planned, \\d+(\\.\\d+)?kB \\(anonymous volume no container mounts`));
      assert.match(text, /builder-container buildx_buildkit_old0: planned/);
      const { toJson } = await import('../../src/report/json');
      const json = JSON.parse(JSON.stringify(toJson(report)));
      assert.equal(json.volumes.bytes.predicted, report.volumes!.bytes.predicted);
      assert.deepEqual(json.volumes.results.map((r: any) => r.name).sort(), [leftover, 'buildx_buildkit_old0', 'buildx_buildkit_old0_state', 'old-cache'].sort());
    });
  });

  for (const target of enginesOf('engine/volumes').filter((e) => !e.canRun)) describe(`${target.name}: containers created, not started`, () => {
    let podman: Docker;
    before(async () => {
      podman = target.docker();
      await resetEngine(podman);
      await loadImages(podman, runnable());
    });

    it('6. created containers hold their volumes; removed ones leave them, which go (sizes 0: nothing can write here)', async () => {
      const gone = await createContainer(podman, 'runner:1', { name: 'gone-job', volumes: ['/data'] });
      const leftover = await anonymousOf(gone, '/data');
      await gone.remove({ v: false });
      const held = await anonymousOf(await createContainer(podman, 'runner:1', { name: 'held-job', volumes: ['/data'] }), '/data');
      await createContainer(podman, 'runner:1', { name: 'buildx_buildkit_old0', volumes: ['buildx_buildkit_old0_state:/var/lib/buildkit'] });
      await podman.createVolume({ Name: 'pinned-x' });
      const engine = new DockerodeEngine({ host: process.env.DIC_TEST_PODMAN_HOST });
      const report = (await cleanVolumes(engine, parseSettings(ALL)))!;
      assert.deepEqual(report.results.map((r) => [r.name, r.status]).sort(), [['buildx_buildkit_old0', 'removed'], ['buildx_buildkit_old0_state', 'removed'], [leftover, 'removed']].sort());
      assert.deepEqual(await volumeNames(podman), [held, 'pinned-x'].sort());
      // Podman's system/df sizes volumes (0 here: created containers never write).
      assert.equal(report.bytes.unsized, 0);
      assert.equal(report.bytes.predicted, 0);
    });
  });
});
