// scripts/check-suites.mjs, which CI runs around the test run (#27): a suite folder that matches
// no test, a compiled test without its source, and a closing line that is not all passed fail it.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');
const SCRIPT = path.join(ROOT, 'scripts', 'check-suites.mjs');

function check(args: string[]): { code: number | null; problems: string[] } {
  const run = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: run.status, problems: run.stderr.split('\n').filter(Boolean) };
}

/** A checkout with these files (path -> content). */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-check-suites-'));
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

const TEST_SH = "npx mocha 'lib/test/unit/**/*.test.js' 'lib/test/engine/**/*.test.js'\n";
const SOUND = {
  'scripts/test.sh': TEST_SH,
  'test/support/engine.ts': '',
  'test/unit/a.test.ts': '',
  'lib/test/unit/a.test.js': '',
  'test/engine/b.test.ts': '',
  'lib/test/engine/b.test.js': '',
};

describe('scripts/check-suites.mjs (#27)', function () {
  this.timeout(60_000); // each case spawns node
  const cases: [what: string, files: Record<string, string>, problem: RegExp | undefined][] = [
    ['every folder has tests, a glob and compiled tests with sources', SOUND, undefined],
    ['a suite folder emptied (its tests moved away)', { ...SOUND, 'test/engine/b.test.ts': undefined as never, 'test/engine/helper.ts': '', 'lib/test/engine/b.test.js': undefined as never }, /test\/engine\/ holds no \*\.test\.ts/],
    ['a new suite folder no glob runs', { ...SOUND, 'test/azure/c.test.ts': '', 'lib/test/azure/c.test.js': '' }, /test\/azure\/ is in no glob of scripts\/test\.sh/],
    ['a glob whose folder is gone', { ...SOUND, 'scripts/test.sh': `${TEST_SH}'lib/test/release/**/*.test.js'\n` }, /runs lib\/test\/release\/ but test\/release\/ does not exist/],
    ['a deleted test whose compiled copy stayed in lib/', { ...SOUND, 'lib/test/unit/gone.test.js': '' }, /lib\/test\/unit\/gone\.test\.js has no source test\/unit\/gone\.test\.ts/],
    ['sources never built', { ...SOUND, 'lib/test/engine/b.test.js': undefined as never }, /lib\/test\/engine\/ holds no compiled test/],
  ];
  for (const [i, [what, files, problem]] of cases.entries()) {
    it(`${i + 1}. ${what}: ${problem ? 'fails' : 'passes'}`, () => {
      const root = tree(Object.fromEntries(Object.entries(files).filter(([, c]) => c !== undefined)));
      try {
        const { code, problems } = check(['--root', root]);
        if (!problem) return assert.deepEqual([code, problems], [0, []]);
        assert.equal(code, 1);
        assert.ok(problems.some((p) => problem.test(p)), problems.join('\n'));
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  }

  it(`${cases.length + 1}. this checkout passes`, () => assert.deepEqual(check([]), { code: 0, problems: [] }));

  const summaries: [closing: string, passes: boolean][] = [
    ['812 passed, 0 failed, 0 skipped\n', true],
    ['812 passed, 0 failed\n', true],
    ['812 passed, 0 failed, 0 skipped\n140 passed, 0 failed, 0 skipped\n', true],
    ['811 passed, 1 failed, 0 skipped\n', false],
    ['811 passed, 0 failed, 1 skipped\n', false],
    ['0 passed, 0 failed, 0 skipped\n', false],
    ['', false],
    ['812 passing\n', false],
  ];
  for (const [i, [closing, passes]] of summaries.entries()) {
    it(`${cases.length + 2 + i}. closing lines ${JSON.stringify(closing)}: ${passes ? 'pass' : 'fail'}`, () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dic-summary-')), 'summary');
      fs.writeFileSync(file, closing);
      assert.equal(check(['--summary', file]).code, passes ? 0 : 1);
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    });
  }

  it(`${cases.length + summaries.length + 2}. the summary reporter prints that closing line alone on its line, and appends it to DIC_TEST_SUMMARY_FILE`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-reporter-'));
    fs.writeFileSync(path.join(dir, 'one.test.js'), "it('passes', () => {});\nit('also', () => {});\n");
    const file = path.join(dir, 'summary');
    const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const run = spawnSync(process.execPath, [mocha, '--reporter', path.join(ROOT, 'test', 'support', 'summary-reporter.js'), path.join(dir, 'one.test.js')], {
      encoding: 'utf8',
      env: { ...process.env, DIC_TEST_SUMMARY_FILE: file },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trimEnd().split('\n').pop(), '2 passed, 0 failed, 0 skipped');
    assert.equal(fs.readFileSync(file, 'utf8'), '2 passed, 0 failed, 0 skipped\n');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
