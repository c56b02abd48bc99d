// The runner hook's front: its settings as DOCKER_IMAGE_CLEANUP_<FLAG> variables (one rule from
// the catalog), flags after `runner-hook` winning, and problems as warnings. The hook as the
// runner runs it, against the real engines: test/engine/runner-hook.test.ts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOOK_VARIABLE, runRunnerHook } from '../../../src/cli/runner-hook';
import { CATALOG, spellingOf, type SettingSpec } from '../../../src/settings/catalog';

const SPECS = CATALOG as readonly SettingSpec[];

describe('runner hook front', () => {
  it('1. every setting has a variable spelled after its CLI flag, unique, apart from the hook\'s own variables', () => {
    const names = SPECS.map((spec) => spellingOf(spec, 'hook')!);
    for (const spec of SPECS) {
      const flag = spellingOf(spec, 'cli')!.slice(2);
      assert.equal(spellingOf(spec, 'hook'), `DOCKER_IMAGE_CLEANUP_${flag.toUpperCase().replace(/-/g, '_')}`);
    }
    assert.equal(spellingOf(SPECS.find((s) => s.name === 'dockerfiles')!, 'hook'), 'DOCKER_IMAGE_CLEANUP_DOCKERFILE');
    assert.equal(new Set(names).size, names.length);
    for (const own of Object.values(HOOK_VARIABLE)) assert.ok(!names.includes(own), own);
  });

  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-hook-unit-'));
  after(() => fs.rmSync(temp, { recursive: true, force: true }));
  const env = { RUNNER_TEMP: temp, GITHUB_RUN_ID: '1', GITHUB_JOB: 'build', ACTIONS_RUNNER_HOOK_JOB_STARTED: '/hook.sh', ACTIONS_RUNNER_HOOK_JOB_COMPLETED: '/hook.sh', DOCKER_HOST: 'unix:///nonexistent.sock' };
  const run = async (argv: string[], more: Record<string, string> = {}) => {
    let out = '';
    const code = await runRunnerHook(['runner-hook', ...argv], { stdout: (t) => void (out += t), stderr: (t) => void (out += t), isTty: false }, { env: { ...env, ...more }, exit: () => assert.fail('no deadline here') });
    return { code, out };
  };

  const cases: { name: string; argv: string[]; env?: Record<string, string>; code: number; out: RegExp }[] = [
    { name: 'a bad variable is named as the variable', argv: ['completed'], env: { DOCKER_IMAGE_CLEANUP_MIN_AGE: 'soon' }, code: 0, out: /::warning [^\n]*Invalid variable DOCKER_IMAGE_CLEANUP_MIN_AGE "soon": expected a duration/ },
    { name: 'a flag wins over the variable and is named as the flag', argv: ['completed', '--min-age', 'later'], env: { DOCKER_IMAGE_CLEANUP_MIN_AGE: '6h' }, code: 0, out: /Invalid --min-age "later"/ },
    { name: 'an unknown flag', argv: ['--kep', '3'], code: 0, out: /::warning [^\n]*Unknown option '--kep'/ },
    { name: 'a bad fail-on-error value fails nothing and says so', argv: [], env: { [HOOK_VARIABLE.failOnError]: 'perhaps' }, code: 0, out: /Invalid variable DOCKER_IMAGE_CLEANUP_HOOK_FAIL_ON_ERROR "perhaps"/ },
    { name: 'a bad deadline', argv: [], env: { [HOOK_VARIABLE.deadline]: '10ms' }, code: 0, out: /Invalid variable DOCKER_IMAGE_CLEANUP_HOOK_DEADLINE "10ms": expected a duration of 1s or more/ },
    { name: 'fail-on-error turns a problem into the CLI\'s exit code and an error annotation', argv: ['completed'], env: { DOCKER_IMAGE_CLEANUP_KEEP: '-1', [HOOK_VARIABLE.failOnError]: 'yes' }, code: 2, out: /^::error title=docker-image-cleanup runner hook::docker-image-cleanup: Invalid variable DOCKER_IMAGE_CLEANUP_KEEP/ },
    { name: 'neither hook variable set and no stage given', argv: [], env: { ACTIONS_RUNNER_HOOK_JOB_STARTED: '', ACTIONS_RUNNER_HOOK_JOB_COMPLETED: '' }, code: 0, out: /say which hook: runner-hook started\|completed/ },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${2 + i}. ${c.name}`, async () => {
      const { code, out } = await run(c.argv, c.env);
      assert.equal(code, c.code, out);
      assert.match(out, c.out);
    });
  }
});
