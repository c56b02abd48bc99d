// The organization's private decorator extension (tasks/decorator/), offline: the manifest's
// contributions against the documented fields, the template as pipeline YAML with the task
// reference resolved to this task, its expressions rendered for sample jobs by a small
// evaluator (test/support/azure-expressions.ts), and the extension packaged by tfx as an
// organization packages it. What cannot run here: Azure DevOps itself (decorators exist only in
// an organization); docs/azure.md says so.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { decoratorInputs, DefaultsError, renderManifest, renderTemplate, TARGET, targetOf, type Target } from '../../../tasks/decorator/render';
import { evaluate, expandTemplate, truthy, type ExpressionContext } from '../../support/azure-expressions';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const TASK = JSON.parse(read('tasks/DockerImageCleanupV1/task.json')) as { id: string; name: string; version: { Major: number }; inputs: { name: string }[] };
const TASK_INPUTS = TASK.inputs.map((i) => i.name);
const MANIFEST = JSON.parse(read('tasks/decorator/vss-extension.json'));
const TEMPLATE = read('tasks/decorator/decorator.yml');

// The decorator contribution as add-pipeline-decorator.md documents it.
const DECORATOR_TYPE = 'ms.azure-pipelines.pipeline-decorator';
const JOB_TARGETS = ['pre-job-tasks', 'post-checkout-tasks', 'post-job-tasks', 'pre-task-tasks', 'post-task-tasks'].map((t) => `ms.azure-pipelines-agent-job.${t}`);
const NEEDS_TARGET_TASK = JOB_TARGETS.filter((t) => /\.(pre|post)-task-tasks$/.test(t));
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Contribution {
  id: string;
  type: string;
  targets: string[];
  properties: { template: string; targettask?: string };
}

/** What the manifest reference and the decorator page require; [] when it is valid. */
function manifestProblems(m: Record<string, any>, options: { packaged: boolean }): string[] {
  const problems: string[] = [];
  const need = (ok: unknown, what: string) => ok || problems.push(what);
  need(m.manifestVersion === 1, 'manifestVersion is 1');
  need(typeof m.id === 'string' && /^[A-Za-z0-9][\w-]*$/.test(m.id), 'id');
  need(typeof m.name === 'string' && m.name.length > 0, 'name');
  need(m.public === false, 'public is false: only private extensions may contribute pipeline decorators');
  need(Array.isArray(m.targets) && m.targets.some((t: { id: string }) => t.id === 'Microsoft.VisualStudio.Services'), 'targets Microsoft.VisualStudio.Services');
  if (options.packaged) {
    need(typeof m.publisher === 'string' && /^[A-Za-z0-9][A-Za-z0-9-]*$/.test(m.publisher), 'publisher');
    need(typeof m.version === 'string' && /^\d+\.\d+\.\d+$/.test(m.version), 'version MAJOR.MINOR.PATCH');
  }
  const files = (m.files ?? []) as { path: string; addressable?: boolean }[];
  const contributions = (m.contributions ?? []) as Contribution[];
  need(contributions.length > 0, 'at least one contribution');
  need(new Set(contributions.map((c) => c.id)).size === contributions.length, 'contribution ids are unique');
  for (const c of contributions) {
    need(c.type === DECORATOR_TYPE, `${c.id}: type ${DECORATOR_TYPE}`);
    need(Array.isArray(c.targets) && c.targets.length > 0 && c.targets.every((t) => JOB_TARGETS.includes(t)), `${c.id}: targets among ${JOB_TARGETS.join(', ')}`);
    for (const t of c.targets ?? []) if (NEEDS_TARGET_TASK.includes(t)) need(GUID.test(c.properties?.targettask ?? ''), `${c.id}: ${t} needs properties.targettask (a task GUID)`);
    need(typeof c.properties?.template === 'string', `${c.id}: properties.template`);
    need(files.some((f) => f.path === c.properties?.template && f.addressable === true), `${c.id}: its template is listed in files with addressable: true`);
  }
  return problems;
}

/** The task steps a template yields for one job, with the task reference resolved against task.json. */
function injectedSteps(template: string, context: ExpressionContext): { task: string; condition: string; inputs: Record<string, string> }[] {
  const parsed = yaml.load(template) as { steps: unknown[] };
  assert.deepEqual(Object.keys(parsed), ['steps'], 'a decorator template holds a steps list only');
  return expandTemplate(parsed.steps, context) as { task: string; condition: string; inputs: Record<string, string> }[];
}

/** `DockerImageCleanup@1` -> this task's ID and major version, as the server resolves it. */
function resolveTask(reference: string): { id: string; major: number } {
  const match = /^([\w.-]+)@(\d+)$/.exec(reference);
  assert.ok(match, `task reference ${reference} is Name@Major`);
  assert.equal(match[1], TASK.name, `the template names ${match[1]}, task.json is ${TASK.name}`);
  assert.equal(Number(match[2]), TASK.version.Major, 'the major version task.json has');
  return { id: TASK.id, major: TASK.version.Major };
}

const JOBS: { name: string; variables: Record<string, string>; steps: { task?: { id: string } }[]; injected: boolean; runsOn: Record<'selfHosted' | 'hosted', boolean> }[] = [
  { name: 'a job without the task', variables: {}, steps: [{}, { task: { id: 'd9bafed4-0b18-4f58-968d-86655b4d2ce9' } }], injected: true, runsOn: { selfHosted: true, hosted: false } },
  { name: 'a job that has the task already (matched by ID)', variables: {}, steps: [{ task: { id: TASK.id.toUpperCase() } }], injected: false, runsOn: { selfHosted: false, hosted: false } },
  { name: 'a job whose pipeline opts out (dockerImageCleanup.skip: true)', variables: { 'DockerImageCleanup.Skip': 'True' }, steps: [], injected: false, runsOn: { selfHosted: false, hosted: false } },
  { name: 'a job with the variable set to something else', variables: { 'dockerImageCleanup.skip': 'false' }, steps: [], injected: true, runsOn: { selfHosted: true, hosted: false } },
];

/** The template as an organization's defaults render it. */
const render = (defaults: Record<string, unknown>) => {
  const inputs = decoratorInputs(defaults, TASK_INPUTS);
  return { target: targetOf(inputs), template: renderTemplate(TEMPLATE, inputs), inputs };
};
const ORG_DEFAULTS = { keepCount: 3, minAge: '6h', protectedReferences: ['node:*', 'mcr.microsoft.com/**'], currentImages: '*:ci-$(Build.BuildId)' };
const runsOn = (condition: string, agent: 'selfHosted' | 'hosted', variables: Record<string, string>) =>
  truthy(evaluate(condition, { variables: { ...variables, 'Agent.IsSelfHosted': agent === 'selfHosted' ? '1' : '0' }, runtime: true }));

describe('Azure decorator: the manifest (tasks/decorator/vss-extension.json)', () => {
  it('1. is a private extension whose contributions are pipeline decorators on the documented job targets, each template addressable', () => {
    assert.deepEqual(manifestProblems(MANIFEST, { packaged: false }), []);
    const targets = (MANIFEST.contributions as Contribution[]).map((c) => c.targets[0]);
    assert.deepEqual(targets, ['ms.azure-pipelines-agent-job.post-job-tasks', 'ms.azure-pipelines-agent-job.pre-job-tasks']);
  });

  it('2. the check catches what it is for: a public manifest, an unknown target, a template not addressable, a task target without targettask', () => {
    const broken = (edit: (m: any) => void) => {
      const m = structuredClone(MANIFEST);
      edit(m);
      return manifestProblems(m, { packaged: false });
    };
    assert.match(broken((m) => (m.public = true)).join(), /public is false/);
    assert.match(broken((m) => (m.contributions[0].targets = ['ms.azure-pipelines-agent-job.after-job'])).join(), /targets among/);
    assert.match(broken((m) => (m.files[1].addressable = false)).join(), /addressable: true/);
    assert.match(broken((m) => (m.contributions[0].targets = ['ms.azure-pipelines-agent-job.post-task-tasks'])).join(), /needs properties.targettask/);
  });

  for (const [i, [defaults, target]] of ([[{}, 'postJob'], [{ ensureFree: '20GB' }, 'preJob']] as [Record<string, unknown>, Target][]).entries()) {
    it(`${3 + i}. rendered for an organization (${JSON.stringify(defaults)}): its publisher and version, the ${target} decorator only`, () => {
      const { target: chosen } = render(defaults);
      assert.equal(chosen, target);
      const m = renderManifest(MANIFEST, { publisher: 'contoso-tools', version: '1.1.0', target: chosen });
      assert.deepEqual(manifestProblems(m, { packaged: true }), []);
      assert.deepEqual(m.contributions.map((c) => c.id), [TARGET[target].contribution]);
      assert.deepEqual(m.files.map((f) => f.path).filter((p) => p.endsWith('.yml')), [TARGET[target].template]);
    });
  }
});

describe('Azure decorator: the template (tasks/decorator/decorator.yml)', () => {
  it('1. parses as pipeline YAML: one DockerImageCleanup@1 step resolved to this task, inputs task.json declares, the guard names its ID', () => {
    const { template } = render(ORG_DEFAULTS);
    const [step, ...more] = injectedSteps(template, { variables: {}, job: { steps: [] } });
    assert.equal(more.length, 0);
    assert.deepEqual(resolveTask(step!.task), { id: TASK.id, major: 1 });
    for (const input of Object.keys(step!.inputs)) assert.ok(TASK_INPUTS.includes(input), `${input} is an input of the task`);
    assert.deepEqual(step!.inputs, {
      runAt: 'postJob',
      keepCount: '3',
      minAge: '6h',
      protectedReferences: 'node:*\nmcr.microsoft.com/**',
      currentImages: '*:ci-$(Build.BuildId)',
    });
    // The compile-time guard matches this task by the ID decorators see.
    const guards = [...template.matchAll(/containsValue\(job\.steps\.\*\.task\.id, '([^']+)'\)/g)].map((m) => m[1]);
    assert.deepEqual(guards, [TASK.id]);
  });

  for (const [i, job] of JOBS.entries()) {
    it(`${2 + i}. ${job.name}: ${job.injected ? 'injected' : 'left out'}${job.injected ? `; runs on a self-hosted agent, skipped on a Microsoft-hosted one` : ''}`, () => {
      for (const defaults of [ORG_DEFAULTS, { ...ORG_DEFAULTS, ensureFree: '20GB' }]) {
        const { template } = render(defaults);
        const steps = injectedSteps(template, { variables: job.variables, job: { steps: job.steps } });
        assert.equal(steps.length, job.injected ? 1 : 0, JSON.stringify(steps));
        for (const step of steps) {
          assert.equal(runsOn(step.condition, 'selfHosted', job.variables), job.runsOn.selfHosted, 'self-hosted');
          assert.equal(runsOn(step.condition, 'hosted', job.variables), job.runsOn.hosted, 'Microsoft-hosted');
        }
      }
    });
  }

  it(`${2 + JOBS.length}. a variable set only at run time (not known when decorators expand) still turns it off, through the condition`, () => {
    const [step] = injectedSteps(render(ORG_DEFAULTS).template, { variables: {}, job: { steps: [] } });
    assert.equal(runsOn(step!.condition, 'selfHosted', {}), true);
    assert.equal(runsOn(step!.condition, 'selfHosted', { 'dockerImageCleanup.skip': 'true' }), false);
    // always(): it runs after a failed step too, as the task's post-job cleanup does.
    assert.match(step!.condition, /^and\(always\(\),/);
  });

  it(`${3 + JOBS.length}. the evaluator refuses what it does not know instead of guessing`, () => {
    assert.throws(() => evaluate("startsWith(variables['x'], 'a')", { variables: {} }), /does not know startswith/);
    assert.throws(() => evaluate('always()', { variables: {} }), /run-time/);
    assert.throws(() => expandTemplate([{ '${{ each s in job.steps }}': [] }], { variables: {} }), /unsupported template directive/);
    assert.equal(evaluate("eq('True', 'true')", { variables: {} }), true);
    assert.equal(evaluate("ne(variables['missing'], 'true')", { variables: {} }), true);
  });
});

describe('Azure decorator: the organization defaults', () => {
  const cases: { name: string; defaults: unknown; error: RegExp }[] = [
    { name: 'an input the task does not have', defaults: { keepCuont: 3 }, error: /input keepCuont is not an input of DockerImageCleanup@1; expected one of keepCount, / },
    { name: 'runAt, which the decorator owns', defaults: { runAt: 'now' }, error: /input runAt is set by the decorator/ },
    { name: 'a value the catalog rejects', defaults: { minAge: '6 hours' }, error: /Invalid input minAge "6 hours": expected a duration/ },
    { name: 'a bad failOnError', defaults: { failOnError: 'sometimes' }, error: /Invalid input failOnError "sometimes": expected/ },
    { name: 'not an object', defaults: ['keepCount'], error: /a JSON object of task inputs/ },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${1 + i}. ${c.name} is refused, naming the input and the expected form`, () => {
      assert.throws(() => decoratorInputs(c.defaults, TASK_INPUTS), (e: Error) => e instanceof DefaultsError && c.error.test(e.message));
    });
  }
});

describe('Azure decorator: packaged with tfx, as an organization does', function () {
  this.timeout(180_000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-decorator-test-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));
  // jszip: the zip library tfx writes the package with (a dependency of tfx-cli).
  const JSZip = require(require.resolve('jszip', { paths: [path.dirname(require.resolve('tfx-cli/package.json'))] })) as {
    loadAsync(data: Buffer): Promise<{ files: Record<string, unknown>; file(name: string): { async(type: 'string'): Promise<string> } | null }>;
  };

  it('1. `npm run package:decorator -- --publisher … --defaults …` writes a .vsix with the manifest, the rendered template and no task code', async () => {
    const defaults = path.join(out, 'org-defaults.json');
    fs.writeFileSync(defaults, JSON.stringify(ORG_DEFAULTS));
    const run = spawnSync('npm', ['run', '--silent', 'package:decorator', '--', '--publisher', 'contoso-tools', '--defaults', defaults, '--output', path.join(out, 'vsix')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /DockerImageCleanup@1 on the post-job target, with 4 default input\(s\)/);
    const vsix = path.join(out, 'vsix', 'contoso-tools.docker-image-cleanup-decorator-1.1.0.vsix');
    assert.ok(fs.existsSync(vsix), run.stdout);
    const zip = await JSZip.loadAsync(fs.readFileSync(vsix));
    const names = Object.keys(zip.files);
    for (const name of ['extension.vsixmanifest', 'extension.vsomanifest', 'decorator/post-job.yml', 'images/icon.png']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    assert.ok(!names.some((n) => /pre-job\.yml$|\.js$|\.ts$/.test(n)), names.join(', '));
    const vsixManifest = await zip.file('extension.vsixmanifest')!.async('string');
    assert.match(vsixManifest, /<Identity [^>]*Id="docker-image-cleanup-decorator"[^>]*Publisher="contoso-tools"/);
    const vso = JSON.parse(await zip.file('extension.vsomanifest')!.async('string')) as { contributions: Contribution[] };
    assert.deepEqual(vso.contributions.map((c) => [c.type, c.targets, c.properties.template]), [[DECORATOR_TYPE, ['ms.azure-pipelines-agent-job.post-job-tasks'], 'decorator/post-job.yml']]);
    const template = await zip.file('decorator/post-job.yml')!.async('string');
    assert.equal(template, render(ORG_DEFAULTS).template);
  });

  it('2. bad defaults: exit 2 with one line naming the input, and no package', () => {
    const defaults = path.join(out, 'bad.json');
    fs.writeFileSync(defaults, JSON.stringify({ keepCount: -1 }));
    const cli = spawnSync('npm', ['run', '--silent', 'package:decorator', '--', '--publisher', 'contoso-tools', '--defaults', defaults, '--output', path.join(out, 'bad')], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    assert.equal(cli.status, 2, cli.stdout + cli.stderr);
    assert.equal(cli.stderr.trim(), 'package:decorator: Invalid input keepCount "-1": expected a whole number, 0 or more.');
    assert.ok(!fs.existsSync(path.join(out, 'bad')));
  });
});
