// Every real-engine suite runs on the engines test/support/suite-engines.ts claims for it, and
// every case on all of them unless a reason is written there: the suites are loaded as mocha
// loads them (--dry-run: registered, not run) and their test titles, which name the engine,
// are read. The docs' table is the one rendered from the same list.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENGINES } from '../support/engine';
import { enginesOf, SUITES, suiteTable, type SuiteEngines, type SuiteName } from '../support/suite-engines';

const ROOT = path.resolve(__dirname, '../../..');
const LIB_TEST = path.join(ROOT, 'lib', 'test');
/** The folders whose suites need a real engine. */
const ENGINE_FOLDERS = ['engine', 'action', 'azure', 'package', 'readme-commands'];

interface Registered {
  fullTitle: string;
  file: string;
}

/** Every test the files register, as `mocha --dry-run` lists them (no hook or test runs). */
function registered(files: string[]): Registered[] {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dic-suites-')), 'tests.json');
  const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const run = spawnSync(process.execPath, [mocha, '--dry-run', '--reporter', 'json', '--reporter-option', `output=${out}`, ...files], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DIC_TEST_ENGINES: '' } }); // every engine, whatever this run picked
  assert.equal(run.status, 0, `mocha --dry-run failed:\n${run.stdout}\n${run.stderr}`);
  const tests = (JSON.parse(fs.readFileSync(out, 'utf8')) as { tests: Registered[] }).tests;
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return tests;
}

/** The engines a title names (each engine's name is in the title of every case it runs). */
const enginesIn = (title: string) => ENGINES.filter((e) => title.includes(e.name));

/** A case's title without the engine it ran on. */
const caseOf = (title: string) => enginesIn(title).reduce((t, e) => t.split(e.name).join('<engine>'), title);

describe('every real-engine suite on the engines test/support/suite-engines.ts names (#27)', function () {
  this.timeout(120_000);
  const suites = Object.keys(SUITES) as SuiteName[];
  let tests: Registered[];
  before(() => {
    tests = registered(suites.map((s) => path.join(LIB_TEST, `${s}.test.js`)));
  });
  const testsOf = (suite: SuiteName) => tests.filter((t) => t.file === path.join(LIB_TEST, `${suite}.test.js`));

  it('1. every suite in the engine folders is in the list (a new suite says which engines it runs on)', () => {
    const found = ENGINE_FOLDERS.flatMap((folder) =>
      fs
        .readdirSync(path.join(ROOT, 'test', folder))
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => `${folder}/${f.replace(/\.test\.ts$/, '')}`),
    );
    assert.deepEqual(found.filter((s) => !(s in SUITES)).sort(), [], 'suites missing from SUITES');
    assert.deepEqual(suites.filter((s) => !found.includes(s)).sort(), [], 'SUITES names suites that do not exist');
  });

  for (const suite of Object.keys(SUITES) as SuiteName[]) {
    it(`2. test/${suite}.test.ts: its tests name exactly the engines it claims, every case on each of them or a reason`, () => {
      const own = testsOf(suite);
      assert.ok(own.length > 0, `test/${suite}.test.ts registers no test`);
      const claimed = enginesOf(suite).map((e) => e.name);
      const named = [...new Set(own.flatMap((t) => enginesIn(t.fullTitle).map((e) => e.name)))];
      assert.deepEqual(
        ENGINES.map((e) => e.name).filter((n) => named.includes(n)),
        claimed,
        `test/${suite}.test.ts runs on the engines its titles name; suite-engines.ts claims ${claimed.join(', ')}`,
      );
      for (const t of own) assert.ok(enginesIn(t.fullTitle).length <= 1, `one engine per case: ${t.fullTitle}`);
      const plan: SuiteEngines = SUITES[suite];
      const byCase = new Map<string, string[]>();
      for (const t of own.filter((t) => enginesIn(t.fullTitle).length === 1)) {
        const key = caseOf(t.fullTitle);
        byCase.set(key, [...(byCase.get(key) ?? []), enginesIn(t.fullTitle)[0]!.name]);
      }
      const unexplained: string[] = [];
      for (const [key, engines] of byCase) {
        if (engines.length === claimed.length) continue;
        const stores = [...new Set(ENGINES.filter((e) => engines.includes(e.name)).map((e) => e.store))].sort();
        const reason = plan.partial?.find((p) => key.includes(p.title) && [...p.stores].sort().join() === stores.join());
        if (!reason) {
          unexplained.push(`"${key}" runs on ${stores.join(', ')} only`);
          continue;
        }
        const expected = ENGINES.filter((e) => reason.stores.includes(e.store) && claimed.includes(e.name)).map((e) => e.name);
        assert.deepEqual([...engines].sort(), [...expected].sort(), `"${key}": every engine of the stores its reason names`);
      }
      assert.deepEqual(unexplained, [], 'cases on some engines only, with no reason in suite-engines.ts (partial: title, stores, why)');
      for (const p of plan.partial ?? []) assert.ok([...byCase.keys()].some((k) => k.includes(p.title)), `the reason for "${p.title}" matches no case`);
    });
  }

  it('3. docs/engines.md shows the table rendered from the list', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'engines.md'), 'utf8');
    assert.ok(doc.includes(suiteTable()), `docs/engines.md must hold this table, as rendered:\n\n${suiteTable()}\n`);
  });
});
