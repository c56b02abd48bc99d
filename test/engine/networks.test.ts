/**
 * Networks on every real engine: user-defined bridge networks (the engines here run with
 * --bridge=none, but a bridge network can still be created, and dockerd runs containers on
 * one), joined by a running container (dockerd) or a created one (Podman cannot start
 * containers here), a stopped one, one pinned by label, one left alone. dockerd removes a
 * network a stopped container joins without a word: the step's own check is what keeps it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { runCleanup } from '../../src/app/cleanup';
import { loadImages } from '../../src/demo/image-factory';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { resetEngine, type EngineUnderTest } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const DAY = 86_400_000;
const USER_NETWORKS = ['old-free', 'old-stopped', 'old-live', 'pinned'];

/** The engine's networks by name. */
async function networkNames(docker: Docker): Promise<string[]> {
  return (await docker.listNetworks()).map((n) => n.Name).sort();
}

/** Removes every network the engine does not make itself (the harness: forced containers went first). */
async function removeUserNetworks(docker: Docker): Promise<void> {
  for (const n of await docker.listNetworks()) {
    if (!['bridge', 'host', 'none', 'podman'].includes(n.Name)) await docker.getNetwork(n.Id).remove();
  }
}

/** A container on `network` (busybox sleep); started where the engine can run containers. */
async function onNetwork(docker: Docker, name: string, network: string, start: boolean): Promise<Docker.Container> {
  const c = await docker.createContainer({ name, Image: 'nets:1', Cmd: ['/bin/busybox', start ? 'sleep' : 'true', '3600'], StopTimeout: 1, HostConfig: { NetworkMode: network } } as Docker.ContainerCreateOptions);
  if (start) await c.start();
  return c;
}

/** Stops the engine's process (SIGSTOP) around `body`: dockerd's or Podman's pid file beside its socket. */
async function paused<T>(target: EngineUnderTest, body: () => Promise<T>): Promise<T> {
  const dir = path.dirname(target.host().replace(/^unix:\/\//, ''));
  const pid = Number(fs.readFileSync(path.join(dir, target.store === 'podman' ? 'podman.pid' : 'daemon.pid'), 'utf8').trim());
  process.kill(pid, 'SIGSTOP');
  try {
    return await body();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

describe('networks on the real engine', function () {
  this.timeout(300_000);

  for (const target of enginesOf('engine/networks')) describe(target.name, () => {
    let docker: Docker;
    const run = (raw: RawSettings) => runCleanup(parseSettings({ 'min-age': '0', 'networks-older-than': '0', 'protect-label': 'keep', ...raw }), { engine: new DockerodeEngine({ host: target.host() }) });

    beforeEach(async () => {
      docker = target.docker();
      await resetEngine(docker);
      await removeUserNetworks(docker);
      await loadImages(docker, [{ tags: ['nets:1'], created: new Date(Date.now() - 3 * DAY), layers: [{ id: 'nets-busybox', busybox: true }] }]);
      for (const name of USER_NETWORKS) await docker.createNetwork({ Name: name, ...(name === 'pinned' ? { Labels: { keep: 'yes' } } : {}) });
      // A job container that ran on its network and stopped (created only, on Podman); a service still on its own.
      const stopped = await onNetwork(docker, 'stopped-job', 'old-stopped', target.canRun);
      if (target.canRun) await stopped.stop({ t: 1 });
      await onNetwork(docker, 'live-svc', 'old-live', target.canRun);
    });
    after(async () => {
      await resetEngine(docker);
      await removeUserNetworks(docker);
    });

    it('1. dry run: only the network no container joins would go; why each stays; the engine\'s own are not listed; nothing changes', async () => {
      const before = await networkNames(docker);
      const report = await run({ 'dry-run': true });
      const n = report.networks!;
      assert.deepEqual(n.results.map((r) => `${r.name} ${r.status}`), ['old-free planned']);
      const why = Object.fromEntries(n.decisions.map((d) => [d.name, `${d.action}: ${d.reason}`]));
      assert.match(why['old-free']!, /^remove: user-defined network no container joins, unused for/);
      assert.equal(why['old-stopped'], 'keep: joined by stopped-job');
      assert.equal(why['old-live'], 'keep: joined by live-svc');
      assert.equal(why.pinned, 'keep: protected label');
      for (const own of n.decisions.filter((d) => !USER_NETWORKS.includes(d.name))) assert.equal(own.reason, "the engine's own network", own.name);
      assert.deepEqual(n.counts, { removed: 1, skipped: 0, failed: 0, kept: 3 });
      assert.deepEqual(await networkNames(docker), before);
    });

    it('2. real run: the unused network goes, last; the joined, pinned and default ones stay, and the stopped job can still start', async () => {
      const before = await networkNames(docker);
      const report = await run({});
      assert.deepEqual(report.networks!.results.map((r) => `${r.name} ${r.status}`), ['old-free removed']);
      assert.deepEqual(await networkNames(docker), before.filter((n) => n !== 'old-free'));
      if (target.canRun) await docker.getContainer('stopped-job').start();
    });

    it('3. within networks-older-than: every network stays, with how long ago it was used', async () => {
      const report = await run({ 'networks-older-than': '1h' });
      assert.deepEqual(report.networks!.results, []);
      const free = report.networks!.decisions.find((d) => d.name === 'old-free')!;
      assert.match(free.reason, /^used [0-9a-z]+ ago, within networks-older-than$/);
      assert.ok(free.idleMs! >= 0 && free.idleMs! < 3_600_000, String(free.idleMs));
    });

    it('4. the port: in use is a conflict (never forced), gone is gone, the engine\'s own network is refused', async () => {
      const engine = new DockerodeEngine({ host: target.host() });
      const live = await engine.removeNetwork('old-live');
      assert.equal(live.status, 'conflict');
      assert.match((live as { message: string }).message, target.store === 'podman' ? /network is being used/ : /has active endpoints/);
      // dockerd removes a network a stopped container joins (the step's re-check is what keeps it); Podman refuses.
      const stopped = await engine.inspectNetwork('old-stopped');
      assert.deepEqual(stopped?.users, ['stopped-job']);
      await docker.getNetwork('old-free').remove();
      assert.deepEqual(await engine.removeNetwork('old-free'), { status: 'gone' });
      assert.equal(await engine.inspectNetwork('old-free'), undefined);
      const own = await engine.removeNetwork(target.store === 'podman' ? 'bridge' : 'host');
      assert.equal(own.status, 'conflict', JSON.stringify(own));
      assert.ok((await networkNames(docker)).includes(target.store === 'podman' ? 'bridge' : 'host'));
    });

    it('5. every network call has a deadline: a paused engine fails each in about --timeout, naming the call', async () => {
      const engine = new DockerodeEngine({ host: target.host(), timeoutMs: 1000 });
      // A name no network has: a call the paused engine reads once it runs again changes nothing.
      await paused(target, async () => {
        for (const [call, attempt] of [
          [/GET \/(networks|containers\/json|events)\b/, () => engine.listNetworks({ activitySince: Date.now() - DAY })],
          [/GET \/networks\/absent-net\b/, () => engine.inspectNetwork('absent-net')],
          [/DELETE \/networks\/absent-net\b/, () => engine.removeNetwork('absent-net')],
        ] as const) {
          const started = Date.now();
          await assert.rejects(attempt(), (e: Error) => e.name === 'EngineTimeoutError' && call.test(e.message), String(call));
          assert.ok(Date.now() - started < 5000, `${call} took ${Date.now() - started} ms`);
        }
      });
    });
  });
});
