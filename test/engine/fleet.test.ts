/**
 * Fleet mode on the real engine: the cleaner's own image is built from the
 * Dockerfile on the test engine (no registry: the base is this machine's node
 * binary imported as an image), run as a container with the engine's socket
 * mounted (Docker-outside-of-Docker) and cleans the engine it runs on. The
 * Kubernetes example's args are run as they are, so the example cannot drift
 * from the CLI.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';
import { loadImages, type ImageSpec } from '../../src/demo/image-factory';
import { listTags, resetEngine, runContainer } from '../support/engine';
import { enginesOf } from '../support/suite-engines';
import { metricKey as metric, parseExposition } from '../support/prometheus';
import { freePort } from '../support/net';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BASE = 'local/node-base:test';
const CLEANER = 'local/docker-image-cleanup:test';
const DAY = 86_400_000;
const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

// js-yaml ships with mocha; add it (or `yaml`) as a devDependency to use it by name.
const yaml = require('js-yaml') as { loadAll(text: string): unknown[] };

for (const target of enginesOf('engine/fleet')) describe(`fleet mode on the real engine: ${target.name}`, function () {
  this.timeout(600_000);
  let docker: Docker;

  before(async () => {
    docker = target.docker();
    await resetEngine(docker);
  });

  // Podman's service here cannot start containers, so the cleaner cannot run as one there:
  // only the example's args (2) run on it, from this process.
  if (target.canRun) it('1. builds the cleaner image from the Dockerfile, runs it with the engine socket mounted and it cleans that engine', async () => {
    await importNodeBase(docker, BASE);
    await buildCleanerImage(docker);
    await loadImages(docker, seed());
    const socket = socketPath(target.host());

    const container = await docker.createContainer({
      Image: CLEANER,
      Cmd: ['watch', '--once', '--keep', '1', '--min-age', '0', '--json', '--health-file', '/tmp/dic/healthy'],
      HostConfig: {
        Binds: [`${socket}:/var/run/docker.sock`],
        NetworkMode: 'none',
        // The image runs as uid 1000: the socket's group grants access (as --group-add does).
        GroupAdd: [String(fs.statSync(socket).gid)],
      },
    });
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    const logs = await containerLogs(container);
    await container.remove();

    assert.equal(exit.StatusCode, 0, logs.stdout + logs.stderr);
    const lines = logs.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
    assert.equal(lines.length, 1, logs.stdout);
    const line = JSON.parse(lines[0]!);
    assert.equal(line.ok, true);
    assert.equal(line.cycle, 1);
    assert.equal(line.removed, 2);
    assert.equal(line.failed, 0);
    assert.ok(line.bytesMeasured > 0, lines[0]);
    assert.ok(line.nextInMs === undefined);
    // Its own image (in use by the running cleaner) and its base (a prefix of it) stay; only the newest build is kept.
    assert.deepEqual(await listTags(docker), ['app:ci-3', 'local/docker-image-cleanup:test', 'local/node-base:test']);
  });

  if (target.canRun) it('1b. the image: `docker run --rm IMAGE --version` prints the version; OCI labels; a non-root default user', () => {
    // The docker CLI, exactly as a user checks a freshly built image (the image from test 1).
    const host = target.host();
    const run = spawnSync('docker', ['-H', host, 'run', '--rm', '--network', 'none', CLEANER, '--version'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(run.stdout.trim(), PACKAGE_VERSION);
    const inspect = spawnSync('docker', ['-H', host, 'image', 'inspect', CLEANER, '--format', '{{json .Config}}'], { encoding: 'utf8' });
    assert.equal(inspect.status, 0, inspect.stderr);
    const config = JSON.parse(inspect.stdout) as { User: string; Labels: Record<string, string> };
    assert.equal(config.User, '1000:1000');
    const labels = config.Labels;
    assert.equal(labels['org.opencontainers.image.title'], 'docker-image-cleanup');
    assert.equal(labels['org.opencontainers.image.version'], PACKAGE_VERSION);
    assert.equal(labels['org.opencontainers.image.revision'], 'test-revision');
    assert.equal(labels['org.opencontainers.image.licenses'], 'MIT');
    // The repository package.json names (the listings test ties vss-extension.json to it too).
    const repository = String(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).repository.url).replace(/^git\+/, '').replace(/\.git$/, '');
    assert.equal(labels['org.opencontainers.image.source'], repository);
    for (const key of ['url', 'documentation']) assert.ok(labels[`org.opencontainers.image.${key}`]?.startsWith(repository), key);
    // No container is left behind by --rm.
    const left = spawnSync('docker', ['-H', host, 'ps', '-aq', '--filter', `ancestor=${CLEANER}`], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '');
  });

  it('2. the Kubernetes example: its container args run as a watch --once cycle against the real engine', async () => {
    const docs = yaml.loadAll(fs.readFileSync(path.join(ROOT, 'deploy', 'kubernetes', 'daemonset.yaml'), 'utf8')) as any[];
    const ds = docs.find((d) => d?.kind === 'DaemonSet');
    const sa = docs.find((d) => d?.kind === 'ServiceAccount');
    assert.ok(ds && sa, 'a DaemonSet and a ServiceAccount');
    assert.equal(docs.some((d) => /Role/.test(d?.kind ?? '')), false, 'no RBAC');
    assert.equal(sa.automountServiceAccountToken, false);
    const pod = ds.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.serviceAccountName, sa.metadata.name);
    const [c] = pod.containers;
    assert.ok(c.resources.requests && c.resources.limits);
    assert.ok(c.livenessProbe);
    const socketVolume = pod.volumes.find((v: any) => v.hostPath?.path === '/var/run/docker.sock');
    assert.ok(socketVolume);
    assert.ok(c.volumeMounts.some((m: any) => m.name === socketVolume.name && m.mountPath === '/var/run/docker.sock'));

    const args: string[] = c.args.map(String);
    assert.equal(args[0], 'watch');
    const healthFile = args[args.indexOf('--health-file') + 1]!;
    assert.ok(healthFile && c.livenessProbe.exec.command.join(' ').includes(healthFile), 'the probe checks the health file');
    fs.rmSync(healthFile, { force: true });

    await resetEngine(docker);
    await loadImages(docker, seed());
    const env: Record<string, string> = { ...process.env, DOCKER_HOST: target.host() } as Record<string, string>;
    for (const e of c.env ?? []) env[e.name] = e.name === 'HOME' ? fs.mkdtempSync(path.join(os.tmpdir(), 'dic-home-')) : e.value;
    const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'docker-image-cleanup.js'), ...args, '--once'], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const line = JSON.parse(run.stdout.trim().split('\n').pop()!);
    assert.equal(line.ok, true, run.stdout);
    // The example's grace period (6h) keeps images that just arrived.
    assert.equal(line.removed, 0);
    assert.deepEqual(await listTags(docker), ['app:ci-1', 'app:ci-2', 'app:ci-3']);
    assert.ok(fs.statSync(healthFile).mtimeMs > Date.now() - 120_000, 'health file touched');
  });

  it('3. watch with --health-port: /metrics over HTTP counts what the real cycle removed and freed, times the engine calls', async () => {
    await resetEngine(docker);
    await loadImages(docker, seed());
    const watch = await startWatch(target.host(), ['--keep', '1', '--min-age', '0']);
    try {
      const line = await watch.firstLine;
      assert.equal(line.ok, true, JSON.stringify(line));
      assert.equal(line.removed, 2, JSON.stringify(line));
      assert.ok(line.bytesMeasured > 0, JSON.stringify(line));
      const m = await scrape(watch.port);
      assert.equal(m.get(metric('runs_total', { outcome: 'ok' })), 1);
      assert.equal(m.get(metric('removed_total', { kind: 'images' })), line.removed);
      assert.equal(m.get(metric('freed_bytes_total', { kind: 'images' })), line.bytesMeasured);
      assert.equal(m.get(metric('predicted_freed_bytes_total', { kind: 'images' })), line.bytesPredicted);
      assert.equal(m.get(metric('incidents_total')), 0);
      assert.equal(m.get(metric('space_target_met')), 1);
      assert.ok(m.get(metric('seconds_since_last_success'))! < 60);
      // Every removal is at least one DELETE /images/{name} the engine answered, timed at the deadline wrapper.
      const deletes = m.get(metric('engine_call_duration_seconds_count', { method: 'DELETE', endpoint: '/images/{name}', outcome: 'answered' })) ?? 0;
      assert.ok(deletes >= line.removed, `${deletes} timed image deletes`);
      assert.ok((m.get(metric('engine_call_duration_seconds_sum', { method: 'DELETE', endpoint: '/images/{name}', outcome: 'answered' })) ?? 0) > 0);
      assert.ok(m.get(metric('engine_call_duration_seconds_count', { method: 'GET', endpoint: '/images/json', outcome: 'answered' }))! >= 1, 'the snapshot\'s image list is timed');
      const health = await httpGet(watch.port, '/healthz');
      assert.equal(health.status, 200, health.body);
      assert.equal(JSON.parse(health.body).state, 'ok');
      assert.deepEqual(await listTags(docker), ['app:ci-3']);
    } finally {
      assert.equal(await watch.stop(), 0, watch.output());
    }
  });

  it('4. a space target the disk cannot give (ensure-free 1PB): health turns target-not-met (507; /livez stays 200), the gauge says 0', async () => {
    await resetEngine(docker);
    await loadImages(docker, seed());
    const watch = await startWatch(target.host(), ['--keep', '1', '--min-age', '0', '--ensure-free', '1PB']);
    try {
      const line = await watch.firstLine;
      assert.equal(line.ok, true, JSON.stringify(line));
      const m = await scrape(watch.port);
      assert.equal(m.get(metric('runs_total', { outcome: 'short-of-free' })), 1, watch.output());
      assert.equal(m.get(metric('space_target_met')), 0);
      const short = m.get(metric('space_target_short_bytes'))!;
      assert.ok(short > 0 && short <= 1e15, String(short));
      // It still freed what the policy lets go, and counts it.
      assert.equal(m.get(metric('removed_total', { kind: 'images' })), line.removed);
      assert.equal(line.removed, 2);
      const health = await httpGet(watch.port, '/healthz');
      assert.equal(health.status, 507, health.body);
      const body = JSON.parse(health.body);
      assert.equal(body.state, 'target-not-met');
      assert.equal(body.healthy, true);
      assert.match(body.target, /^ensure-free 1PB: only .* free on \//);
      assert.equal((await httpGet(watch.port, '/livez')).status, 200);
      assert.equal(line.targetNotMet, body.target, 'the log line says it too');
    } finally {
      assert.equal(await watch.stop(), 0, watch.output());
    }
    // `watch --once` exits as a one-shot run does: 6, ensure-free short; a min-free the disk cannot give
    // is no failure of the run (exit 0), and the line says by how much the plan falls short.
    const ensure = watchOnce(target.host(), ['--ensure-free', '1PB']);
    assert.equal(ensure.status, 6, ensure.output);
    assert.match(ensure.line.targetNotMet, /^ensure-free 1PB: only /);
    const minFree = watchOnce(target.host(), ['--min-free', '1PB']);
    assert.equal(minFree.status, 0, minFree.output);
    assert.match(minFree.line.targetNotMet, /^min-free: short by \S+ \(the rest is in use, protected, current or younger than min-age\)$/);
  });

  // Containers run here only on dockerd. Build cache records can be made only on dockerd 20.10: the containerd-store
  // engine cannot run an API-uploaded BuildKit build without a session (maintenance.test.ts 1), so there it is 0.
  if (target.canRun) it('5. every kind in one cycle: build cache, volumes and a buildx leftover removed by the real engine are counted, with their bytes', async () => {
    await resetEngine(docker);
    await loadImages(docker, [...seed(), { tags: ['runner:1'], created: new Date(Date.now() - 3 * DAY), layers: [{ id: 'fleet-busybox', busybox: true }] }]);
    const fill = (file: string, kb: number) => ['/bin/busybox', 'dd', 'if=/dev/urandom', `of=${file}`, 'bs=1k', `count=${kb}`];
    // A container job that wrote 300 kB to an anonymous volume and was removed without -v.
    const job = await runContainer(docker, 'runner:1', { name: 'gone-job', volumes: ['/data'], cmd: fill('/data/f', 300) });
    await job.wait();
    const leftover = ((await job.inspect()) as any).Mounts.find((m: any) => m.Destination === '/data').Name as string;
    await job.remove({ v: false });
    // A stopped buildx node of a builder that no longer runs, with 100 kB of state.
    const node = await runContainer(docker, 'runner:1', { name: 'buildx_buildkit_old0', volumes: ['buildx_buildkit_old0_state:/var/lib/buildkit'], cmd: fill('/var/lib/buildkit/cache', 100) });
    await node.wait();
    const withCache = target.store === 'graphdriver';
    if (withCache) await buildWithCache(docker, 'fleet-cache', 200);
    const volumesBefore = await volumeNames(docker);
    assert.ok(volumesBefore.includes(leftover) && volumesBefore.includes('buildx_buildkit_old0_state'), volumesBefore.join(' '));

    const watch = await startWatch(target.host(), ['--keep', '1', '--min-age', '0', '--volumes-older-than', '0', '--buildx-older-than', '0', '--build-cache-keep', '0']);
    try {
      const line = await watch.firstLine;
      assert.equal(line.ok, true, JSON.stringify(line));
      const m = await scrape(watch.port);
      assert.equal(m.get(metric('runs_total', { outcome: 'ok' })), 1, watch.output());
      assert.equal(m.get(metric('removed_total', { kind: 'images' })), line.removed);
      // What the engine no longer has is what was counted.
      const volumesAfter = await volumeNames(docker);
      const goneVolumes = volumesBefore.filter((v) => !volumesAfter.includes(v));
      assert.deepEqual(goneVolumes.sort(), [leftover, 'buildx_buildkit_old0_state'].sort());
      assert.equal(m.get(metric('removed_total', { kind: 'volumes' })), goneVolumes.length);
      assert.equal((await docker.listContainers({ all: true, filters: { name: ['buildx_buildkit_old0'] } })).length, 0);
      assert.equal(m.get(metric('removed_total', { kind: 'builder-containers' })), 1);
      // vfs and overlay size files by their blocks: at least what was written.
      const volumeBytes = m.get(metric('freed_bytes_total', { kind: 'volumes' }))!;
      assert.ok(volumeBytes >= 400 * 1024, `volumes freed ${volumeBytes}`);
      assert.ok(m.get(metric('predicted_freed_bytes_total', { kind: 'volumes' }))! >= 400 * 1024);
      // The build-cache limit's prune: the engine's SpaceReclaimed, as the log line has it.
      assert.equal(m.get(metric('freed_bytes_total', { kind: 'build-cache' })), line.buildCacheReclaimed);
      if (withCache) {
        assert.ok(line.buildCacheReclaimed >= 200 * 1024, JSON.stringify(line));
        assert.ok(m.get(metric('removed_total', { kind: 'build-cache' }))! >= 1);
        // One prune per record (never daemon-wide), each timed.
        assert.ok(m.get(metric('engine_call_duration_seconds_count', { method: 'POST', endpoint: '/build/prune', outcome: 'answered' }))! >= 1);
      } else assert.equal(line.buildCacheReclaimed, 0);
      assert.ok(m.get(metric('engine_call_duration_seconds_count', { method: 'DELETE', endpoint: '/volumes/{name}', outcome: 'answered' }))! >= 2);
    } finally {
      assert.equal(await watch.stop(), 0, watch.output());
    }
  });
});

async function scrape(port: number): Promise<Map<string, number>> {
  const r = await httpGet(port, '/metrics');
  assert.equal(r.status, 200, r.body);
  return parseExposition(r.body);
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

async function volumeNames(docker: Docker): Promise<string[]> {
  return ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).sort();
}

/** A BuildKit build whose one RUN step writes `kb` kB: a build cache record of that size (its image removed again). */
async function buildWithCache(docker: Docker, name: string, kb: number): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, `FROM runner:1\nRUN ["/bin/busybox", "dd", "if=/dev/urandom", "of=/${name}", "bs=1k", "count=${kb}"]\n`);
  pack.finalize();
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: `${name}:1`, version: '2', networkmode: 'none' } as any);
  await follow(docker, stream as unknown as NodeJS.ReadableStream);
  await docker.getImage(`${name}:1`).remove();
}

/** `watch --once --json` of the CLI against the engine: its exit status and last JSON line. */
function watchOnce(host: string, policy: string[]): { status: number | null; line: any; output: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-once-'));
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'docker-image-cleanup.js'), 'watch', '--once', '--json', '--min-age', '0', ...policy], {
    env: { ...process.env, DOCKER_HOST: host, HOME: home, XDG_STATE_HOME: path.join(home, 'state') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  fs.rmSync(home, { recursive: true, force: true });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return { status: run.status, line: last.startsWith('{') ? JSON.parse(last) : {}, output: run.stdout + run.stderr };
}

/** A port nothing listens on now (the kernel's pick; released before the cleaner binds it). */

/** The CLI as a long-lived `watch` process against the engine, its health port on the loopback; stop() sends SIGTERM. */
async function startWatch(host: string, policy: string[]) {
  const port = await freePort();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-watch-'));
  const args = ['watch', '--interval', '1h', '--json', '--health-port', String(port), '--health-address', '127.0.0.1', ...policy];
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'docker-image-cleanup.js'), ...args], {
    env: { ...process.env, DOCKER_HOST: host, HOME: home, XDG_STATE_HOME: path.join(home, 'state') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const firstLine = new Promise<any>((resolve, reject) => {
    child.stdout.on('data', (c) => {
      stdout += c;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line && stdout.includes('\n')) resolve(JSON.parse(line));
    });
    void exited.then((code) => reject(new Error(`watch exited (${code}) before its first cycle: ${stdout}${stderr}`)));
  });
  return {
    port,
    firstLine,
    output: () => stdout + stderr,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      fs.rmSync(home, { recursive: true, force: true });
      return code;
    },
  };
}

function seed(): ImageSpec[] {
  const now = Date.now();
  const base = { id: 'fleet-base', busybox: true };
  return [1, 2, 3].map((i) => ({
    tags: [`app:ci-${i}`],
    created: new Date(now - (10 - i) * DAY),
    layers: [base, { id: `fleet-app-${i}`, bytes: 300_000 }],
  }));
}

function socketPath(host: string): string {
  assert.match(host, /^unix:\/\//, 'the test engine must be a unix socket');
  return host.slice('unix://'.length);
}

/** This machine's node binary and the libraries ldd lists for it, imported as an image (no registry needed). */
async function importNodeBase(docker: Docker, tag: string): Promise<void> {
  const files = new Map<string, Buffer>();
  files.set('usr/local/bin/node', fs.readFileSync(process.execPath));
  const ldd = spawnSync('ldd', [process.execPath], { encoding: 'utf8' });
  assert.equal(ldd.status, 0, ldd.stderr);
  for (const m of ldd.stdout.matchAll(/(\/\S+) \(0x/g)) {
    const lib = m[1]!;
    files.set(lib.slice(1), fs.readFileSync(lib));
    const real = fs.realpathSync(lib);
    if (real !== lib) files.set(real.slice(1), fs.readFileSync(real));
  }
  const pack = tar.pack();
  const dirs = new Set<string>(['tmp']);
  for (const name of files.keys()) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const d of [...dirs].sort()) pack.entry({ name: `${d}/`, type: 'directory', mode: d === 'tmp' ? 0o1777 : 0o755 });
  for (const [name, content] of files) pack.entry({ name, mode: 0o755 }, content);
  pack.finalize();
  const [repo, version] = tag.split(':') as [string, string];
  const stream = await docker.importImage(pack as unknown as NodeJS.ReadableStream, {
    repo,
    tag: version,
    changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin'],
  } as any);
  await follow(docker, stream as unknown as NodeJS.ReadableStream);
}

/** The Dockerfile and the bundled CLI as a build context; built with BASE pointing at the local base. */
async function buildCleanerImage(docker: Docker): Promise<void> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-cli-'));
  const bundle = spawnSync(process.execPath, [path.join(ROOT, 'deploy', 'build-cli.mjs'), '--outfile', path.join(outdir, 'cli.cjs')], { encoding: 'utf8' });
  assert.equal(bundle.status, 0, bundle.stderr);
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, fs.readFileSync(path.join(ROOT, 'Dockerfile')));
  pack.entry({ name: '.dockerignore' }, fs.readFileSync(path.join(ROOT, '.dockerignore')));
  pack.entry({ name: 'build/', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'build/cli.cjs', mode: 0o644 }, fs.readFileSync(path.join(outdir, 'cli.cjs')));
  pack.finalize();
  fs.rmSync(outdir, { recursive: true, force: true });
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: CLEANER, buildargs: { BASE, VERSION: PACKAGE_VERSION, REVISION: 'test-revision' }, rm: true, forcerm: true, networkmode: 'none' } as any);
  await follow(docker, stream as unknown as NodeJS.ReadableStream);
}

function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, output: any[]) => {
      if (err) return reject(err);
      const failed = output.find((o) => o.error || o.errorDetail);
      if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
      resolve();
    }),
  );
}

async function containerLogs(container: Docker.Container): Promise<{ stdout: string; stderr: string }> {
  const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  // Multiplexed: 8-byte headers (stream, 0, 0, 0, size big-endian).
  const out = { stdout: '', stderr: '' };
  for (let i = 0; i + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(i + 4);
    const text = raw.subarray(i + 8, i + 8 + size).toString('utf8');
    if (raw[i] === 2) out.stderr += text;
    else out.stdout += text;
    i += 8 + size;
  }
  return out;
}
