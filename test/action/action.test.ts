// The GitHub Action as the runner runs it: the committed bundles that action.yml names
// (dist/{pre,main,post}.cjs, each starting its step of dist/index.cjs) are spawned with `node`, INPUT_<NAME> variables
// (action.yml defaults applied), fresh GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY
// files per step, and the state one step writes handed to the next as STATE_<name>,
// against the real engine at DIC_TEST_DOCKER_HOST. Assertions read the workflow commands
// on stdout (::warning::, ::error::), the output and summary files, the exit code and the
// engine afterwards.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import * as esbuild from 'esbuild';
import * as yaml from 'js-yaml';
import { INPUT_NAMES, SETTING_OF_INPUT } from '../../actions/src/constants';
import { loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { DockerodeEngine, parseSettings, SETTING_NAMES, type Settings } from '../../src/index';
import { pauseEngine, resetEngine } from '../support/engine';
import { containerInsideDelete } from '../support/proxy';
import { leaveJobVolumes } from '../support/volume-leftovers';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('action/action');

const ROOT = path.resolve(__dirname, '../../..');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------
// action.yml, read the way the runner needs it: input defaults, outputs, runs.
// A small reader for this file's own layout (2-space YAML, one key per line), so the
// suite needs no YAML package; test 1 checks it found everything.

interface ActionYml {
  inputs: Map<string, string>;
  outputs: string[];
  runs: Map<string, string>;
}

function readActionYml(): ActionYml {
  const yml: ActionYml = { inputs: new Map(), outputs: [], runs: new Map() };
  let section = '';
  let input = '';
  for (const line of fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8').split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const top = /^([\w-]+):/.exec(line);
    if (top) {
      section = top[1]!;
      continue;
    }
    const key = /^ {2}([\w-]+):\s*(.*)$/.exec(line);
    if (key) {
      if (section === 'inputs') yml.inputs.set((input = key[1]!), '');
      if (section === 'outputs') yml.outputs.push(key[1]!);
      if (section === 'runs') yml.runs.set(key[1]!, unquote(key[2]!));
      continue;
    }
    const def = /^ {4}default:\s*(.*)$/.exec(line);
    if (section === 'inputs' && def) yml.inputs.set(input, unquote(def[1]!));
  }
  return yml;
}

function unquote(text: string): string {
  const t = text.trim();
  return /^'.*'$/.test(t) ? t.slice(1, -1).replace(/''/g, "'") : /^".*"$/.test(t) ? t.slice(1, -1) : t;
}

const ACTION = readActionYml();

// ---------------------------------------------------------------------------------------
// The runner's side of the file commands and workflow commands.

/** `name<<DELIM\nvalue\nDELIM` blocks (and `name=value` lines) of GITHUB_OUTPUT / GITHUB_STATE. */
function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const end = lines.indexOf(delimiter!, i + 1);
      assert.ok(end > i, `file command ${name} has no closing delimiter`);
      values[name!] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `not a file command: ${line}`);
    values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

interface Annotation {
  kind: string;
  props: Record<string, string>;
  message: string;
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');

function parseWorkflowCommands(stdout: string): Annotation[] {
  const commands: Annotation[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::([\w-]+)(?: ([^:]*))?::(.*)$/.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    const props: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) props[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    commands.push({ kind: m[1]!, props, message: unescapeData(m[3]!) });
  }
  return commands;
}

type Stage = 'pre' | 'main' | 'post';

interface StepRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** What the step saved with saveState (GITHUB_STATE). */
  saved: Record<string, string>;
  summary: string;
  warnings: string[];
  errors: string[];
}

/**
 * One job on the runner, for one use of the Action: every stage gets the same inputs;
 * the state pre and main save is handed to the later stages (the runner shares one
 * state dictionary between pre, main and post of a step).
 */
class Job {
  readonly state: Record<string, string> = {};
  readonly runnerTemp: string;
  readonly workspace: string;
  private stepNo = 0;

  /** The runner's tool cache: unlike RUNNER_TEMP, it outlives the job on a self-hosted runner. */
  readonly toolCache: string;

  constructor(
    readonly dir: string,
    readonly inputs: Record<string, string>,
    /** Runner environment to add or override (e.g. RUNNER_TOOL_CACHE: '' for a runner without one). */
    readonly env: Record<string, string> = {},
  ) {
    for (const name of Object.keys(inputs)) assert.ok(ACTION.inputs.has(name), `test uses unknown input ${name}`);
    this.runnerTemp = path.join(dir, '_temp');
    this.workspace = path.join(dir, 'workspace');
    this.toolCache = path.join(dir, '_tool');
    fs.mkdirSync(this.runnerTemp, { recursive: true });
    fs.mkdirSync(this.workspace, { recursive: true });
    fs.mkdirSync(this.toolCache, { recursive: true });
  }

  /** Runs `node <runs.stage>` the way the runner does, from the repository or a copy of it (`root`). */
  async run(stage: Stage, root = ROOT): Promise<StepRun> {
    const files = path.join(this.runnerTemp, '_runner_file_commands', `step-${++this.stepNo}-${stage}`);
    fs.mkdirSync(files, { recursive: true });
    const output = path.join(files, 'set_output');
    const stateFile = path.join(files, 'save_state');
    const summaryFile = path.join(files, 'step_summary');
    for (const f of [output, stateFile, summaryFile]) fs.writeFileSync(f, '');

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? this.dir,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      RUNNER_TEMP: this.runnerTemp,
      RUNNER_OS: 'Linux',
      GITHUB_WORKSPACE: this.workspace,
      GITHUB_OUTPUT: output,
      GITHUB_STATE: stateFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TOOL_CACHE: this.toolCache,
      ...this.env,
    };
    // Every declared input, with its action.yml default unless the workflow sets it.
    for (const [name, def] of ACTION.inputs) env[`INPUT_${name.toUpperCase()}`] = this.inputs[name] ?? def;
    for (const [name, value] of Object.entries(this.state)) env[`STATE_${name}`] = value;

    const entry = ACTION.runs.get(stage);
    assert.ok(entry, `action.yml has no runs.${stage}`);
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(root, entry)], { cwd: this.workspace, env });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    const saved = parseFileCommands(fs.readFileSync(stateFile, 'utf8'));
    Object.assign(this.state, saved);
    const commands = parseWorkflowCommands(stdout);
    return {
      code,
      stdout,
      stderr,
      outputs: parseFileCommands(fs.readFileSync(output, 'utf8')),
      saved,
      summary: fs.readFileSync(summaryFile, 'utf8'),
      warnings: commands.filter((c) => c.kind === 'warning').map((c) => c.message),
      errors: commands.filter((c) => c.kind === 'error').map((c) => c.message),
    };
  }
}

/** The step's log, for assertion messages. */
const log = (run: StepRun) =>
  `exit ${run.code}\n--- stdout\n${run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::debug::'))
    .join('\n')}\n--- stderr\n${run.stderr}`;

/** A step that succeeded without annotations. */
function assertClean(run: StepRun): void {
  assert.equal(run.code, 0, log(run));
  assert.deepEqual(run.errors, [], log(run));
  assert.deepEqual(run.warnings, [], log(run));
}

// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// The input -> setting mapping itself: actions/src/inputs.ts bundled on its own (it
// imports the ESM-only @actions/core) and called in process through its reader seam,
// with action.yml's defaults applied as the runner applies them. No engine needed.

interface ActionInputsModule {
  getInputs(read: (name: string) => string): { settings: Settings; failOnError: boolean; runAt: string };
}

/** One new setting: a valid value and where it lands, a bad value and what the core expects. */
interface MappingCase {
  setting: string;
  /** The input, when it is not spelled as the setting. */
  input?: string;
  value: string;
  /** Inputs the value needs beside it (a target needs its minimum). */
  with?: Record<string, string>;
  get: (s: Settings) => unknown;
  expected: unknown;
  bad: string;
  expects: RegExp;
}

const NEW_SETTINGS: MappingCase[] = [
  { setting: 'ensure-free', value: '20GB', get: (s) => s.space.ensureFreeBytes, expected: 20e9, bad: '10%', expects: /a size such as 500MB/ },
  { setting: 'max-image-bytes', value: '1.5GiB', get: (s) => s.space.maxImageBytes, expected: 1.5 * 2 ** 30, bad: '10 parsecs', expects: /a size such as 500MB/ },
  { setting: 'target-image-bytes', value: '6GB', with: { 'max-image-bytes': '10GB' }, get: (s) => s.space.targetImageBytes, expected: 6e9, bad: 'half', expects: /a size/ },
  { setting: 'min-free', value: '12%', get: (s) => s.space.minFree, expected: { percent: 12 }, bad: '120%', expects: /a percentage such as 10% or a size/ },
  { setting: 'target-free', value: '25GB', with: { 'min-free': '10%' }, get: (s) => s.space.targetFree, expected: { amount: 25e9 }, bad: 'plenty', expects: /a percentage/ },
  { setting: 'min-free-inodes', value: '5%', get: (s) => s.space.minFreeInodes, expected: { percent: 5 }, bad: '5k', expects: /a number of inodes/ },
  { setting: 'target-free-inodes', value: '200000', with: { 'min-free-inodes': '5%' }, get: (s) => s.space.targetFreeInodes, expected: { amount: 200_000 }, bad: '-1', expects: /a number of inodes/ },
  { setting: 'free-path', value: '/srv/docker', get: (s) => s.space.freePath, expected: '/srv/docker', bad: 'srv/docker', expects: /an absolute path/ },
  { setting: 'max-unused', value: '2w', get: (s) => s.space.maxUnusedMs, expected: 14 * DAY, bad: 'forever', expects: /a duration/ },
  { setting: 'evict-kept-builds', value: 'true', get: (s) => s.space.evictKeptBuilds, expected: true, bad: 'maybe', expects: /true or false/ },
  { setting: 'evict-base-images', value: 'yes', get: (s) => s.space.evictBaseImages, expected: true, bad: 'maybe', expects: /true or false/ },
  { setting: 'usage-store', value: 'engine', get: (s) => s.usage.store, expected: 'engine', bad: 'cloud', expects: /file, engine or none/ },
  { setting: 'usage-file', value: '/var/cache/dic/usage.json', get: (s) => s.usage.file, expected: '/var/cache/dic/usage.json', bad: 'usage.json', expects: /an absolute path/ },
  { setting: 'regret-window', value: '3d', get: (s) => s.usage.regretWindowMs, expected: 3 * DAY, bad: 'a while', expects: /a duration/ },
  { setting: 'build-cache-keep', value: '10GB', get: (s) => s.buildCache.keepBytes, expected: 10e9, bad: 'lots', expects: /a size/ },
  { setting: 'build-cache-max-age', value: '72h', get: (s) => s.buildCache.maxAgeMs, expected: 72 * HOUR, bad: 'ages', expects: /a duration/ },
  { setting: 'containers-older-than', value: '36h', get: (s) => s.containersOlderThanMs, expected: 36 * HOUR, bad: 'ages', expects: /a duration/ },
  { setting: 'max-docker-bytes', value: '100GB', get: (s) => s.space.maxDockerBytes, expected: 100e9, bad: 'lots', expects: /a size such as 500MB/ },
  { setting: 'target-docker-bytes', value: '60GB', with: { 'max-docker-bytes': '100GB' }, get: (s) => s.space.targetDockerBytes, expected: 60e9, bad: '120GB', expects: /a size no larger than max-docker-bytes \(100GB\)/ },
  { setting: 'evict-build-cache', value: 'true', get: (s) => s.space.evictBuildCache, expected: true, bad: 'maybe', expects: /true or false/ },
  { setting: 'volumes-older-than', value: '2d', get: (s) => s.volumes.olderThanMs, expected: 2 * DAY, bad: 'ages', expects: /a duration/ },
  { setting: 'volumes-named', value: 'true', get: (s) => s.volumes.named, expected: true, bad: 'maybe', expects: /true or false/ },
  { setting: 'protect-volume', input: 'protected-volumes', value: 'cache-*\npinned', get: (s) => s.volumes.protect, expected: ['cache-*', 'pinned'], bad: 'a/b', expects: /a volume name or a name pattern/ },
  { setting: 'buildx-older-than', value: '1d', get: (s) => s.volumes.buildxOlderThanMs, expected: DAY, bad: 'ages', expects: /a duration/ },
  { setting: 'networks-older-than', value: '1d', get: (s) => s.networksOlderThanMs, expected: DAY, bad: 'ages', expects: /a duration/ },
  { setting: 'timeout', value: '30s', get: (s) => s.timeoutMs, expected: 30_000, bad: '0s', expects: /a duration from 1s to 1d/ },
  { setting: 'lock-wait', value: '1m', get: (s) => s.lockWaitMs, expected: 60_000, bad: 'soon', expects: /a duration/ },
];
const inputOf = (c: MappingCase) => c.input ?? c.setting;

describe('GitHub Action inputs -> core settings (actions/src/inputs.ts, in process)', () => {
  let bundleDir: string;
  let getInputs: ActionInputsModule['getInputs'];

  before(() => {
    bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-action-inputs-'));
    const outfile = path.join(bundleDir, 'inputs.cjs');
    // The options of scripts/bundle-options.mjs that matter for loading it here.
    esbuild.buildSync({
      absWorkingDir: ROOT,
      entryPoints: [path.join(ROOT, 'actions', 'src', 'inputs.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['cpu-features', '*.node'],
      define: { 'import.meta.url': '__bundleUrl' },
      banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
      logLevel: 'warning',
    });
    ({ getInputs } = require(outfile) as ActionInputsModule);
  });

  after(() => fs.rmSync(bundleDir, { recursive: true, force: true }));

  /** What the Action hands the core when the workflow sets these inputs (the rest at their action.yml defaults). */
  const settingsFrom = (inputs: Record<string, string>) =>
    getInputs((name) => {
      assert.ok(ACTION.inputs.has(name), `inputs.ts reads ${name}, which action.yml does not declare`);
      return inputs[name] ?? ACTION.inputs.get(name)!;
    }).settings;

  it('M0. action.yml is valid YAML, and the suite\'s own reader of it agrees on every input and default', () => {
    const parsed = yaml.load(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { description?: string; default?: string }> };
    assert.deepEqual(
      Object.fromEntries(Object.entries(parsed.inputs).map(([name, input]) => [name, String(input.default ?? '')])),
      Object.fromEntries(ACTION.inputs),
    );
    for (const [name, input] of Object.entries(parsed.inputs)) assert.ok(input.description?.trim(), `${name} has a description`);
  });

  it('M1. action.yml declares exactly the Input names; every input but fail-on-error and run-at feeds one core setting, no two the same', () => {
    assert.deepEqual([...ACTION.inputs.keys()].sort(), [...INPUT_NAMES].sort());
    const fed = Object.entries(SETTING_OF_INPUT);
    assert.deepEqual(INPUT_NAMES.filter((name) => !(name in SETTING_OF_INPUT)).sort(), ['fail-on-error', 'run-at']);
    for (const [input, setting] of fed) assert.ok((SETTING_NAMES as readonly string[]).includes(setting), `${input} -> ${setting} is a core setting`);
    assert.equal(new Set(fed.map(([, setting]) => setting)).size, fed.length, 'one input per setting');
  });

  it('M2. each disk-pressure, maintenance, volume and engine setting is an input (of the same name but protected-volumes)', () => {
    for (const c of NEW_SETTINGS) {
      assert.ok(ACTION.inputs.has(inputOf(c)), `action.yml declares ${inputOf(c)}`);
      assert.equal((SETTING_OF_INPUT as Record<string, string>)[inputOf(c)], c.setting);
    }
  });

  it('M3. action.yml defaults of the new inputs leave the core defaults in place', () => {
    const fromDefaults = settingsFrom({});
    const core = parseSettings({});
    for (const c of NEW_SETTINGS) assert.deepEqual(c.get(fromDefaults), c.get(core), `${c.setting} default`);
  });

  for (const c of NEW_SETTINGS) {
    it(`M4. ${inputOf(c)}: ${JSON.stringify(c.value)} maps to its setting; ${JSON.stringify(c.bad)} fails naming the input`, () => {
      const context = c.with ?? {};
      const input = inputOf(c);
      assert.deepEqual(c.get(settingsFrom({ ...context, [input]: c.value })), c.expected);
      assert.deepEqual(c.get(settingsFrom({ ...context, [input]: ` ${c.value}\n` })), c.expected, 'trimmed');
      assert.notDeepEqual(c.get(settingsFrom(context)), c.expected, 'the value came from this input');
      assert.throws(
        () => settingsFrom({ ...context, [input]: c.bad }),
        (error: unknown) =>
          error instanceof Error &&
          error.name === 'InputError' &&
          error.message.startsWith(`Invalid input ${input} "${c.bad}": expected `) &&
          c.expects.test(error.message),
      );
    });
  }
});

describe(`GitHub Action docker-image-cleanup (bundled pre/main/post, real engine): ${ENGINE.name}`, function () {
  this.timeout(180_000);
  let docker: Docker;
  let host: string;
  let work: string;

  before(() => {
    host = ENGINE.host();
    docker = ENGINE.docker();
  });

  beforeEach(async () => {
    await resetEngine(docker);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-action-'));
  });

  afterEach(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A job using the Action against the test engine; the grace period is off unless a test sets it. */
  const job = (inputs: Record<string, string> = {}) => new Job(work, { 'docker-host': host, 'min-age': '0', ...inputs });

  async function tags(): Promise<string[]> {
    const images = await docker.listImages();
    return images
      .flatMap((i) => i.RepoTags ?? [])
      .filter((t) => t !== '<none>:<none>')
      .sort();
  }

  const layer = (id: string, bytes = 20_000): LayerSpec => ({ id, bytes });
  /** repo:ci-1 (oldest) .. repo:ci-n, one day apart, on a shared base layer. */
  function builds(repo: string, n: number, first = 1): ImageSpec[] {
    return Array.from({ length: n }, (_, i) => ({
      tags: [`${repo}:ci-${first + i}`],
      created: new Date(Date.now() - (n - i) * DAY),
      layers: [layer('base'), layer(`${repo}-ci-${first + i}`)],
    }));
  }
  const nodeBase: ImageSpec = { tags: ['node:20'], created: new Date(Date.now() - 30 * DAY), layers: [layer('node-20', 50_000)] };

  describe('action.yml and dist/', () => {
    it('1. declares the inputs with their defaults, the outputs, and node24 pre/main/post bundles that exist', () => {
      assert.deepEqual(Object.fromEntries(ACTION.inputs), {
        'keep-count': '2',
        'current-images': '',
        'protected-references': 'node:*',
        'protected-labels': '',
        repositories: '',
        dockerfiles: '',
        'min-age': '1h',
        'dry-run': 'false',
        'max-removals': '',
        'removal-concurrency': '',
        'docker-host': '',
        'ensure-free': '',
        'max-image-bytes': '',
        'target-image-bytes': '',
        'min-free': '',
        'target-free': '',
        'min-free-inodes': '',
        'target-free-inodes': '',
        'free-path': '/var/lib/docker',
        'max-unused': '',
        'evict-kept-builds': 'false',
        'eviction-order': 'cost',
        'pull-bandwidth': '50MB/s',
        'evict-base-images': 'false',
        'usage-store': 'file',
        'usage-file': '',
        'regret-window': '7d',
        'build-cache-keep': '',
        'build-cache-max-age': '',
        'containers-older-than': '',
        'max-docker-bytes': '',
        'target-docker-bytes': '',
        'evict-build-cache': 'false',
        'volumes-older-than': '',
        'volumes-named': 'false',
        'protected-volumes': '',
        'buildx-older-than': '',
        'networks-older-than': '',
        timeout: '120s',
        'lock-wait': '5m',
        'fail-on-error': 'false',
        'run-at': 'post',
      });
      assert.deepEqual(ACTION.outputs, ['removed-count', 'kept-count', 'bytes-freed', 'plan']);
      assert.equal(ACTION.runs.get('using'), 'node24');
      for (const stage of ['pre', 'main', 'post']) {
        const entry = ACTION.runs.get(stage);
        assert.ok(entry && fs.existsSync(path.join(ROOT, entry)), `runs.${stage} (${entry}) exists`);
      }
      assert.ok(!ACTION.runs.has('pre-if') && !ACTION.runs.has('post-if'), 'pre-if/post-if keep their default, always()');
    });

    it('2. the committed dist/ is a fresh build of the sources (actions/check-dist.sh)', () => {
      const check = spawnSync('bash', [path.join(ROOT, 'actions', 'check-dist.sh')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(check.status, 0, `${check.stdout}\n${check.stderr}`);
    });
  });

  describe('run-at post (the default)', () => {
    it('3. pre records the job start in a file, post keeps every image the job loaded or tagged and removes old builds', async () => {
      await loadImages(docker, [nodeBase, ...builds('app', 4)]);
      const j = job({ 'keep-count': '1' });

      const pre = await j.run('pre');
      assertClean(pre);
      const file = j.state['job-start-file'];
      assert.ok(file && file.startsWith(j.runnerTemp + path.sep), `state holds a path under RUNNER_TEMP: ${file}`);
      const recorded = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.equal(recorded.imageIds.length, 5);
      assert.equal(pre.summary, '', 'pre writes no summary');

      // The job's own work: a new build, and an old build retagged as a release.
      await loadImages(docker, builds('app', 1, 5));
      await docker.getImage('app:ci-1').tag({ repo: 'app', tag: 'release' });

      const main = await j.run('main');
      assertClean(main);
      assert.equal(j.state['main-ran'], 'true');
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-2', 'app:ci-3', 'app:ci-4', 'app:ci-5', 'app:release', 'node:20'], 'main removes nothing');

      const post = await j.run('post');
      assertClean(post);
      // ci-5 (loaded by the job) and ci-1 (retagged by the job) are the current build;
      // keep-count 1 keeps ci-4; node:* is protected by default.
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-4', 'app:ci-5', 'app:release', 'node:20']);
      assert.equal(post.outputs['removed-count'], '2');
      assert.equal(post.outputs['kept-count'], '4');
      assert.ok(Number(post.outputs['bytes-freed']) > 0, `bytes-freed ${post.outputs['bytes-freed']}`);
      const plan = JSON.parse(post.outputs.plan!);
      assert.equal(plan.dryRun, false);
      // The plan names references in full (docker.io/library/app:ci-2).
      const byTag = (t: string) => plan.images.find((i: { references: string[] }) => i.references.includes(`docker.io/library/${t}`));
      assert.equal(byTag('app:ci-2').action, 'remove');
      assert.ok(byTag('app:ci-5').keepReasons.some((r: { kind: string }) => r.kind === 'job-image'));
      assert.ok(byTag('app:release').keepReasons.some((r: { kind: string }) => r.kind === 'job-image'));

      assert.match(post.summary, /^## Docker image cleanup\n/);
      assert.match(post.summary, /Ran after the job's last step\. 2 images the job built, tagged, loaded or pulled were kept as the current build\./);
      assert.match(post.summary, /\| Removed \| 2 \|/);
      assert.match(post.summary, /app:ci-2/);
      assert.match(post.stdout, /::group::Cleanup report/);
      assert.ok(!fs.existsSync(file), 'post removes the job start record');
    });

    it('3b. a pattern input a later step sets (empty at pre: "app:") is left to post, which reads and checks it again', async () => {
      await loadImages(docker, builds('app', 3));
      const j = job({ 'keep-count': '0', 'current-images': 'app:' });
      const pre = await j.run('pre');
      assert.equal(pre.code, 0, log(pre));
      assert.deepEqual(pre.errors, [], log(pre));
      assert.equal(pre.warnings.length, 1, log(pre));
      assert.match(pre.warnings[0]!, /^Invalid input current-images "app:": expected .*read again and checked after the job\.$/);
      assert.ok(j.state['job-start-file'], 'pre still records the job start');

      // By post the later step's output is known: the cleanup keeps it as the current build.
      j.inputs['current-images'] = 'app:ci-1';
      await j.run('main');
      const post = await j.run('post');
      assertClean(post);
      assert.deepEqual(await tags(), ['app:ci-1']);
    });

    it('3c. a pattern input still malformed after the job fails post, naming the input; nothing is removed', async () => {
      await loadImages(docker, builds('app', 3));
      const j = job({ 'keep-count': '0', 'current-images': 'app:' });
      assert.equal((await j.run('pre')).code, 0);
      await j.run('main');
      const post = await j.run('post');
      assert.equal(post.code, 1, log(post));
      assert.match(post.errors[0] ?? '', /^Invalid input current-images "app:"/);
      assert.equal((await tags()).length, 3);
    });

    it('4. without a pre step (local action, uses: ./) main records the job start and post cleans with it', async () => {
      await loadImages(docker, builds('app', 3));
      const j = job({ 'keep-count': '0' });
      const main = await j.run('main');
      assertClean(main);
      assert.ok(j.state['job-start-file'], log(main));
      await loadImages(docker, builds('app', 1, 4));
      const post = await j.run('post');
      assertClean(post);
      assert.deepEqual(await tags(), ['app:ci-4']);
    });

    it('5. post does nothing when pre recorded nothing', async () => {
      await loadImages(docker, builds('app', 4));
      const j = job({ 'keep-count': '0' });
      const post = await j.run('post');
      assertClean(post);
      assert.match(post.stdout, /Nothing to do: no job start was recorded/);
      assert.equal(post.summary, '');
      assert.deepEqual(post.outputs, {});
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-2', 'app:ci-3', 'app:ci-4']);
    });

    it('6. a dry run after the job reports the plan and removes nothing', async () => {
      await loadImages(docker, builds('app', 4));
      const j = job({ 'keep-count': '1', 'dry-run': 'true' });
      assertClean(await j.run('pre'));
      assertClean(await j.run('main'));
      const post = await j.run('post');
      assertClean(post);
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-2', 'app:ci-3', 'app:ci-4']);
      assert.equal(post.outputs['removed-count'], '3');
      assert.ok(Number(post.outputs['bytes-freed']) > 0, 'a dry run reports the predicted bytes');
      assert.equal(JSON.parse(post.outputs.plan!).dryRun, true);
      assert.match(post.summary, /^## Docker image cleanup \(dry run\)/);
      assert.match(post.summary, /Dry run:\*\* nothing was removed/);
    });
  });

  describe('run-at now', () => {
    it('7. main cleans where it stands, sets the outputs and the summary; post then does nothing', async () => {
      await loadImages(docker, [nodeBase, ...builds('app', 5)]);
      const j = job({ 'run-at': 'now', 'keep-count': '2', 'current-images': 'app:ci-1' });
      const pre = await j.run('pre');
      assertClean(pre);
      assert.equal(j.state['job-start-file'], undefined, 'run-at now records nothing');

      const main = await j.run('main');
      assertClean(main);
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-4', 'app:ci-5', 'node:20']);
      assert.equal(main.outputs['removed-count'], '2');
      assert.equal(main.outputs['kept-count'], '4');
      assert.ok(Number(main.outputs['bytes-freed']) > 0);
      assert.equal(JSON.parse(main.outputs.plan!).images.length, 6);
      assert.match(main.summary, /^## Docker image cleanup\n/);
      assert.doesNotMatch(main.summary, /Ran after the job/);

      const post = await j.run('post');
      assertClean(post);
      assert.equal(post.summary, '');
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-4', 'app:ci-5', 'node:20']);
    });

    it('8. max-removals exceeded: nothing removed, the refusal is a warning and in the summary', async () => {
      await loadImages(docker, builds('app', 4));
      const main = await job({ 'run-at': 'now', 'keep-count': '1', 'max-removals': '2' }).run('main');
      assert.equal(main.code, 0, log(main));
      assert.equal(main.warnings.length, 1, log(main));
      assert.match(main.warnings[0]!, /refusing to remove 3 images: max-removals is 2/);
      assert.deepEqual(main.errors, []);
      assert.equal(main.outputs['removed-count'], '0');
      assert.match(main.summary, /Refused, nothing was removed/);
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-2', 'app:ci-3', 'app:ci-4']);
    });

    it('8b. an incident (a container made from an image inside its delete): a warning annotation naming it, the step\'s failure warning (fail-on-error false), the summary; the next job warns again (#27)', async () => {
      await loadImages(docker, builds('app', 3));
      const victim = (await docker.getImage('app:ci-1').inspect()).Id;
      const proxy = await containerInsideDelete(host, docker, victim);
      let main: StepRun;
      const j = job({ 'run-at': 'now', 'keep-count': '1', 'docker-host': proxy.host });
      try {
        main = await j.run('main');
      } finally {
        await proxy.close();
      }
      assert.ok(proxy.planted(), 'the container was planted inside the delete');
      assert.equal(main.code, 0, log(main));
      assert.deepEqual(main.errors, [], log(main));
      const incident = main.warnings.find((w) => w.startsWith('INCIDENT: container late-job (created) was created from'));
      assert.ok(incident, log(main));
      assert.ok(
        main.warnings.some((w) => /^docker-image-cleanup: 1 incident\(s\): the engine untagged or deleted what the plan did not name: container late-job .*\(fail-on-error is false: the job goes on\)$/.test(w)),
        log(main),
      );
      assert.match(main.summary, /INCIDENT: container late-job/);
      // The record under the tool cache outlives the job: the next job's run says it again.
      const next = await new Job(work, { 'docker-host': host, 'min-age': '0', 'run-at': 'now', 'keep-count': '1' }).run('main');
      assert.equal(next.code, 0, log(next));
      assert.ok(next.warnings.some((w) => w.endsWith(`the previous run had an incident: ${incident!.slice('INCIDENT: '.length)}`)), log(next));
    });
  });

  describe('bad inputs always fail, before anything is recorded or removed', () => {
    // A pattern input may hold a later step's output (empty at pre): pre warns, post fails on it.
    const DEFERRED = new Set(['protected-references', 'repositories']);
    const cases: [string, Record<string, string>, RegExp][] = [
      ['keep-count', { 'keep-count': 'two' }, /^Invalid input keep-count "two": expected a whole number, 0 or more\.$/],
      ['min-age', { 'min-age': 'soon' }, /^Invalid input min-age "soon": expected a duration/],
      ['protected-references', { 'protected-references': 'node:*, app@@x' }, /^Invalid input protected-references "app@@x": expected a reference pattern/],
      ['protected-labels', { 'protected-labels': 'team name=x' }, /^Invalid input protected-labels "team name=x": expected a label selector/],
      ['repositories', { repositories: 'app:ci-1' }, /^Invalid input repositories "app:ci-1": expected a repository pattern/],
      ['dry-run', { 'dry-run': 'maybe' }, /^Invalid input dry-run "maybe": expected true or false/],
      ['max-removals', { 'max-removals': '-1' }, /^Invalid input max-removals "-1"/],
      ['docker-host', { 'docker-host': 'ftp://engine' }, /^Invalid input docker-host "ftp:\/\/engine"/],
      ['fail-on-error', { 'fail-on-error': 'sometimes' }, /^Invalid input fail-on-error "sometimes": expected true or false/],
      ['run-at', { 'run-at': 'later' }, /^Invalid input run-at "later": expected post or now\.$/],
    ];
    cases.forEach(([input, inputs, message], i) => {
      if (DEFERRED.has(input)) {
        it(`${9 + i}. ${input}: pre warns naming the input, post fails on it and removes nothing`, async () => {
          await loadImages(docker, builds('app', 3));
          const j = job({ 'keep-count': '0', ...inputs });
          const pre = await j.run('pre');
          assert.equal(pre.code, 0, log(pre));
          assert.match(pre.warnings[0] ?? '', message);
          await j.run('main');
          const post = await j.run('post');
          assert.equal(post.code, 1, log(post));
          assert.match(post.errors[0] ?? '', message);
          assert.equal((await tags()).length, 3);
        });
        return;
      }
      it(`${9 + i}. ${input}: pre fails with a message naming the input`, async () => {
        const j = job(inputs);
        const pre = await j.run('pre');
        assert.equal(pre.code, 1, log(pre));
        assert.equal(pre.errors.length, 1, log(pre));
        assert.match(pre.errors[0]!, message);
        assert.equal(j.state['job-start-file'], undefined);
      });
    });

    it(`${9 + cases.length}. after a failed pre, main fails the same way, post does nothing and nothing is removed`, async () => {
      await loadImages(docker, builds('app', 4));
      const j = job({ 'keep-count': 'two' });
      assert.equal((await j.run('pre')).code, 1);
      // The runner skips main after a failed pre; if it ran (if: always()) it fails too.
      const main = await j.run('main');
      assert.equal(main.code, 1, log(main));
      assert.match(main.errors[0]!, /keep-count/);
      const post = await j.run('post');
      assertClean(post);
      assert.equal(post.summary, '');
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-2', 'app:ci-3', 'app:ci-4']);
    });
  });

  describe('engine unreachable', () => {
    const missing = () => `unix://${path.join(work, 'no-such-engine.sock')}`;

    it('20. fail-on-error false (default): a warning annotation, a summary note, exit 0', async () => {
      const main = await job({ 'run-at': 'now', 'docker-host': missing() }).run('main');
      assert.equal(main.code, 0, log(main));
      assert.deepEqual(main.errors, []);
      assert.equal(main.warnings.length, 1, log(main));
      assert.match(main.warnings[0]!, /cannot reach the Docker engine at unix:\/\/.*no-such-engine\.sock/);
      assert.match(main.warnings[0]!, /fail-on-error is false/);
      assert.match(main.summary, /did not run: cannot reach the Docker engine/);
      assert.deepEqual(main.outputs, {});
    });

    it('21. fail-on-error true: the step fails with the reason', async () => {
      const main = await job({ 'run-at': 'now', 'docker-host': missing(), 'fail-on-error': 'true' }).run('main');
      assert.equal(main.code, 1, log(main));
      assert.deepEqual(main.warnings, []);
      assert.equal(main.errors.length, 1, log(main));
      assert.match(main.errors[0]!, /^docker-image-cleanup did not run: cannot reach the Docker engine/);
    });

    it('22b. ensure-free: pre frees space before recording the job start, or fails the job naming what was tried; post ignores it', async () => {
      await loadImages(docker, [nodeBase, ...builds('app', 3)]);
      // A real filesystem: 1B is always free there, 1000TB never is.
      const inputs = { 'keep-count': '1', 'min-age': '0', 'usage-store': 'none', 'free-path': os.tmpdir() };
      const ok = job({ ...inputs, 'ensure-free': '1B' });
      const pre = await ok.run('pre');
      assert.equal(pre.code, 0, log(pre));
      assert.ok(ok.state['job-start-file'], log(pre));
      assert.deepEqual(await tags(), ['app:ci-3', 'node:20']);

      const short = job({ ...inputs, 'ensure-free': '1000TB', 'fail-on-error': 'false' });
      const failed = await short.run('pre');
      assert.notEqual(failed.code, 0, log(failed));
      assert.match(log(failed), /ensure-free 1PB: only .* free on .*; evicted least recently used first: images 0B/);
      assert.equal(short.state['job-start-file'], undefined);

      // The post-job cleanup of the first job ignores ensure-free, even one that cannot be met.
      ok.inputs['ensure-free'] = '1000TB';
      assertClean(await ok.run('post'));
    });

    it('22. at the start of the job: pre warns, records nothing, and post does nothing', async () => {
      const j = job({ 'docker-host': missing() });
      const pre = await j.run('pre');
      assert.equal(pre.code, 0, log(pre));
      assert.equal(pre.warnings.length, 1, log(pre));
      assert.match(pre.warnings[0]!, /could not record the job start, so no cleanup runs after this job: cannot reach/);
      assert.equal(j.state['job-start-file'], undefined);
      assertClean(await j.run('main'));
      const post = await j.run('post');
      assertClean(post);
      assert.equal(post.summary, '');
    });
  });

  describe('disk pressure and maintenance inputs', () => {
    it('24. a byte budget with evict-kept-builds evicts least recently used builds; the summary shows the order and the shortfall', async () => {
      await loadImages(docker, [nodeBase, ...builds('app', 4)]);
      const main = await job({ 'run-at': 'now', 'keep-count': '2', 'max-image-bytes': '1B', 'evict-kept-builds': 'true', 'usage-store': 'none' }).run('main');
      assert.equal(main.code, 0, log(main));
      // node:20 is protected, so the budget cannot be met: said once, as a warning
      assert.equal(main.warnings.length, 1, log(main));
      assert.match(main.warnings[0]!, /max-image-bytes: cannot free \d+ more bytes.*evict-base-images would allow more/);
      assert.deepEqual(await tags(), ['node:20']);
      assert.equal(main.outputs['removed-count'], '4');
      assert.match(main.summary, /### Disk pressure/);
      assert.match(main.summary, /max-image-bytes: needed .* \(\*\*short by/);
      assert.match(main.summary, /\| 1 \| app:ci-3 \|/);
    });

    it('32. the usage record outlives the job: $RUNNER_TOOL_CACHE/docker-image-cleanup/usage.json, RUNNER_TEMP without a tool cache, or usage-file', async () => {
      await loadImages(docker, builds('app', 3));
      const j = job({ 'run-at': 'now', 'keep-count': '1' });
      assertClean(await j.run('main'));
      const record = path.join(j.toolCache, 'docker-image-cleanup', 'usage.json');
      assert.ok(fs.existsSync(record), `usage record at ${record}`);
      const stored = JSON.parse(fs.readFileSync(record, 'utf8')) as { images: Record<string, unknown> };
      assert.ok(Object.keys(stored.images).length >= 1, fs.readFileSync(record, 'utf8'));
      assert.ok(!fs.existsSync(path.join(j.runnerTemp, 'docker-image-cleanup', 'usage.json')), 'not under RUNNER_TEMP');

      const noCache = new Job(work, { 'docker-host': host, 'min-age': '0', 'run-at': 'now' }, { RUNNER_TOOL_CACHE: '' });
      assertClean(await noCache.run('main'));
      assert.ok(fs.existsSync(path.join(noCache.runnerTemp, 'docker-image-cleanup', 'usage.json')), 'falls back to RUNNER_TEMP');

      const elsewhere = path.join(work, 'records', 'runner-7.json');
      assertClean(await job({ 'run-at': 'now', 'usage-file': elsewhere }).run('main'));
      assert.ok(fs.existsSync(elsewhere), `usage-file ${elsewhere}`);
    });

    it('33. volumes-older-than, volumes-named, protected-volumes: the job\'s leftover volumes go, a mounted and a protected one stay; the summary lists each with its bytes', async () => {
      const leftover = await leaveJobVolumes(docker);
      const volumes = async () => ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).sort();
      assert.deepEqual(await volumes(), [leftover, 'old-cache', 'pinned-npm', 'svc-data'].sort());

      const inputs = { 'run-at': 'now', 'usage-store': 'none', 'volumes-older-than': '0', 'volumes-named': 'true', 'protected-volumes': 'pinned-*' };
      const dry = await job({ ...inputs, 'dry-run': 'true' }).run('main');
      assertClean(dry);
      assert.equal((await volumes()).length, 4, 'a dry run removes no volume');
      const main = await job(inputs).run('main');
      assertClean(main);
      assert.deepEqual(await volumes(), ['pinned-npm', 'svc-data']);
      assert.match(main.summary, /### Volumes and builder leftovers/);
      const row = (name: string) => main.summary.split('\n').find((l) => l.includes(name.slice(0, 12))) ?? '';
      assert.match(row(leftover), /anonymous.*removed/, main.summary);
      assert.match(row('old-cache'), /named.*removed/, main.summary);
      assert.match(row('svc-data'), /keep/, main.summary);
      assert.match(main.summary, /\d+(\.\d+)?kB predicted, \d+(\.\d+)?kB freed/);
      // The images are untouched: runner:1 is what the containers ran.
      assert.deepEqual(await tags(), ['runner:1']);
    });

    it('34. timeout: with the engine paused, the step ends within the timeout with one line naming the call; nothing removed', async () => {
      await loadImages(docker, builds('app', 3));
      const started = Date.now();
      const main = await pauseEngine(host, () => job({ 'run-at': 'now', 'keep-count': '0', timeout: '2s' }).run('main'));
      assert.ok(Date.now() - started < 30_000, `it did not hang (${Date.now() - started} ms)`);
      assert.equal(main.code, 0, log(main));
      assert.equal(main.warnings.length, 1, log(main));
      assert.match(main.warnings[0]!, /did not answer \w+ \/\S+ within 2 s.*\(fail-on-error is false: the job goes on\)$/s);
      assert.doesNotMatch(main.stdout + main.stderr, /\n\s+at /, 'no stack trace');
      assert.equal((await tags()).length, 3, 'nothing removed');
    });

    it('35. lock-wait: while another cleanup holds the engine, the step waits that long, then gives up naming the holder; nothing removed', async () => {
      await loadImages(docker, builds('app', 3));
      const release = await new DockerodeEngine({ host }).acquireRunLock({ waitMs: 0 });
      let main;
      try {
        main = await job({ 'run-at': 'now', 'keep-count': '0', 'lock-wait': '1s', 'fail-on-error': 'true' }).run('main');
      } finally {
        await release();
      }
      assert.equal(main.code, 1, log(main));
      assert.match(main.errors[0]!, /another cleanup .*since/i, log(main));
      assert.equal((await tags()).length, 3, 'nothing removed');
    });

    const bad: [string, Record<string, string>, RegExp][] = [
      ['max-image-bytes', { 'max-image-bytes': '10 parsecs' }, /^Invalid input max-image-bytes "10 parsecs": expected a size such as 500MB/],
      ['min-free', { 'min-free': '120%' }, /^Invalid input min-free "120%": expected a percentage/],
      ['usage-store', { 'usage-store': 'cloud' }, /^Invalid input usage-store "cloud": expected file, engine or none/],
      ['build-cache-keep', { 'build-cache-keep': 'lots' }, /^Invalid input build-cache-keep "lots"/],
      ['containers-older-than', { 'containers-older-than': 'ages' }, /^Invalid input containers-older-than "ages"/],
      ['usage-file', { 'usage-file': 'usage.json' }, /^Invalid input usage-file "usage.json": expected an absolute path\.$/],
      ['evict-kept-builds', { 'evict-kept-builds': 'maybe' }, /^Invalid input evict-kept-builds "maybe": expected true or false/],
    ];
    // The inputs of the volume rules, the one budget and the engine deadlines (#17, #12).
    const badToo: [string, Record<string, string>, RegExp][] = [
      ['timeout', { timeout: '0s' }, /^Invalid input timeout "0s": expected a duration from 1s to 1d/],
      ['timeout', { timeout: '5 minutes' }, /^Invalid input timeout "5 minutes": expected a duration/],
      ['lock-wait', { 'lock-wait': 'soon' }, /^Invalid input lock-wait "soon": expected a duration/],
      ['volumes-older-than', { 'volumes-older-than': 'ages' }, /^Invalid input volumes-older-than "ages": expected a duration/],
      ['protected-volumes', { 'protected-volumes': 'a/b' }, /^Invalid input protected-volumes "a\/b": expected a volume name/],
      ['max-docker-bytes', { 'max-docker-bytes': 'lots' }, /^Invalid input max-docker-bytes "lots": expected a size/],
    ];
    [...bad.map((c, i) => [25 + i, c] as const), ...badToo.map((c, i) => [36 + i, c] as const)].forEach(([no, [input, inputs, message]]) => {
      it(`${no}. ${input} ${JSON.stringify(inputs[input])}: pre fails with a message naming the input, nothing removed`, async () => {
        await loadImages(docker, builds('app', 3));
        const pre = await job({ ...inputs, 'keep-count': '0' }).run('pre');
        assert.equal(pre.code, 1, log(pre));
        assert.match(pre.errors[0]!, message);
        assert.equal((await tags()).length, 3);
      });
    });
  });

  describe('the bundle on its own', () => {
    it('23. runs from a copy of action.yml and dist/ without node_modules (optional native add-ons left out)', async () => {
      const copy = path.join(work, 'action-copy');
      fs.mkdirSync(copy);
      fs.copyFileSync(path.join(ROOT, 'action.yml'), path.join(copy, 'action.yml'));
      fs.cpSync(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
      await loadImages(docker, builds('app', 3));
      const j = job({ 'keep-count': '1' });
      assertClean(await j.run('pre', copy));
      await loadImages(docker, builds('app', 1, 4));
      assertClean(await j.run('main', copy));
      const post = await j.run('post', copy);
      assertClean(post);
      assert.equal(post.outputs['removed-count'], '2');
      assert.deepEqual(await tags(), ['app:ci-3', 'app:ci-4']);
    });
  });
});
