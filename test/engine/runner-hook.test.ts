/**
 * The GitHub runner's job hooks, run as the runner runs them: bin/runner-hook.sh started with
 * `bash --noprofile --norc -e -o pipefail PATH` (the runner's command for a .sh hook), in the
 * job's workspace, with the hook variables and the variables the runner sets for a job
 * (GITHUB_RUN_ID, GITHUB_JOB, RUNNER_TEMP, ...), against the real engines. The job between the
 * two hooks loads an image whose creation date is older than every other build: only the record
 * taken at job start keeps it as the current build.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { loadImages, type ImageSpec } from '../../src/demo/image-factory';
import { ENGINES, listTags, pauseEngine, resetEngine } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const HOOK = path.join(ROOT, 'bin', 'runner-hook.sh');
const DAY = 86_400_000;
/** The runner starts a .sh hook with the bash it finds on its own PATH, by full path. */
const BASH = '/bin/bash';

interface Hook {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A runner's job: its folders and the environment the runner gives its hooks. */
function runnerJob(host: string, extra: Record<string, string> = {}) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-runner-'));
  const dirs = { temp: path.join(work, '_temp'), toolCache: path.join(work, '_tool'), workspace: path.join(work, 'app', 'app') };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {
    PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: work,
    ACTIONS_RUNNER_HOOK_JOB_STARTED: HOOK,
    ACTIONS_RUNNER_HOOK_JOB_COMPLETED: HOOK,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_REPOSITORY: 'octo-org/app',
    GITHUB_RUN_ID: '7001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'build',
    GITHUB_WORKSPACE: dirs.workspace,
    GITHUB_EVENT_PATH: path.join(dirs.temp, '_github_workflow', 'event.json'),
    RUNNER_TEMP: dirs.temp,
    RUNNER_TOOL_CACHE: dirs.toolCache,
    RUNNER_NAME: 'builder-1',
    RUNNER_OS: 'Linux',
    DOCKER_HOST: host,
    // The operator's policy, in the runner's .env.
    DOCKER_IMAGE_CLEANUP_KEEP: '1',
    DOCKER_IMAGE_CLEANUP_MIN_AGE: '0',
    ...extra,
  };
  const run = (more: Record<string, string> = {}, args: string[] = []): Promise<Hook> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(BASH, ['--noprofile', '--norc', '-e', '-o', 'pipefail', HOOK, ...args], { cwd: dirs.workspace, env: { ...env, ...more } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    });
  return { work, dirs, env, run, cleanup: () => fs.rmSync(work, { recursive: true, force: true }) };
}

/** Three earlier builds of app on the engine, and the job's own build, older than all of them. */
const earlierBuilds = (): ImageSpec[] =>
  [1, 2, 3].map((i) => ({ tags: [`app:ci-${i}`], created: new Date(Date.now() - (10 - i) * DAY), layers: [{ id: 'hook-base', busybox: true }, { id: `hook-app-${i}`, bytes: 200_000 }] }));
const jobBuild = (): ImageSpec[] => [{ tags: ['app:ci-4'], created: new Date(Date.now() - 30 * DAY), layers: [{ id: 'hook-base', busybox: true }, { id: 'hook-app-4', bytes: 200_000 }] }];

for (const target of enginesOf('engine/runner-hook')) describe(`runner job hooks (bin/runner-hook.sh as the runner runs it): ${target.name}`, function () {
  this.timeout(300_000);
  let docker: Docker;

  before(async () => {
    docker = target.docker();
  });
  beforeEach(async () => {
    await resetEngine(docker);
    await loadImages(docker, earlierBuilds());
  });

  it('1. job started records the engine; job completed keeps the job\'s build as current and the newest earlier one (keep 1), removes the rest; exit 0', async () => {
    const job = runnerJob(target.host());
    try {
      const started = await job.run();
      assert.equal(started.code, 0, started.stdout + started.stderr);
      assert.match(started.stdout, /recorded the 3 images the engine holds at the start of octo-org\/app job build/);
      const state = path.join(job.dirs.temp, 'docker-image-cleanup-hook', 'octo-org_app-7001-1-build.json');
      assert.ok(fs.existsSync(state), 'the start record under RUNNER_TEMP, keyed by the job');

      await loadImages(docker, jobBuild()); // the job's own work

      const completed = await job.run();
      assert.equal(completed.code, 0, completed.stdout + completed.stderr);
      assert.doesNotMatch(completed.stdout, /::warning|::error/);
      assert.deepEqual(await listTags(docker), ['app:ci-3', 'app:ci-4']);
      assert.match(completed.stdout, /app:ci-4/);
      assert.ok(!fs.existsSync(state), 'the start record is removed after the cleanup');
      assert.ok(fs.existsSync(path.join(job.dirs.toolCache, 'docker-image-cleanup', 'usage.json')), 'the usage record outlives the job, in the tool cache');
    } finally {
      job.cleanup();
    }
  });

  it('2. without the start record the job\'s build would go: the same cleanup with no hook at job start removes app:ci-4 (so test 1 shows the record at work)', async () => {
    const job = runnerJob(target.host(), { ACTIONS_RUNNER_HOOK_JOB_STARTED: '' });
    try {
      await loadImages(docker, jobBuild());
      const completed = await job.run();
      assert.equal(completed.code, 0, completed.stdout + completed.stderr);
      assert.match(completed.stdout, /no job start was recorded/);
      assert.deepEqual(await listTags(docker), ['app:ci-3']);
    } finally {
      job.cleanup();
    }
  });

  it('3. a policy variable the catalog rejects: a warning naming the variable, exit 0, nothing removed; with DOCKER_IMAGE_CLEANUP_HOOK_FAIL_ON_ERROR=true the job fails (exit 2)', async () => {
    const job = runnerJob(target.host(), { DOCKER_IMAGE_CLEANUP_KEEP: 'lots' });
    try {
      const warned = await job.run({}, ['completed']);
      assert.equal(warned.code, 0, warned.stdout + warned.stderr);
      assert.match(warned.stdout, /^::warning title=docker-image-cleanup runner hook::docker-image-cleanup: Invalid variable DOCKER_IMAGE_CLEANUP_KEEP "lots": expected a whole number/m);
      const failed = await job.run({ DOCKER_IMAGE_CLEANUP_HOOK_FAIL_ON_ERROR: 'true' }, ['completed']);
      assert.equal(failed.code, 2, failed.stdout + failed.stderr);
      assert.match(failed.stdout, /^::error title=docker-image-cleanup runner hook::/m);
      assert.deepEqual(await listTags(docker), ['app:ci-1', 'app:ci-2', 'app:ci-3']);
    } finally {
      job.cleanup();
    }
  });

  // Paused with SIGSTOP through the daemon's pid file, which scripts/engine.sh writes for its dockerds.
  if (target.store !== 'podman') it('4. an engine that does not answer: the hook ends at its own deadline with a warning and exit 0, long before the engine calls\' timeout', async () => {
    const job = runnerJob(target.host(), { DOCKER_IMAGE_CLEANUP_HOOK_DEADLINE: '4s', DOCKER_IMAGE_CLEANUP_TIMEOUT: '120s' });
    try {
      const started = await job.run();
      assert.equal(started.code, 0, started.stdout + started.stderr);
      const completed = await pauseEngine(target.host(), () => job.run());
      assert.equal(completed.code, 0, completed.stdout + completed.stderr);
      assert.match(completed.stdout, /::warning title=docker-image-cleanup runner hook::docker-image-cleanup: .*deadline DOCKER_IMAGE_CLEANUP_HOOK_DEADLINE=4s/);
      assert.ok(completed.ms < 30_000, `ended after ${completed.ms} ms`);
      assert.deepEqual(await listTags(docker), ['app:ci-1', 'app:ci-2', 'app:ci-3']);
    } finally {
      job.cleanup();
    }
  });
});

describe('runner job hooks without an engine', function () {
  this.timeout(60_000);

  it('1. an unreachable engine: a warning in the job log and exit 0 (the runner would fail the job on any other code)', async () => {
    const job = runnerJob('unix:///nonexistent/docker.sock');
    try {
      const started = await job.run();
      assert.equal(started.code, 0, started.stdout + started.stderr);
      assert.match(started.stdout, /^::warning title=docker-image-cleanup runner hook::docker-image-cleanup: could not record the job start, so no cleanup runs after this job: /m);
      // The completed hook knows the job started and says why there is nothing to clean.
      const completed = await job.run();
      assert.equal(completed.code, 0, completed.stdout + completed.stderr);
      assert.match(completed.stdout, /^::warning title=docker-image-cleanup runner hook::docker-image-cleanup: at the job start the hook could not record the job start/m);
    } finally {
      job.cleanup();
    }
  });

  it('2. run outside a runner job (no RUNNER_TEMP, GITHUB_RUN_ID, GITHUB_JOB): a warning naming them, exit 0', async () => {
    const job = runnerJob('unix:///nonexistent/docker.sock', { RUNNER_TEMP: '', GITHUB_RUN_ID: '', GITHUB_JOB: '' });
    try {
      const run = await job.run();
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /RUNNER_TEMP, GITHUB_RUN_ID, GITHUB_JOB not set: the runner sets them/);
    } finally {
      job.cleanup();
    }
  });

  it('3. no Node.js for the wrapper: a warning and exit 0, or exit 2 with fail-on-error', async () => {
    const job = runnerJob('unix:///nonexistent/docker.sock', { PATH: '/nonexistent', DOCKER_IMAGE_CLEANUP_NODE: '' });
    try {
      const run = await job.run();
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /no Node\.js found/);
      const failed = await job.run({ DOCKER_IMAGE_CLEANUP_HOOK_FAIL_ON_ERROR: 'True' });
      assert.equal(failed.code, 2);
    } finally {
      job.cleanup();
    }
  });
});

describe('GitLab runner recipe (docs/fleet.md): the pre_build_script line as the shell executor runs it', function () {
  this.timeout(300_000);

  it('1. the documented command runs in bash against the engine (the CLI on PATH), and its `||` keeps a failed run from failing the job', async () => {
    const fleet = fs.readFileSync(path.join(ROOT, 'docs', 'fleet.md'), 'utf8');
    const line = /^\s*pre_build_script = "(.*)"$/m.exec(fleet);
    assert.ok(line, 'docs/fleet.md has the pre_build_script line');
    const script = line[1]!.replace(/\\"/g, '"');
    const shims = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-gitlab-'));
    try {
      // `npm install -g` puts docker-image-cleanup on PATH; here a link to this checkout's bin stands in.
      fs.symlinkSync(path.join(ROOT, 'bin', 'docker-image-cleanup.js'), path.join(shims, 'docker-image-cleanup'));
      const docker = ENGINES[0]!.docker();
      await resetEngine(docker);
      await loadImages(docker, earlierBuilds());
      const env = { PATH: `${shims}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: shims, DOCKER_HOST: ENGINES[0]!.host() };
      const ok = spawnSyncBash(script, env);
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /Images: 3 seen/);
      assert.doesNotMatch(ok.stdout + ok.stderr, /Invalid|Unknown option/);
      const failed = spawnSyncBash(script, { ...env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
      assert.equal(failed.status, 0, failed.stdout + failed.stderr);
      assert.match(failed.stdout, /docker-image-cleanup failed, the job goes on/);
    } finally {
      fs.rmSync(shims, { recursive: true, force: true });
    }
  });
});

function spawnSyncBash(script: string, env: Record<string, string>) {
  return spawnSync(BASH, ['-c', script], { env, encoding: 'utf8', timeout: 240_000 });
}
