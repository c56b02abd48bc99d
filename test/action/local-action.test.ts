// The Action's source entries run by @github/local-action, GitHub's own local runner for
// actions: it loads actions/src/<step>.ts with tsx, calls the run() each exports, and
// stands in for @actions/core. Inputs come from a dotenv file; the engine is the real one
// at DIC_TEST_DOCKER_HOST. The committed bundle (dist/index.cjs) is started per step by
// dist/<step>.cjs; action.test.ts runs those as the runner does.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { loadImages, type ImageSpec } from '../../src/demo/image-factory';
import { resetEngine } from '../support/engine';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('action/local-action');

const ROOT = path.resolve(__dirname, '../../..');
const LOCAL_ACTION = path.join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');
const DAY = 24 * 3_600_000;

interface LocalRun {
  code: number | null;
  output: string;
  /** `::set-output name=X::V` lines: local-action's record of core.setOutput. */
  outputs: Record<string, string>;
}

describe(`GitHub Action through @github/local-action (sources, real engine): ${ENGINE.name}`, function () {
  this.timeout(180_000);
  let docker: Docker;
  let work: string;

  before(() => {
    docker = ENGINE.docker();
  });
  beforeEach(async () => {
    await resetEngine(docker);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-local-action-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  /** `local-action run . actions/src/main.ts .env [--pre …] [--post …]` with these inputs. */
  function localAction(inputs: Record<string, string>, extra: string[] = []): Promise<LocalRun> {
    const dotenv = path.join(work, '.env');
    const lines = Object.entries({ 'docker-host': ENGINE.host(), ...inputs }).map(([k, v]) => `INPUT_${k.toUpperCase()}=${v}`);
    fs.writeFileSync(dotenv, [...lines, `RUNNER_TEMP=${work}`, ''].join('\n'));
    // local-action starts tsx (a devDependency) through `npm exec` in the project: this Node
    // first on PATH, so a Node 24 run stays on 24.
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, NO_COLOR: '1' };
    delete env.GITHUB_STEP_SUMMARY;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [LOCAL_ACTION, 'run', ROOT, 'actions/src/main.ts', dotenv, ...extra], { cwd: ROOT, env });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        const outputs: Record<string, string> = {};
        for (const m of output.matchAll(/^::set-output name=([\w-]+)::(.*)$/gm)) outputs[m[1]!] = m[2]!;
        resolve({ code, output, outputs });
      });
    });
  }

  async function tags(): Promise<string[]> {
    return (await docker.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => t !== '<none>:<none>').sort();
  }

  const builds = (n: number): ImageSpec[] =>
    Array.from({ length: n }, (_, i) => ({
      tags: [`app:ci-${i + 1}`],
      created: new Date(Date.now() - (n - i) * DAY),
      layers: [{ id: 'base', bytes: 20_000 }, { id: `app-${i + 1}`, bytes: 20_000 }],
    }));

  it('1. run-at now: main.ts exports run(); it removes beyond keep-count on the engine and sets the outputs', async () => {
    await loadImages(docker, builds(4));
    const run = await localAction({ 'run-at': 'now', 'keep-count': '1', 'min-age': '0', 'fail-on-error': 'true' });
    assert.equal(run.code, 0, run.output);
    assert.doesNotMatch(run.output, /does not export a run\(\) function/);
    assert.match(run.output, /Running Action/);
    assert.deepEqual(await tags(), ['app:ci-4'], run.output);
    assert.equal(run.outputs['removed-count'], '3', run.output);
    assert.equal(run.outputs['kept-count'], '1');
    assert.equal(JSON.parse(run.outputs.plan!).dryRun, false);
  });

  it('2. run-at post with --pre and --post: pre records the job start, main only marks, post cleans', async () => {
    await loadImages(docker, builds(3));
    const run = await localAction({ 'run-at': 'post', 'keep-count': '1', 'min-age': '0', 'fail-on-error': 'true' }, [
      '--pre',
      'actions/src/pre.ts',
      '--post',
      'actions/src/post.ts',
    ]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /run-at is post/);
    assert.deepEqual(await tags(), ['app:ci-3'], run.output);
  });
});
