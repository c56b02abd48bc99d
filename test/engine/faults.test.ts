/**
 * Races and faults against real engines (#12): other jobs tag, load and create
 * containers while a cleanup removes (injected from the engine's own event
 * stream, so they land between the cleanup's re-check and its call); a second
 * cleanup at once; classic-builder parent chains; a paused and a killed daemon.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import * as tar from 'tar-stream';
import { runCleanup, type CleanupReport } from '../../src/app/cleanup';
import { main } from '../../src/cli/main';
import { connectionOptions } from '../../src/engine/connection';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { buildArchive, loadArchive, loadImages } from '../../src/demo/image-factory';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { listTags, resetEngine } from '../support/engine';
import { enginesOf, type Store } from '../support/suite-engines';
import { RACES, RACE_TEXT, isReported, raceCleanup, seed } from '../support/races';

const ROOT = path.resolve(__dirname, '../../..');
/** Candidates per race run, and changes injected into them while it removes. */
const IMAGES = 30;
const INJECTIONS = 10;
/**
 * Containers created in the engine's own window between its in-use check and
 * the delete lose their image with any client; `bench/races.ts` measures both
 * side by side (docs/concurrency.md). Here: at most this many of INJECTIONS,
 * and every one of them reported as an incident. On dockerd 20.10 the engine's
 * `docker image prune -a` lost 21 of 336 by ID and 2 of 311 by tag, this tool
 * 2 of 324 and 2 of 319. On the containerd stores the prune lost every one
 * (302 of 302, 395 of 395) and this tool about 1 in 75, in bursts: a slow
 * engine widens the window for every delete in flight (3 of 10 in one run of
 * six on dockerd 28.5), so there the bound is half, far below the engine's own.
 */
const ENGINE_WINDOW_LOSSES: Record<Store, number> = { graphdriver: 2, containerd: INJECTIONS / 2, podman: 2 };

function clean(host: string, raw: RawSettings = {}, deps: { onLockWait?: (m: string) => void } = {}): Promise<CleanupReport> {
  const settings = parseSettings({ host, keep: 1, 'min-age': '0s', protect: ['node:*'], 'usage-store': 'none', ...raw });
  return runCleanup(settings, { engine: new DockerodeEngine({ host, timeoutMs: settings.timeoutMs }), ...deps });
}

for (const target of enginesOf('engine/faults')) {
  describe(`races and faults on ${target.name} (#12)`, function () {
    this.timeout(180_000);
    let docker: Docker;
    before(() => {
      docker = target.docker();
    });
    beforeEach(async () => {
      await resetEngine(docker);
    });

    // Driven by the engine's event stream: not yet holding on Podman (test/support/suite-engines.ts says why).
    if (target.store !== 'podman') for (const race of RACES) {
      const tagRace = race === 'protected-tag';
      const promise = {
        'protected-tag': "nothing lost but in the engine's own window inside our DELETE of that image, each such loss reported",
        'tag-move': "nothing lost but in the engine's own window inside one delete (it removes names by name), each such loss reported, no false alarm",
        'container-by-id': 'no more lost than the engine itself would, each loss reported',
        'container-by-name': 'no more lost than the engine itself would, each loss reported',
      }[race];
      it(`${race}: ${RACE_TEXT[race]} during the removals: ${promise}`, async () => {
        const seeded = await seed(docker, IMAGES);
        const outcome = await raceCleanup(docker, seeded, race, INJECTIONS, () => clean(target.host()));
        const report = outcome.result as CleanupReport;
        assert.ok(outcome.injected >= INJECTIONS / 2, `the race hit the run (${outcome.injected} injected)`);
        assert.equal(report.counts.failed, 0, JSON.stringify(report.results.filter((r) => r.status === 'failed')));
        if (tagRace) {
          // A tag landing after the engine read the image's names goes with it (test/engine/named-mid-delete.test.ts).
          outcome.lossKeys.forEach((key, i) => assert.ok(isReported(key, report.incidents), `reported as an incident: ${outcome.losses[i]}`));
        } else if (race === 'tag-move') {
          // Rare (bench/races.ts: about 1 in 75 injections on dockerd 20.10): when it happens, it is reported.
          const moved = report.incidents.filter((i) => /the engine removes names by name/.test(i.text));
          assert.equal(moved.length, outcome.lost, `${outcome.losses.join('\n')}\n${moved.map((i) => i.text).join('\n')}`);
          for (const loss of outcome.losses) {
            const id = /image (\w{12})/.exec(loss)?.[1];
            if (id) assert.ok(moved.some((i) => i.text.includes(id)), `reported as an incident: ${loss}`);
          }
          assert.equal(report.incidents.length, moved.length, report.incidents.map((i) => i.text).join('\n'));
        } else {
          assert.ok(outcome.lost <= ENGINE_WINDOW_LOSSES[target.store], outcome.losses.join('\n'));
          const reported = new Set(report.incidents.flatMap((i) => i.deleted));
          for (const loss of outcome.losses) {
            const id = /image (\w{12})/.exec(loss)![1];
            assert.ok([...reported].some((r) => r.slice(7, 19) === id), `reported as an incident: ${loss}`);
          }
          // Every run, lost or not: each injected container still stands, and its image either stands too
          // (the run left it: the engine refused the delete) or is gone and reported, never neither, no false alarm.
          const containers = await docker.listContainers({ all: true });
          assert.equal(containers.length, outcome.injected, 'every injected container stands after the run');
          let gone = 0;
          for (const c of containers) {
            const image = c.ImageID.startsWith('sha256:') ? c.ImageID : `sha256:${c.ImageID}`;
            const stands = await docker.getImage(image).inspect().then(() => true, (e: { statusCode?: number }) => (e.statusCode === 404 ? false : Promise.reject(e)));
            const result = report.results.find((r) => r.imageId === image);
            if (stands) assert.ok(!result?.deleted, `${image} stands under ${c.Id.slice(0, 12)}, yet the run says it deleted it`);
            else {
              gone++;
              assert.ok(reported.has(image), `${image} under ${c.Id.slice(0, 12)} is gone and reported as an incident`);
            }
          }
          assert.equal(reported.size, gone, `incidents name exactly the images lost under containers: ${report.incidents.map((i) => i.text).join('\n')}`);
        }
        // Everything the plan named and no race touched is gone; the newest build stays.
        assert.ok((await listTags(docker)).includes('app:ci-30'));
      });
    }

    if (target.store !== 'podman') it("other jobs load, tag and remove their own images during the removals: no false alarm from the engine's event watch", async () => {
      await seed(docker, IMAGES);
      // Built before the run, so each job's step is one engine call.
      const job = async (k: number) => buildArchive([{ tags: [`job:${k}`], created: new Date(), layers: [{ id: `job-${k}-${Date.now()}`, bytes: 1_000 }] }]);
      const archives = await Promise.all([1, 2, 3, 4, 5, 6].map(job));
      const again = await buildArchive([{ tags: ['job:6'], created: new Date(), layers: [{ id: `job-6-again-${Date.now()}`, bytes: 1_000 }] }]);
      const events = (await docker.getEvents({ filters: JSON.stringify({ type: ['image'], event: ['delete'] }) } as Docker.GetEventsOptions)) as unknown as NodeJS.ReadableStream & { destroy: () => void };
      const steps: (() => Promise<unknown>)[] = [
        () => loadArchive(docker, archives[0]), // a name of its own
        () => docker.getImage('app:ci-30').tag({ repo: 'job', tag: 'kept' }), // a new name on the kept build
        () => loadArchive(docker, archives[1]).then(() => docker.getImage('job:2').remove()), // loaded, then removed by its job
        () => loadArchive(docker, archives[5]).then(() => loadArchive(docker, again)), // a name loaded twice: it moves on
        () => loadArchive(docker, archives[2]),
        () => loadArchive(docker, archives[3]).then(() => docker.getImage('job:4').tag({ repo: 'job', tag: '4b' })),
      ];
      const pending: Promise<unknown>[] = [];
      const stepErrors: string[] = [];
      events.on('data', () => {
        const index = 6 - steps.length;
        const step = steps.shift();
        if (step) pending.push(step().catch((e: Error) => stepErrors.push(`job step ${index}: ${e.message}`)));
      });
      await new Promise((r) => setTimeout(r, 100));
      let report: CleanupReport;
      try {
        report = await clean(target.host());
      } finally {
        await Promise.allSettled(pending);
        events.destroy();
      }
      assert.equal(steps.length, 0, 'every job step ran during the removals');
      assert.deepEqual(stepErrors, [], 'every job step succeeded');
      assert.deepEqual(report.incidents, [], report.incidents.map((i) => i.text).join('\n'));
      assert.equal(report.counts.removed, IMAGES - 1);
      const tags = await listTags(docker);
      for (const t of ['job:1', 'job:3', 'job:4', 'job:4b', 'job:6', 'job:kept']) assert.ok(tags.includes(t), `${t} in ${tags.join(' ')}`);
    });

    it('store reads: other jobs load and remove images at full speed while the tool lists the store and measures its disk use; every read answers', async () => {
      await seed(docker, 10);
      const engine = new DockerodeEngine({ host: target.host(), timeoutMs: 30_000 });
      let stop = false;
      let churned = 0;
      // Six jobs, each loading an image of its own and removing it again, as fast as the engine lets them.
      // Podman 4.3's image list fails whenever an image goes during its scan, and under that churn each
      // scan takes seconds: it needed 11 tries and more, past the 20 s window. There its jobs pause
      // 250 ms between images (about 15 changes a second, still far above a CI host's pace).
      const pause = target.store === 'podman' ? 250 : 0;
      const job = async (j: number) => {
        for (let k = 0; !stop; k++, await new Promise((r) => setTimeout(r, pause))) {
          const archive = await buildArchive([{ tags: [`churn${j}:${k}`], created: new Date(), layers: [{ id: `churn-${j}-${k}-${Date.now()}`, bytes: 1_000 }] }]);
          await loadArchive(docker, archive);
          await docker.getImage(`churn${j}:${k}`).remove();
          churned++;
        }
      };
      const failures: string[] = [];
      let reads = 0;
      // At least 8 s and 30 changes by the jobs (a loaded CI machine is slower), at most 60 s.
      const reader = async () => {
        const started = Date.now();
        while ((Date.now() - started < 8_000 || churned < 30) && Date.now() - started < 60_000) {
          for (const read of [() => engine.snapshot({ activitySince: Date.now() - 60_000 }), () => engine.diskUsage()]) {
            await read().then(
              () => reads++,
              (e: Error) => failures.push(e.message),
            );
          }
        }
        stop = true;
      };
      const jobs = [1, 2, 3, 4, 5, 6].map(job);
      await reader();
      await Promise.all(jobs);
      assert.ok(churned >= 30, `the jobs changed the store meanwhile (${churned} loads and removals)`);
      assert.deepEqual(failures, [], `${failures.length} of ${reads + failures.length} reads failed`);
    });

    it('two cleanups at once: the second waits for the first (run lock on the engine), neither fails, a dry run meanwhile works', async () => {
      await seed(docker, IMAGES);
      const waits: string[] = [];
      const [a, b, dry] = await Promise.all([
        // Either may get the lock first: both say when they wait.
        clean(target.host(), {}, { onLockWait: (m) => waits.push(m) }),
        clean(target.host(), {}, { onLockWait: (m) => waits.push(m) }),
        new Promise((r) => setTimeout(r, 50)).then(() => clean(target.host(), { 'dry-run': true })),
      ]);
      assert.equal(a.counts.failed + b.counts.failed + dry.counts.failed, 0);
      assert.equal(a.counts.removed + b.counts.removed, IMAGES - 1, 'the first removed all, the second found nothing left (or the other way round)');
      assert.ok(waits.some((w) => /another cleanup .* is running on this engine since .*; waiting up to/.test(w)), waits.join('\n'));
      assert.deepEqual(await listTags(docker), ['app:ci-30'], 'the lock image and container are gone too');
      assert.deepEqual(await docker.listContainers({ all: true }), []);
    });

    if (target.store === 'graphdriver') {
      it('classic-builder parent chains: every planned image is removed, none skipped as "in use" by a child being removed', async () => {
        await loadImages(docker, [{ tags: ['base:1'], created: new Date('2024-01-01T00:00:00Z'), layers: [{ id: 'chain-base', bytes: 1000 }] }]);
        // LABEL steps: the classic builder makes one parent image per step, no container needed.
        for (let n = 1; n <= 6; n++) await classicBuild(docker, `chain:ci-${n}`, ['FROM base:1', 'LABEL step=1', 'LABEL step=2', `LABEL build=${n}`]);
        const report = await clean(target.host(), { protect: ['base:*'] });
        assert.equal(report.counts.failed, 0, JSON.stringify(report.results.filter((r) => r.status === 'failed')));
        assert.equal(report.counts.skipped, 0, JSON.stringify(report.results.filter((r) => r.status !== 'removed')));
        assert.deepEqual((await listTags(docker)).sort(), ['base:1', 'chain:ci-6']);
      });
    }
  });
}

describe('a paused and a killed dockerd (#12)', function () {
  this.timeout(180_000);
  const name = `${process.env.DIC_TEST_ENGINE ?? 'test'}-faults`;
  let host: string;
  let docker: Docker;
  let state: string;
  const pid = () => Number(fs.readFileSync(`/tmp/docker-image-cleanup-engines/${name}/daemon.pid`, 'utf8').trim());

  before(() => {
    host = execFileSync('bash', [path.join(ROOT, 'scripts/engine.sh'), 'reset', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    docker = new Docker(connectionOptions(host));
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-faults-'));
  });
  after(() => {
    try {
      process.kill(pid(), 'SIGCONT');
    } catch {
      // not running
    }
    execFileSync('bash', [path.join(ROOT, 'scripts/engine.sh'), 'stop', name], { stdio: 'ignore' });
    fs.rmSync(state, { recursive: true, force: true });
  });

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const saved = process.env.XDG_STATE_HOME;
    process.env.XDG_STATE_HOME = state;
    try {
      const code = await main(['--host', host, ...args], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTty: false });
      return { code, stdout, stderr };
    } finally {
      if (saved === undefined) delete process.env.XDG_STATE_HOME;
      else process.env.XDG_STATE_HOME = saved;
    }
  }

  it('paused (SIGSTOP): the run fails within --timeout with one line naming the call and the engine, exit 2, no stack trace', async () => {
    await seed(docker, 5);
    process.kill(pid(), 'SIGSTOP');
    const started = Date.now();
    let result;
    try {
      result = await cli(['--keep', '1', '--min-age', '0s', '--timeout', '2s']);
    } finally {
      process.kill(pid(), 'SIGCONT');
    }
    assert.equal(result.code, 2);
    assert.ok(Date.now() - started < 20_000, 'it did not hang');
    assert.match(result.stderr, /^docker-image-cleanup: the Docker engine at unix:\/\/\S+ did not answer \w+ \/\S+ within 2 s .*nothing was removed\n$/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it('killed mid-run: exit 4 "engine lost during the removals, N removed", the report and the usage record keep what was done', async () => {
    await resetEngine(docker);
    await seed(docker, 40);
    const usageFile = path.join(state, 'killed-usage.json');
    // Killed on the engine's third delete: some removals done, most not.
    const events = (await docker.getEvents({ filters: JSON.stringify({ type: ['image'], event: ['delete'] }) } as Docker.GetEventsOptions)) as unknown as NodeJS.ReadableStream & { destroy: () => void };
    let deletes = 0;
    events.on('data', (chunk: Buffer) => {
      deletes += chunk.toString('utf8').split('\n').filter((l) => l.trim()).length;
      if (deletes >= 3) {
        try {
          process.kill(pid(), 'SIGKILL');
        } catch {
          // already
        }
      }
    });
    events.on('error', () => undefined);
    const result = await cli(['--keep', '1', '--min-age', '0s', '--timeout', '5s', '--json', '--usage-file', usageFile]);
    events.destroy();
    assert.equal(result.code, 4, result.stderr);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
    const report = JSON.parse(result.stdout);
    assert.ok(report.totals.removed >= 1 && report.totals.removed < 39, `some removed before the kill (${report.totals.removed})`);
    assert.match(report.engineLost, /lost the Docker engine|did not answer/);
    assert.match(result.stderr, new RegExp(`engine lost during the removals, ${report.totals.removed} removed`));
    const record = JSON.parse(fs.readFileSync(usageFile, 'utf8'));
    const removedIds = report.images.filter((i: any) => i.result?.deleted).map((i: any) => i.id);
    assert.ok(removedIds.length >= 1);
    for (const id of removedIds) assert.ok(record.removed[id], `the usage record has the removal of ${id.slice(7, 19)}`);
  });
});

async function classicBuild(docker: Docker, tag: string, dockerfile: string[]): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile.join('\n') + '\n');
  pack.finalize();
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, rm: true, networkmode: 'none', version: '1' } as any);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream as unknown as NodeJS.ReadableStream, (err: Error | null, output: any[]) => {
      if (err) return reject(err);
      const failed = output.find((o) => o.error || o.errorDetail);
      return failed ? reject(new Error(failed.errorDetail?.message ?? failed.error)) : resolve();
    }),
  );
}
