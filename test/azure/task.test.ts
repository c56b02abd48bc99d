// The Azure Pipelines task as the agent runs it: the bundled entries under
// tasks/DockerImageCleanupV1/dist are spawned with INPUT_* variables (task.json defaults
// applied), the agent's variables and task variables carried from step to step, against
// the real engine at DIC_TEST_DOCKER_HOST. Assertions read the ##vso commands on stdout,
// the uploaded summary file and the engine afterwards.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { CATALOG, DockerodeEngine, parseSettings, SETTING_NAMES, SettingsError, type Settings } from '../../src/index';
import { INPUT, inputOfSetting, rawSettings, SETTING_OF_INPUT, type InputName } from '../../tasks/DockerImageCleanupV1/src/settings-map';
import { pauseEngine, resetEngine } from '../support/engine';
import { containerInsideDelete } from '../support/proxy';
import { leaveJobVolumes } from '../support/volume-leftovers';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('azure/task');

const ROOT = path.resolve(__dirname, '../../..');
const TASK_DIR = path.join(ROOT, 'tasks', 'DockerImageCleanupV1');
const TASK_JSON = JSON.parse(fs.readFileSync(path.join(TASK_DIR, 'task.json'), 'utf8')) as TaskJson;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface TaskJson {
  inputs: { name: string; type: string; defaultValue?: string; helpMarkDown?: string; options?: Record<string, string> }[];
  outputVariables: { name: string }[];
  groups: { name: string }[];
  messages: Record<string, string>;
  [section: string]: unknown;
}

type Entry = 'pre' | 'main' | 'post';

/** One ##vso[...] logging command. */
interface Command {
  name: string;
  props: Record<string, string>;
  message: string;
}

interface StepRun {
  code: number | null;
  stdout: string;
  stderr: string;
  commands: Command[];
  /** The last task.complete result; undefined when the step set none (the agent then reads the exit code). */
  result: string | undefined;
  resultMessage: string | undefined;
  outputs: Record<string, string>;
  /** task.settaskvariable values, to hand to the next step of the same task instance. */
  taskVariables: Record<string, string>;
  issues: { type: string; message: string }[];
  summaries: string[];
}

// The task-lib escapes these in property values and messages.
function unescape(text: string): string {
  return text.replace(/%3B/g, ';').replace(/%5D/g, ']').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%AZP25/g, '%');
}

function parseCommands(stdout: string): Command[] {
  const commands: Command[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^##vso\[([\w.]+)(?: ([^\]]*))?\](.*)$/.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    const props: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) props[pair.slice(0, eq)] = unescape(pair.slice(eq + 1));
    }
    commands.push({ name: m[1]!, props, message: unescape(m[3]!) });
  }
  return commands;
}

/** Every input with its task.json default, then the test's values: what the agent passes. */
function inputEnv(inputs: Record<string, string>): Record<string, string> {
  const known = new Set(TASK_JSON.inputs.map((i) => i.name));
  for (const name of Object.keys(inputs)) assert.ok(known.has(name), `test uses unknown input ${name}`);
  const env: Record<string, string> = {};
  for (const input of TASK_JSON.inputs) env[`INPUT_${input.name.toUpperCase()}`] = inputs[input.name] ?? input.defaultValue ?? '';
  return env;
}

// ---------------------------------------------------------------------------------------
// The input -> setting mapping itself (settings-map.ts, in process, no engine): every
// disk-pressure and maintenance input feeds exactly its setting, empty means the core's
// default, and a bad value is attributed to the input.

/** One new setting: a valid value and where it lands, a bad value and what the core expects. */
interface MappingCase {
  setting: string;
  /** The input, when it is not the setting's name in camelCase. */
  input?: string;
  value: string;
  /** Settings the value needs beside it (a target needs its minimum). */
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
  { setting: 'protect-volume', input: 'protectedVolumes', value: 'cache-*\npinned', get: (s) => s.volumes.protect, expected: ['cache-*', 'pinned'], bad: 'a/b', expects: /a volume name or a name pattern/ },
  { setting: 'buildx-older-than', value: '1d', get: (s) => s.volumes.buildxOlderThanMs, expected: DAY, bad: 'ages', expects: /a duration/ },
  { setting: 'networks-older-than', value: '1d', get: (s) => s.networksOlderThanMs, expected: DAY, bad: 'ages', expects: /a duration/ },
  { setting: 'timeout', value: '30s', get: (s) => s.timeoutMs, expected: 30_000, bad: '0s', expects: /a duration from 1s to 1d/ },
  { setting: 'lock-wait', value: '1m', get: (s) => s.lockWaitMs, expected: 60_000, bad: 'soon', expects: /a duration/ },
];

const camel = (kebab: string) => kebab.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
const inputOf = (c: MappingCase) => c.input ?? camel(c.setting);

/** What the task hands the core when the inputs (by task input name) hold these values. */
function settingsFrom(inputs: Record<string, string>): Settings {
  return parseSettings(rawSettings((input) => inputs[input]));
}

/** Settings (kebab) -> inputs (camel), through the mapping under test. */
function inputsFor(settings: Record<string, string>): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [setting, value] of Object.entries(settings)) {
    const input = inputOfSetting(setting);
    assert.ok(input, `no input for ${setting}`);
    inputs[input] = value;
  }
  return inputs;
}

describe('Azure Pipelines task inputs -> core settings (settings-map.ts, in process)', () => {
  it('M1. every task input but failOnError and runAt feeds one core setting, and no two feed the same', () => {
    const declared = TASK_JSON.inputs.map((i) => i.name).sort();
    assert.deepEqual(Object.values(INPUT).sort(), declared, 'INPUT lists exactly the inputs task.json declares');
    const fed = Object.entries(SETTING_OF_INPUT);
    assert.deepEqual(declared.filter((name) => !(name in SETTING_OF_INPUT)), ['failOnError', 'runAt']);
    for (const [input, setting] of fed) assert.ok((SETTING_NAMES as readonly string[]).includes(setting!), `${input} -> ${setting} is a core setting`);
    assert.equal(new Set(fed.map(([, setting]) => setting)).size, fed.length, 'one input per setting');
  });

  it('M2. each disk-pressure, maintenance, volume and engine setting has its input in task.json, in the group of its catalog section', () => {
    const groups = new Set(TASK_JSON.groups.map((g) => g.name));
    for (const c of NEW_SETTINGS) {
      const input = TASK_JSON.inputs.find((i) => i.name === inputOf(c)) as { groupName?: string } | undefined;
      assert.ok(input, `task.json declares ${inputOf(c)}`);
      assert.equal(inputOfSetting(c.setting), inputOf(c), c.setting);
      const section = CATALOG.find((spec) => spec.name === c.setting)!.section;
      assert.ok(groups.has(section), `task.json has the group ${section}`);
      assert.equal(input.groupName, section, `${inputOf(c)} sits in the ${section} group`);
    }
    // Only camelCase spellings of the setting, but protectedVolumes (as protectedReferences, protectedLabels).
    assert.deepEqual(NEW_SETTINGS.filter((c) => inputOf(c) !== camel(c.setting)).map(inputOf), ['protectedVolumes']);
  });

  it('M3. task.json defaults of the new inputs leave the core defaults in place', () => {
    const defaults = Object.fromEntries(TASK_JSON.inputs.map((i) => [i.name, i.defaultValue ?? '']));
    const fromDefaults = settingsFrom(defaults);
    const core = parseSettings({});
    for (const c of NEW_SETTINGS) assert.deepEqual(c.get(fromDefaults), c.get(core), `${camel(c.setting)} default`);
    // Empty inputs are not handed over at all.
    const raw = rawSettings((input) => (input === INPUT.maxImageBytes ? '  ' : undefined));
    assert.deepEqual(raw, {});
  });

  for (const c of NEW_SETTINGS) {
    const input = inputOf(c) as InputName;
    it(`M4. ${input}: ${JSON.stringify(c.value)} -> ${c.setting}; ${JSON.stringify(c.bad)} is rejected naming ${input}`, () => {
      const context = inputsFor(c.with ?? {});
      assert.deepEqual(c.get(settingsFrom({ ...context, [input]: c.value })), c.expected);
      assert.deepEqual(c.get(settingsFrom({ ...context, [input]: ` ${c.value}\n` })), c.expected, 'trimmed');
      assert.notDeepEqual(c.get(settingsFrom(context)), c.expected, 'the value came from this input');
      assert.throws(
        () => settingsFrom({ ...context, [input]: c.bad }),
        (error: unknown) =>
          error instanceof SettingsError && inputOfSetting(error.setting) === input && error.value === c.bad && c.expects.test(error.expected),
      );
    });
  }
});

describe(`Azure Pipelines task DockerImageCleanup@1 (bundled entries, real engine): ${ENGINE.name}`, function () {
  this.timeout(180_000);
  let docker: Docker;
  let host: string;
  let work: string;
  let sources: string;
  let temp: string;

  before(() => {
    host = ENGINE.host();
    docker = ENGINE.docker();
    // The bundles under test are always the current sources.
    const build = spawnSync(process.execPath, [path.join(ROOT, 'tasks', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `node tasks/build.mjs failed:\n${build.stdout}\n${build.stderr}`);
  });

  beforeEach(async () => {
    await resetEngine(docker);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-azure-'));
    sources = path.join(work, 's');
    temp = path.join(work, '_temp');
    fs.mkdirSync(sources);
    fs.mkdirSync(temp);
  });

  afterEach(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** Runs one entry as the agent does: `node dist/<entry>.js` in the sources directory. */
  function step(entry: Entry, inputs: Record<string, string>, taskVariables: Record<string, string> = {}): Promise<StepRun> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? work,
      // The agent runs the Node24 handler from 4.265.1, Node20_1 before (this suite runs on both Nodes).
      AGENT_VERSION: Number(process.versions.node.split('.')[0]) >= 24 ? '4.265.1' : '4.248.0',
      AGENT_TEMPDIRECTORY: temp,
      AGENT_WORKFOLDER: work,
      AGENT_OS: 'Linux',
      SYSTEM_CULTURE: 'en-US',
      SYSTEM_TEAMPROJECT: 'demo',
      SYSTEM_DEFAULTWORKINGDIRECTORY: sources,
      BUILD_SOURCESDIRECTORY: sources,
      BUILD_BUILDID: '42',
      ...inputEnv(inputs),
    };
    for (const [name, value] of Object.entries(taskVariables)) {
      env[`VSTS_TASKVARIABLE_${name.replace(/\./g, '_').toUpperCase()}`] = value;
    }
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(TASK_DIR, 'dist', `${entry}.js`)], { cwd: sources, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        const commands = parseCommands(stdout);
        const complete = commands.filter((c) => c.name === 'task.complete').pop();
        const run: StepRun = {
          code,
          stdout,
          stderr,
          commands,
          result: complete?.props.result,
          resultMessage: complete?.message,
          outputs: Object.fromEntries(
            commands.filter((c) => c.name === 'task.setvariable' && c.props.isOutput === 'true').map((c) => [c.props.variable!, c.message]),
          ),
          taskVariables: {
            ...taskVariables,
            ...Object.fromEntries(commands.filter((c) => c.name === 'task.settaskvariable').map((c) => [c.props.variable!, c.message])),
          },
          issues: commands.filter((c) => c.name === 'task.issue' || c.name === 'task.logissue').map((c) => ({ type: c.props.type!, message: c.message })),
          // A Summary attachment (not task.uploadsummary, which titles the section with the file's name).
          summaries: commands
            .filter((c) => c.name === 'task.addattachment' && c.props.type === 'Distributedtask.Core.Summary' && c.props.name === 'Docker image cleanup')
            .map((c) => c.message),
        };
        resolve(run);
      });
    });
  }

  /** The step's log, for assertion messages. */
  const log = (run: StepRun) => `exit ${run.code}\n--- stdout\n${run.stdout.split('\n').filter((l) => !l.startsWith('##vso[task.debug]')).join('\n')}\n--- stderr\n${run.stderr}`;

  async function tags(): Promise<string[]> {
    const images = await docker.listImages();
    return images
      .flatMap((i) => i.RepoTags ?? [])
      .filter((t) => t !== '<none>:<none>')
      .sort();
  }

  const layer = (id: string, bytes = 20_000): LayerSpec => ({ id, bytes });
  /** app:ci-1 (oldest) .. app:ci-n, one day apart, sharing a base layer. */
  function builds(repo: string, n: number): ImageSpec[] {
    return Array.from({ length: n }, (_, i) => ({
      tags: [`${repo}:ci-${i + 1}`],
      created: new Date(Date.now() - (n - i) * DAY),
      layers: [layer('base'), layer(`${repo}-ci-${i + 1}`)],
    }));
  }

  describe('task.json', () => {
    it('1. declares the inputs, defaults, outputs and handlers the task is documented with', () => {
      const inputs = Object.fromEntries(TASK_JSON.inputs.map((i) => [i.name, i]));
      assert.deepEqual(Object.keys(inputs).sort(), [
        'buildCacheKeep', 'buildCacheMaxAge', 'buildxOlderThan', 'containersOlderThan', 'currentImages', 'dockerHost', 'dockerfiles', 'dryRun', 'ensureFree',
        'evictBaseImages', 'evictBuildCache', 'evictKeptBuilds', 'evictionOrder', 'failOnError', 'freePath', 'keepCount', 'lockWait', 'maxDockerBytes', 'maxImageBytes', 'maxRemovals',
        'maxUnused', 'minAge', 'minFree', 'minFreeInodes', 'networksOlderThan', 'protectedLabels', 'protectedReferences', 'protectedVolumes', 'pullBandwidth', 'regretWindow', 'removalConcurrency',
        'repositories', 'runAt', 'targetDockerBytes', 'targetFree', 'targetFreeInodes', 'targetImageBytes', 'timeout', 'usageFile', 'usageStore',
        'volumesNamed', 'volumesOlderThan',
      ]);
      const defaults = Object.fromEntries(TASK_JSON.inputs.map((i) => [i.name, i.defaultValue ?? '']));
      assert.equal(defaults.keepCount, '2');
      assert.equal(defaults.protectedReferences, 'node:*');
      assert.equal(defaults.minAge, '1h');
      assert.equal(defaults.dryRun, 'false');
      assert.equal(defaults.failOnError, 'false');
      assert.equal(defaults.runAt, 'postJob');
      assert.equal(defaults.timeout, '120s');
      assert.equal(defaults.lockWait, '5m');
      assert.deepEqual(Object.keys(inputs.runAt!.options!).sort(), ['now', 'postJob']);
      for (const name of ['currentImages', 'protectedReferences', 'protectedLabels', 'repositories', 'dockerfiles', 'protectedVolumes']) {
        assert.equal(inputs[name]!.type, 'multiLine', name);
      }
      for (const input of TASK_JSON.inputs) assert.ok(input.helpMarkDown, `${input.name} has helpMarkDown`);
      assert.deepEqual(TASK_JSON.outputVariables.map((o) => o.name).sort(), ['bytesFreed', 'keptCount', 'removedCount']);
      for (const section of ['execution', 'prejobexecution', 'postjobexecution']) {
        const handlers = TASK_JSON[section] as Record<string, { target: string }>;
        assert.deepEqual(Object.keys(handlers).sort(), ['Node20_1', 'Node24'], section);
        for (const { target } of Object.values(handlers)) assert.ok(fs.existsSync(path.join(TASK_DIR, target)), `${section} ${target} built`);
      }
    });

    it('1b. the three entries share one bundle (dist/index.js), which carries no package no code path reaches', () => {
      const dist = path.join(TASK_DIR, 'dist');
      assert.deepEqual(fs.readdirSync(dist).filter((f) => f.endsWith('.js')).sort(), ['index.js', 'main.js', 'post.js', 'pre.js']);
      for (const entry of ['main', 'pre', 'post']) {
        const starter = fs.readFileSync(path.join(dist, `${entry}.js`), 'utf8');
        assert.match(starter, new RegExp(`^void require\\("\\./index\\.js"\\)\\.${entry}\\(\\);$`, 'm'));
        assert.ok(starter.length < 200, `${entry}.js is ${starter.length} bytes`);
      }
      const packages = [...fs.readFileSync(path.join(dist, 'THIRD_PARTY_LICENSES.txt'), 'utf8').matchAll(/^(\S+)@\d\S* \(/gm)].map((m) => m[1]!);
      assert.ok(packages.includes('dockerode') && packages.includes('azure-pipelines-task-lib'), packages.join(', '));
      assert.deepEqual(packages.filter((p) => /^(@grpc\/|protobufjs|@protobufjs\/|undici)/.test(p)), []);
    });

    it('2. every message the sources pass to tl.loc is in task.json', () => {
      const dir = path.join(TASK_DIR, 'src');
      const used = fs
        .readdirSync(dir)
        .flatMap((f) => [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/tl\.loc\('(\w+)'/g)].map((m) => m[1]!));
      assert.ok(used.length > 5);
      for (const key of used) assert.ok(TASK_JSON.messages[key], `message ${key}`);
    });
  });

  describe('runAt: now', () => {
    it('3. removes beyond keepCount, keeps the current build and protected references, sets outputs and uploads the summary', async () => {
      await loadImages(docker, [
        ...builds('app', 5),
        { tags: ['node:20'], created: new Date(Date.now() - 90 * DAY), layers: [layer('node20')] },
      ]);
      const run = await step('main', { runAt: 'now', keepCount: '2', currentImages: 'app:ci-1', minAge: '0', dockerHost: host });
      assert.equal(run.result, 'Succeeded', log(run));
      assert.equal(run.code, 0);
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-4', 'app:ci-5', 'node:20']);
      assert.equal(run.outputs.removedCount, '2');
      assert.equal(run.outputs.keptCount, '4');
      assert.ok(Number(run.outputs.bytesFreed) >= 2 * 20_000, `bytesFreed ${run.outputs.bytesFreed}`);
      assert.match(run.stdout, /##vso\[task\.setvariable variable=removedCount;isOutput=true;issecret=false;\]2/);
      assert.match(run.resultMessage!, /^Removed 2 image\(s\)/);
      assert.equal(run.summaries.length, 1);
      assert.match(run.stdout, /^##vso\[task\.addattachment type=Distributedtask\.Core\.Summary;name=Docker image cleanup;\]/m);
      assert.ok(!run.commands.some((c) => c.name === 'task.uploadsummary'), 'no task.uploadsummary (its section title would be the file name)');
      const summary = run.summaries[0]!;
      assert.ok(summary.startsWith(temp + path.sep), `summary ${summary} in Agent.TempDirectory`);
      const markdown = fs.readFileSync(summary, 'utf8');
      assert.match(markdown, /^## Docker image cleanup\n/);
      assert.doesNotMatch(markdown, /dry run/i);
      assert.match(markdown, /\| Removed \| 2 \|/);
      assert.match(markdown, /app:ci-2/);
      assert.match(markdown, /node:20/);
    });

    it('4. dry run: removes nothing, says so in the summary and the result, outputs what a real run would do', async () => {
      await loadImages(docker, builds('app', 4));
      const before = await tags();
      const run = await step('main', { runAt: 'now', keepCount: '1', minAge: '0', dryRun: 'true', dockerHost: host });
      assert.equal(run.result, 'Succeeded', log(run));
      assert.deepEqual(await tags(), before);
      assert.match(run.resultMessage!, /^Dry run: nothing was removed\. A real run would remove 3 image/);
      assert.equal(run.outputs.removedCount, '3');
      assert.equal(run.outputs.keptCount, '1');
      const markdown = fs.readFileSync(run.summaries[0]!, 'utf8');
      assert.match(markdown, /^## Docker image cleanup \(dry run\)/);
      assert.match(markdown, /\*\*Dry run:\*\* nothing was removed/);
      assert.match(markdown, /### Would remove \(3\)/);
    });

    it('5. maxRemovals refuses the whole run: nothing removed, warning and SucceededWithIssues', async () => {
      await loadImages(docker, builds('app', 4));
      const before = await tags();
      const run = await step('main', { runAt: 'now', keepCount: '0', minAge: '0', maxRemovals: '2', dockerHost: host });
      assert.equal(run.result, 'SucceededWithIssues', log(run));
      assert.deepEqual(await tags(), before);
      assert.match(run.resultMessage!, /refusing to remove 4 images: max-removals is 2/);
      assert.ok(run.issues.some((i) => i.type === 'warning' && /max-removals/.test(i.message)));
      assert.equal(run.outputs.removedCount, '0');
      assert.match(fs.readFileSync(run.summaries[0]!, 'utf8'), /\*\*Refused:\*\*/);
    });

    it('5b. an incident (a container made from an image inside its delete): a warning issue naming it, SucceededWithIssues saying so, the summary; the next job warns again (#27)', async () => {
      await loadImages(docker, builds('app', 3));
      const victim = (await docker.getImage('app:ci-1').inspect()).Id;
      const proxy = await containerInsideDelete(host, docker, victim);
      let run: StepRun;
      try {
        run = await step('main', { runAt: 'now', keepCount: '1', minAge: '0', dockerHost: proxy.host });
      } finally {
        await proxy.close();
      }
      assert.ok(proxy.planted(), 'the container was planted inside the delete');
      assert.equal(run.result, 'SucceededWithIssues', log(run));
      assert.match(run.resultMessage!, /1 incident\(s\): the engine untagged or deleted what the plan did not name/);
      const incident = run.issues.find((i) => i.type === 'warning' && i.message.startsWith('INCIDENT: container late-job (created) was created from'));
      assert.ok(incident, log(run));
      assert.match(fs.readFileSync(run.summaries[0]!, 'utf8'), /INCIDENT: container late-job/);
      // The record in the agent's work folder outlives the job: the next job's run says it again.
      const next = await step('main', { runAt: 'now', keepCount: '1', minAge: '0', dockerHost: host });
      assert.equal(next.result, 'Succeeded', log(next));
      assert.ok(next.issues.some((i) => i.type === 'warning' && i.message.endsWith(`the previous run had an incident: ${incident!.message.slice('INCIDENT: '.length)}`)), log(next));
    });
  });

  describe('disk pressure inputs', () => {
    it('21. maxImageBytes with evictKeptBuilds evicts kept builds least recently used first; the summary shows the order', async () => {
      await loadImages(docker, [
        ...builds('app', 4),
        { tags: ['node:20'], created: new Date(Date.now() - 90 * DAY), layers: [layer('node20')] },
      ]);
      const run = await step('main', { runAt: 'now', keepCount: '2', minAge: '0', maxImageBytes: '1B', evictKeptBuilds: 'true', usageStore: 'none', dockerHost: host });
      // node:20 is protected, so the budget cannot be met: a warning on the step, not a failure
      assert.equal(run.result, 'Succeeded', log(run));
      assert.deepEqual(await tags(), ['node:20']);
      assert.equal(run.outputs.removedCount, '4');
      const markdown = fs.readFileSync(run.summaries[0]!, 'utf8');
      assert.match(markdown, /### Disk pressure/);
      assert.match(markdown, /\| 1 \| app:ci-3 \|/);
      assert.ok(run.issues.some((i) => i.type === 'warning' && /max-image-bytes: cannot free/.test(i.message)), log(run));
    });

    it('22. the usage record survives the job: by default in $(Agent.WorkFolder)/_docker-image-cleanup/usage.json, or at usageFile', async () => {
      await loadImages(docker, builds('app', 3));
      const first = await step('main', { runAt: 'now', keepCount: '1', minAge: '0', dockerHost: host });
      assert.equal(first.result, 'Succeeded', log(first));
      const record = path.join(work, '_docker-image-cleanup', 'usage.json');
      assert.ok(fs.existsSync(record), `usage record at ${record}\n${log(first)}`);
      assert.ok(!fs.readdirSync(temp).some((f) => f.startsWith('usage')), 'not in Agent.TempDirectory');
      const stored = JSON.parse(fs.readFileSync(record, 'utf8')) as { images: Record<string, unknown> };
      assert.ok(Object.keys(stored.images).length >= 1, fs.readFileSync(record, 'utf8'));

      const elsewhere = path.join(work, 'records', 'agent-7.json');
      const second = await step('main', { runAt: 'now', keepCount: '1', minAge: '0', usageFile: elsewhere, dockerHost: host });
      assert.equal(second.result, 'Succeeded', log(second));
      assert.ok(fs.existsSync(elsewhere), log(second));
    });

    it('29. volumesOlderThan, volumesNamed, protectedVolumes: the job\'s leftover volumes go, a mounted and a protected one stay; the summary lists each with its bytes', async () => {
      const leftover = await leaveJobVolumes(docker);
      const volumes = async () => ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).sort();
      assert.deepEqual(await volumes(), [leftover, 'old-cache', 'pinned-npm', 'svc-data'].sort());

      const inputs = { runAt: 'now', minAge: '0', usageStore: 'none', dockerHost: host, volumesOlderThan: '0', volumesNamed: 'true', protectedVolumes: 'pinned-*' };
      const dry = await step('main', { ...inputs, dryRun: 'true' });
      assert.equal(dry.result, 'Succeeded', log(dry));
      assert.equal((await volumes()).length, 4, 'a dry run removes no volume');
      const run = await step('main', inputs);
      assert.equal(run.result, 'Succeeded', log(run));
      assert.deepEqual(await volumes(), ['pinned-npm', 'svc-data']);
      const markdown = fs.readFileSync(run.summaries[0]!, 'utf8');
      assert.match(markdown, /### Volumes and builder leftovers/);
      const row = (name: string) => markdown.split('\n').find((l) => l.includes(name.slice(0, 12))) ?? '';
      assert.match(row(leftover), /anonymous.*removed/, markdown);
      assert.match(row('old-cache'), /named.*removed/, markdown);
      assert.match(row('svc-data'), /keep/, markdown);
      assert.match(markdown, /\d+(\.\d+)?kB predicted, \d+(\.\d+)?kB freed/);
      assert.deepEqual(await tags(), ['runner:1']);
    });

    it('30. timeout: with the engine paused, the step ends within the timeout with one line naming the call; nothing removed', async () => {
      await loadImages(docker, builds('app', 3));
      const started = Date.now();
      const run = await pauseEngine(host, () => step('main', { runAt: 'now', keepCount: '0', minAge: '0', dockerHost: host, timeout: '2s' }));
      assert.ok(Date.now() - started < 30_000, `it did not hang (${Date.now() - started} ms)`);
      assert.equal(run.result, 'SucceededWithIssues', log(run));
      assert.match(run.resultMessage!, /did not answer \w+ \/\S+ within 2 s/);
      assert.doesNotMatch(run.stdout + run.stderr, /\n\s+at /, 'no stack trace');
      assert.equal((await tags()).length, 3, 'nothing removed');
    });

    it('31. lockWait: while another cleanup holds the engine, the step waits that long, then gives up naming the holder; nothing removed', async () => {
      await loadImages(docker, builds('app', 3));
      const release = await new DockerodeEngine({ host }).acquireRunLock({ waitMs: 0 });
      let run;
      try {
        run = await step('main', { runAt: 'now', keepCount: '0', minAge: '0', dockerHost: host, lockWait: '1s', failOnError: 'true' });
      } finally {
        await release();
      }
      assert.equal(run.result, 'Failed', log(run));
      assert.match(run.resultMessage!, /another cleanup .*since/i);
      assert.equal((await tags()).length, 3, 'nothing removed');
    });

    const bad: { inputs: Record<string, string>; message: RegExp }[] = [
      { inputs: { timeout: '0s' }, message: /^Invalid input timeout "0s": expected a duration from 1s to 1d/ },
      { inputs: { timeout: '5 minutes' }, message: /^Invalid input timeout "5 minutes": expected a duration/ },
      { inputs: { lockWait: 'soon' }, message: /^Invalid input lockWait "soon": expected a duration/ },
      { inputs: { volumesOlderThan: 'ages' }, message: /^Invalid input volumesOlderThan "ages": expected a duration/ },
      { inputs: { protectedVolumes: 'a/b' }, message: /^Invalid input protectedVolumes "a\/b": expected a volume name/ },
      { inputs: { targetDockerBytes: '5GB' }, message: /^Invalid input targetDockerBytes "5GB": expected to be given together with maxDockerBytes/ },
      { inputs: { targetImageBytes: '5GB' }, message: /^Invalid input targetImageBytes "5GB": expected to be given together with maxImageBytes/ },
      { inputs: { usageStore: 'cloud' }, message: /^Invalid input usageStore "cloud": expected file, engine or none\.$/ },
      { inputs: { usageFile: 'usage.json' }, message: /^Invalid input usageFile "usage.json": expected an absolute path\.$/ },
      { inputs: { evictKeptBuilds: 'maybe' }, message: /^Invalid input evictKeptBuilds "maybe": expected true or false/ },
      { inputs: { buildCacheKeep: 'lots' }, message: /^Invalid input buildCacheKeep "lots": expected a size/ },
      { inputs: { containersOlderThan: 'ages' }, message: /^Invalid input containersOlderThan "ages": expected a duration/ },
    ];
    bad.forEach((c, i) => {
      it(`${32 + i}. ${JSON.stringify(c.inputs)} -> Failed naming the input, nothing removed`, async () => {
        await loadImages(docker, builds('app', 3));
        const run = await step('main', { runAt: 'now', keepCount: '0', minAge: '0', dockerHost: host, ...c.inputs });
        assert.equal(run.result, 'Failed', log(run));
        assert.match(run.resultMessage!, c.message);
        assert.equal(run.summaries.length, 0);
        assert.equal((await tags()).length, 3, 'nothing removed');
      });
    });
  });

  describe('runAt: postJob', () => {
    it('6. pre-job records the engine, main only checks, post-job keeps everything the job loaded or tagged', async () => {
      await loadImages(docker, builds('app', 3));
      const inputs = { keepCount: '1', minAge: '0', dockerHost: host }; // runAt defaults to postJob

      const pre = await step('pre', inputs);
      assert.equal(pre.result, undefined, log(pre));
      assert.equal(pre.code, 0);
      const recorded = pre.taskVariables['DockerImageCleanup.JobStartFile'];
      assert.ok(recorded && recorded.startsWith(temp), log(pre));
      const jobStart = JSON.parse(fs.readFileSync(recorded, 'utf8')) as { startedAt: number; imageIds: string[]; references: string[] };
      assert.equal(jobStart.imageIds.length, 3);

      // The job: loads an image with an old creation date and retags the oldest build.
      await loadImages(docker, [{ tags: ['app:from-job'], created: new Date(Date.now() - 30 * DAY), layers: [layer('base'), layer('job')] }]);
      await docker.getImage('app:ci-1').tag({ repo: 'app', tag: 'retagged' });

      const main = await step('main', inputs, pre.taskVariables);
      assert.equal(main.result, undefined, log(main));
      assert.equal(main.taskVariables['DockerImageCleanup.MainRan'], 'true');
      assert.match(main.stdout, /the cleanup runs in the post-job step/);
      assert.equal((await tags()).length, 5, 'main removes nothing with runAt postJob');

      const post = await step('post', inputs, main.taskVariables);
      assert.equal(post.result, 'Succeeded', log(post));
      // ci-3 is the newest build; from-job and retagged (ci-1) are this job's: only ci-2 goes.
      assert.deepEqual(await tags(), ['app:ci-1', 'app:ci-3', 'app:from-job', 'app:retagged']);
      assert.equal(post.outputs.removedCount, '1');
      assert.equal(post.summaries.length, 1);
      assert.ok(!fs.existsSync(recorded), 'post removes the job start record');
    });

    it('6b. a pattern input whose variable a later step sets (myapp:$(imageTag)) is left to post-job, which checks it again', async () => {
      await loadImages(docker, builds('app', 3));
      const inputs = { keepCount: '0', minAge: '0', dockerHost: host, currentImages: 'app:$(imageTag)' };
      const pre = await step('pre', inputs);
      assert.equal(pre.result, undefined, log(pre));
      assert.equal(pre.code, 0, log(pre));
      assert.match(pre.stdout, /##vso\[task\.issue type=warning[^\]]*\]Invalid input currentImages "app:\$\(imageTag\)": expected .*checked in the post-job step\./);
      assert.ok(pre.taskVariables['DockerImageCleanup.JobStartFile'], 'pre-job still records the job start');

      const main = await step('main', inputs, pre.taskVariables);
      // The agent expands the variable once the step that sets it has run.
      const post = await step('post', { ...inputs, currentImages: 'app:ci-1' }, main.taskVariables);
      assert.equal(post.result, 'Succeeded', log(post));
      assert.deepEqual(await tags(), ['app:ci-1']);
    });

    it('6c. still unexpanded at post-job: the post-job step fails on the input; nothing is removed', async () => {
      await loadImages(docker, builds('app', 3));
      const inputs = { keepCount: '0', minAge: '0', dockerHost: host, currentImages: 'app:$(imageTag)' };
      const pre = await step('pre', inputs);
      const main = await step('main', inputs, pre.taskVariables);
      const post = await step('post', inputs, main.taskVariables);
      assert.match(post.stdout, /Invalid input currentImages "app:\$\(imageTag\)"/, log(post));
      assert.equal((await tags()).length, 3);
    });

    it('7b. ensureFree: the pre-job step frees space first, or fails the task naming what was tried; post-job ignores it', async () => {
      await loadImages(docker, builds('app', 3));
      // The agent's temp folder is a real filesystem: 1B is always free, 1000TB never is.
      const inputs = { keepCount: '1', minAge: '0', dockerHost: host, freePath: temp, usageStore: 'none' };
      const ok = await step('pre', { ...inputs, ensureFree: '1B' });
      assert.equal(ok.result, 'Succeeded', log(ok));
      assert.ok(ok.taskVariables['DockerImageCleanup.JobStartFile'], 'then the job start is recorded');
      assert.deepEqual(await tags(), ['app:ci-3'], 'the pre-job cleanup ran the policy');

      const short = await step('pre', { ...inputs, ensureFree: '1000TB', failOnError: 'false' });
      assert.equal(short.result, 'Failed', log(short));
      assert.ok(short.issues.some((i) => /ensure-free 1PB: only .* free on .*; evicted least recently used first: images 0B/.test(i.message)), log(short));
      assert.equal(short.taskVariables['DockerImageCleanup.JobStartFile'], undefined, 'no job start: the job fails here');

      const main = await step('main', { ...inputs, ensureFree: '1000TB' }, ok.taskVariables);
      const post = await step('post', { ...inputs, ensureFree: '1000TB' }, main.taskVariables);
      assert.equal(post.result, 'Succeeded', log(post));
    });

    it('7. post-job does nothing when the main step did not run', async () => {
      await loadImages(docker, builds('app', 3));
      const inputs = { keepCount: '0', minAge: '0', dockerHost: host };
      const pre = await step('pre', inputs);
      const post = await step('post', inputs, pre.taskVariables);
      assert.equal(post.result, undefined, log(post));
      assert.equal(post.code, 0);
      assert.match(post.stdout, /did not run in this job; nothing to clean/);
      assert.equal(post.summaries.length, 0);
      assert.equal((await tags()).length, 3);
    });

    it('8. post-job after a runAt now step does nothing (the main step already cleaned)', async () => {
      await loadImages(docker, builds('app', 3));
      const inputs = { runAt: 'now', keepCount: '1', minAge: '0', dockerHost: host };
      const pre = await step('pre', inputs);
      assert.match(pre.stdout, /runAt is 'now': nothing to record/);
      assert.equal(pre.taskVariables['DockerImageCleanup.JobStartFile'], undefined);
      const main = await step('main', inputs, pre.taskVariables);
      assert.equal(main.result, 'Succeeded', log(main));
      await loadImages(docker, builds('late', 2));
      const post = await step('post', inputs, main.taskVariables);
      assert.equal(post.result, undefined, log(post));
      assert.deepEqual(await tags(), ['app:ci-3', 'late:ci-1', 'late:ci-2']);
    });
  });

  describe('bad inputs fail the step before touching the engine', () => {
    const cases: { entry: Entry; inputs: Record<string, string>; message: RegExp }[] = [
      { entry: 'main', inputs: { runAt: 'now', keepCount: '-1' }, message: /^Invalid input keepCount "-1": expected a whole number, 0 or more\.$/ },
      { entry: 'main', inputs: { runAt: 'now', minAge: 'soon' }, message: /^Invalid input minAge "soon": expected a duration/ },
      { entry: 'pre', inputs: { keepCount: 'two' }, message: /^Invalid input keepCount "two"/ },
      { entry: 'pre', inputs: { minAge: '1 hour' }, message: /^Invalid input minAge "1 hour"/ },
      { entry: 'main', inputs: { keepCount: '-1' }, message: /^Invalid input keepCount "-1"/ },
      { entry: 'main', inputs: { runAt: 'later' }, message: /^Invalid input runAt "later": expected now or postJob\.$/ },
      { entry: 'main', inputs: { runAt: 'now', failOnError: 'maybe' }, message: /^Invalid input failOnError "maybe": expected true or false\.$/ },
      { entry: 'main', inputs: { runAt: 'now', protectedLabels: 'bad key' }, message: /^Invalid input protectedLabels "bad key"/ },
      { entry: 'main', inputs: { runAt: 'now', dockerHost: 'docker.sock' }, message: /^Invalid input dockerHost "docker.sock"/ },
      { entry: 'pre', inputs: { maxImageBytes: '10 parsecs' }, message: /^Invalid input maxImageBytes "10 parsecs": expected a size such as 500MB/ },
      { entry: 'main', inputs: { runAt: 'now', minFree: '120%' }, message: /^Invalid input minFree "120%": expected a percentage/ },
      { entry: 'main', inputs: { runAt: 'now', buildCacheMaxAge: 'ages' }, message: /^Invalid input buildCacheMaxAge "ages"/ },
    ];
    cases.forEach((c, i) => {
      it(`${9 + i}. ${c.entry} with ${JSON.stringify(c.inputs)} -> Failed naming the input`, async () => {
        await loadImages(docker, builds('app', 3));
        const run = await step(c.entry, { keepCount: '0', minAge: '0', dockerHost: host, ...c.inputs });
        assert.equal(run.result, 'Failed', log(run));
        assert.match(run.resultMessage!, c.message);
        assert.ok(run.issues.some((issue) => issue.type === 'error' && c.message.test(issue.message)));
        assert.equal(run.summaries.length, 0);
        assert.equal(run.taskVariables['DockerImageCleanup.JobStartFile'], undefined);
        assert.equal((await tags()).length, 3, 'nothing removed');
      });
    });
  });

  describe('engine unreachable (dockerHost unix:///nonexistent.sock)', () => {
    const unreachable = { runAt: 'now', minAge: '0', dockerHost: 'unix:///nonexistent.sock' };

    it('18. failOnError false (default): warning and SucceededWithIssues, never Failed', async () => {
      const run = await step('main', unreachable);
      assert.equal(run.result, 'SucceededWithIssues', log(run));
      assert.equal(run.code, 0);
      assert.match(run.resultMessage!, /cannot reach the Docker engine at unix:\/\/\/nonexistent\.sock/);
      assert.match(run.resultMessage!, /failOnError is false/);
      assert.ok(run.issues.some((i) => i.type === 'warning' && /nonexistent\.sock/.test(i.message)));
      assert.ok(!run.issues.some((i) => i.type === 'error'));
    });

    it('19. failOnError true: Failed', async () => {
      const run = await step('main', { ...unreachable, failOnError: 'true' });
      assert.equal(run.result, 'Failed', log(run));
      assert.match(run.resultMessage!, /^Docker image cleanup failed: cannot reach the Docker engine at unix:\/\/\/nonexistent\.sock/);
      assert.ok(run.issues.some((i) => i.type === 'error'));
    });

    it('20. pre-job cannot record: warning; the post-job step then skips instead of guessing', async () => {
      const inputs = { minAge: '0', dockerHost: 'unix:///nonexistent.sock' };
      const pre = await step('pre', inputs);
      assert.equal(pre.result, 'SucceededWithIssues', log(pre));
      assert.equal(pre.taskVariables['DockerImageCleanup.JobStartFile'], undefined);
      const main = await step('main', inputs, pre.taskVariables);
      const post = await step('post', inputs, main.taskVariables);
      assert.equal(post.result, 'SucceededWithIssues', log(post));
      assert.match(post.resultMessage!, /were not recorded \(the pre-job step recorded nothing\)/);
      assert.equal(post.summaries.length, 0);
    });
  });
});
