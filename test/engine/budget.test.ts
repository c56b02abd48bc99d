/**
 * One budget over the whole disk on a real dockerd: images, BuildKit build
 * cache made by real builds (POST /build with version=2; no buildx CLI needed)
 * and volumes, in one least-recently-used order, with the bytes each kind gave.
 */
import { strict as assert } from 'node:assert';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';
import { EnsureFreeUnmeasurableError, runCleanup, type CleanupDeps } from '../../src/app/cleanup';
import { cleanupOutcome, exitCodeOf } from '../../src/app/outcome';
import { loadImages, type ImageSpec } from '../../src/demo/image-factory';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { renderText } from '../../src/report/text';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { resetEngine, runContainer } from '../support/engine';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('engine/budget');

const HOUR = 3_600_000;
const KB = 1000;

/** A runnable base and three builds of one repository, each with 400 kB of its own. */
function agent(now: number): ImageSpec[] {
  const base = [{ id: 'budget-busybox', busybox: true }];
  return [
    { tags: ['runner:1'], created: new Date(now - 500 * HOUR), layers: base },
    ...[1, 2, 3].map((n) => ({ tags: [`app:ci-${n}`], created: new Date(now - (100 - n) * HOUR), layers: [...base, { id: `budget-app-${n}`, bytes: 400 * KB }] })),
  ];
}

/** A BuildKit build whose RUN step leaves a cache record of about `kb` kB; the image it made is removed again. */
async function buildCache(docker: Docker, name: string, kb: number): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, `FROM runner:1\nRUN ["/bin/busybox", "dd", "if=/dev/urandom", "of=/${name}", "bs=1k", "count=${kb}"]\n`);
  pack.finalize();
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: `${name}:1`, version: '2', networkmode: 'none' } as any);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream as unknown as NodeJS.ReadableStream, (err: Error | null, out: any[]) => {
      const failed = out?.find((o) => o.error || o.errorDetail);
      if (err || failed) return reject(err ?? new Error(failed.errorDetail?.message ?? failed.error));
      resolve();
    }),
  );
  await docker.getImage(`${name}:1`).remove();
}

async function df(docker: Docker): Promise<any> {
  return new Promise((resolve, reject) =>
    docker.modem.dial({ path: '/system/df?', method: 'GET', options: {}, statusCodes: { 200: true } }, (err: unknown, data: unknown) => (err ? reject(err) : resolve(data))),
  );
}

describe(`real engine: one budget over images, build cache and volumes: ${ENGINE.name}`, function () {
  this.timeout(300_000);
  let docker: Docker;
  const host = () => ENGINE.host();
  before(() => {
    docker = ENGINE.docker();
  });
  beforeEach(async () => {
    await resetEngine(docker); // the build cache too
  });

  async function clean(raw: RawSettings) {
    const settings = parseSettings({ 'min-age': '0', 'usage-store': 'none', host: host(), ...raw });
    return runCleanup(settings, { engine: new DockerodeEngine({ host: settings.host }) });
  }

  it('1. max-docker-bytes: cache records used before the images go first, then the least recently used build; volumes the rules let go count; bytes per kind', async () => {
    await loadImages(docker, [agent(Date.now())[0]]);
    // The cache is used first (two builds), the images arrive later: least recently used = the cache.
    await buildCache(docker, 'cache-a', 300);
    await buildCache(docker, 'cache-b', 200);
    // An anonymous volume with 100 kB left by a removed container job.
    const job = await runContainer(docker, 'runner:1', { name: 'job', volumes: ['/data'], cmd: ['/bin/busybox', 'dd', 'if=/dev/urandom', 'of=/data/f', 'bs=1k', 'count=100'] });
    await job.wait();
    await job.remove({ v: false });
    await new Promise((r) => setTimeout(r, 1100));
    await loadImages(docker, agent(Date.now()));

    const usage = await df(docker);
    const cacheBytes = (usage.BuildCache ?? []).reduce((s: number, r: any) => s + (r.Shared ? 0 : r.Size), 0);
    const volumeBytes = (usage.Volumes ?? []).reduce((s: number, v: any) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
    const total = usage.LayersSize + cacheBytes + volumeBytes;
    assert.ok(cacheBytes > 400 * KB, `build cache ${cacheBytes}`);
    // Ask for everything the cache and the volume give, and half a build more.
    const target = total - cacheBytes - volumeBytes - 200 * KB;
    const report = await clean({ keep: 3, 'evict-kept-builds': true, 'max-docker-bytes': String(target + 1), 'target-docker-bytes': String(target), 'volumes-older-than': '0' });
    const e = report.plan.eviction!;
    assert.deepEqual(e.rules, ['max-docker-bytes']);
    assert.equal(e.reached, true);
    assert.equal(e.dockerBytesBefore, total);
    const kinds = e.order.map((o) => o.kind);
    const firstImage = kinds.indexOf('image');
    assert.ok(firstImage > 0 && kinds.slice(0, firstImage).every((k) => k === 'build-cache') && kinds.slice(firstImage).every((k) => k === 'image'), kinds.join(','));
    assert.deepEqual(e.order.filter((o) => o.kind === 'image').map((o) => o.references[0]), ['docker.io/library/app:ci-1']);
    // What each kind gave, predicted by the plan and measured from the engine.
    const by = Object.fromEntries(report.byKind!.map((k) => [k.kind, k]));
    assert.equal(by.images.measured, by.images.predicted, 'images: system/df before and after');
    assert.ok(by.images.predicted >= 400 * KB);
    assert.ok(by['build-cache'].predicted > 400 * KB);
    assert.ok(by['build-cache'].measured! > 400 * KB, `build cache reclaimed ${by['build-cache'].measured}`);
    assert.equal(by.volumes.measured, by.volumes.predicted);
    assert.ok(by.volumes.predicted >= 100 * KB);
    // Never a daemon-wide prune: each call named one record.
    assert.ok(report.cacheEviction!.results.every((r) => r.status === 'pruned'), JSON.stringify(report.cacheEviction!.results));
    const left = await df(docker);
    assert.equal((left.Volumes ?? []).length, 0);
    assert.ok(!(await docker.listImages()).some((i) => i.RepoTags?.includes('app:ci-1')));
    assert.match(renderText(report), /By kind: images .* predicted, .* freed; build-cache .* predicted, .* freed; volumes .* predicted, .* freed/);
  });

  it('2. a dry run lists the cache records it would prune and prunes nothing', async () => {
    await loadImages(docker, [agent(Date.now())[0]]);
    await buildCache(docker, 'cache-a', 300);
    const before = (await df(docker)).BuildCache.length;
    const report = await clean({ 'max-docker-bytes': '1', 'dry-run': true });
    assert.ok(report.plan.buildCacheEvictions.length > 0);
    assert.ok(report.cacheEviction!.results.every((r) => r.status === 'planned'));
    assert.equal((await df(docker)).BuildCache.length, before);
  });

  it('3. min-free with evict-build-cache: a disk-wide watermark takes cache records too; without it, only images', async () => {
    await loadImages(docker, [agent(Date.now())[0]]);
    await buildCache(docker, 'cache-a', 300);
    const filesystem = async () => ({ totalBytes: 100e9, freeBytes: 1e9, totalInodes: 1e6, freeInodes: 5e5 });
    const settings = (raw: RawSettings) => parseSettings({ 'min-age': '0', 'usage-store': 'none', host: host(), 'min-free': '2GB', 'dry-run': true, ...raw });
    const engine = new DockerodeEngine({ host: host() });
    const without = await runCleanup(settings({}), { engine, filesystem });
    assert.equal(without.plan.buildCacheEvictions.length, 0);
    const withCache = await runCleanup(settings({ 'evict-build-cache': true }), { engine, filesystem });
    assert.ok(withCache.plan.buildCacheEvictions.length > 0);
    assert.ok(withCache.plan.eviction!.order.some((o) => o.kind === 'build-cache'));
  });
});

describe(`real engine: ensure-free before a job: ${ENGINE.name}`, function () {
  this.timeout(300_000);
  let docker: Docker;
  const host = () => ENGINE.host();
  before(() => {
    docker = ENGINE.docker();
  });
  beforeEach(async () => {
    await resetEngine(docker); // the build cache too
    await loadImages(docker, [agent(Date.now())[0]]);
    await buildCache(docker, 'cache-a', 300);
    await loadImages(docker, agent(Date.now()));
  });

  /**
   * A disk of CAPACITY bytes holding only what the engine accounts (images + build cache):
   * the free space follows the real engine's own system/df before and after the removals.
   */
  const CAPACITY = 10_000_000;
  const modelledDisk = async () => {
    const u = await df(docker);
    const used = u.LayersSize + (u.BuildCache ?? []).reduce((s: number, r: any) => s + (r.Shared ? 0 : r.Size), 0);
    return { totalBytes: CAPACITY, freeBytes: CAPACITY - used, totalInodes: 1e6, freeInodes: 5e5 };
  };

  /** What taking the run lock costs the modelled disk (its image's bytes in the engine's LayersSize). */
  async function lockFootprint(): Promise<number> {
    const free = (await modelledDisk()).freeBytes;
    const release = await new DockerodeEngine({ host: host() }).acquireRunLock({ waitMs: 1000 });
    try {
      return free - (await modelledDisk()).freeBytes;
    } finally {
      await release();
    }
  }

  async function ensure(raw: RawSettings, filesystem: CleanupDeps['filesystem'] = modelledDisk) {
    const settings = parseSettings({ 'min-age': '0', 'usage-store': 'none', host: host(), keep: 3, ...raw });
    return cleanupOutcome(settings, { engine: new DockerodeEngine({ host: settings.host }), filesystem });
  }

  it('4. evicts least recently used (the build cache first) until the free space is there, and measures it', async () => {
    const before = (await modelledDisk()).freeBytes;
    const outcome = await ensure({ 'ensure-free': String(before + 300_000) });
    assert.equal(outcome.kind, 'ok', outcome.message);
    const e = outcome.report.ensureFree!;
    assert.equal(e.reached, true);
    // The run's own lock (src/engine/run-lock.ts) arrives between this measurement and the
    // run's, nothing else does: the run saw exactly that much less free (measured here by
    // taking the lock again).
    assert.equal(before - e.freeBefore, await lockFootprint());
    assert.ok(e.freeAfter >= before + 300_000, `${e.freeAfter}`);
    assert.deepEqual(outcome.report.plan.eviction!.rules, ['ensure-free']);
    assert.ok(outcome.report.plan.eviction!.order.every((o) => o.kind === 'build-cache'), 'cache records go before kept builds');
    assert.equal(exitCodeOf(outcome.kind), 0);
  });

  it('5. cannot be reached: fails with exit code 6 naming what was tried', async () => {
    const before = (await modelledDisk()).freeBytes;
    const outcome = await ensure({ 'ensure-free': String(before + 5_000_000) });
    assert.equal(outcome.kind, 'short-of-free');
    assert.equal(exitCodeOf(outcome.kind), 6);
    assert.match(outcome.message!, /^ensure-free 1\d\.\d+MB: only \d+(\.\d+)?MB free on \/\S+ \(\d+(\.\d+)?MB before\); evicted least recently used first: images 0B, build-cache \d+(\.\d+)?kB; the rest is in use, protected, current or younger than min-age; not tried: evict-kept-builds, evict-base-images, volumes-older-than \(off\)$/);
    // It freed what it could: the cache is gone, the kept builds stay.
    assert.equal(((await df(docker)).BuildCache ?? []).filter((r: any) => !r.InUse).length, 0);
    assert.equal((await docker.listImages()).filter((i) => (i.RepoTags ?? []).some((t) => t.startsWith('app:'))).length, 3);
  });

  it('6. free-path not visible: nothing is removed, the run fails', async () => {
    const images = (await docker.listImages()).length;
    await assert.rejects(ensure({ 'ensure-free': '20GB', keep: 0 }, async () => undefined), EnsureFreeUnmeasurableError);
    assert.equal((await docker.listImages()).length, images);
  });
});
