// The catalog is the one source of every setting's name, default and help: these tests fail
// on any drift between it and what the fronts declare (action.yml, task.json) or the docs
// (docs/*.md) document, and check that the CLI's flags and --help are the catalog's.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { parseCliArgs } from '../../../src/cli/args';
import { HELP } from '../../../src/cli/help';
import { CATALOG, defaultOn, FRONTS, settingsOn, spellingOf, type Front, type SettingSpec } from '../../../src/settings/catalog';
import { inFrontTermsOf, rawFromInputs } from '../../../src/settings/fronts';
import { isListKind } from '../../../src/settings/kinds';
import { parseSettings, SettingsError } from '../../../src/settings/parse';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const SPECS = CATALOG as readonly SettingSpec[];

/** Inputs each front has besides the catalog's settings (they steer the front itself). */
const OWN_INPUTS: Record<Front, string[]> = { cli: ['--json', '--debug'], action: ['fail-on-error', 'run-at'], task: ['failOnError', 'runAt'] };

describe('settings catalog', () => {
  it('1. names, spellings and enum values are unique and well-formed', () => {
    for (const front of FRONTS) {
      const spellings = settingsOn(front).map((spec) => spellingOf(spec, front)!);
      assert.equal(new Set(spellings).size, spellings.length, `${front}: one spelling per setting`);
    }
    for (const spec of SPECS) {
      assert.match(spec.name, /^[a-z]+(-[a-z]+)*$/, spec.name);
      assert.ok(spec.help.trim(), `${spec.name} has help`);
      if (spec.kind === 'enum') assert.ok(spec.values && spec.values.length > 1, `${spec.name} lists its values`);
      if (spec.action) assert.match(spec.action, /^[a-z]+(-[a-z]+)*$/, `${spec.name}: action input is kebab-case`);
      if (spec.task) assert.match(spec.task, /^[a-z]+([A-Z][a-z]+)*$/, `${spec.name}: task input is camelCase`);
    }
  });

  it('2. every default parses as its own setting, and on each front', () => {
    for (const spec of SPECS) {
      for (const front of FRONTS) {
        const value = defaultOn(spec, front);
        if (value !== undefined) assert.doesNotThrow(() => parseSettings({ [spec.name]: value }), `${spec.name} default on ${front}: ${value}`);
      }
    }
  });

  it('3. a front-only default is declared in the catalog and shown in the CLI help', () => {
    const protect = SPECS.find((s) => s.name === 'protect')!;
    assert.equal(defaultOn(protect, 'cli'), undefined);
    assert.equal(defaultOn(protect, 'action'), 'node:*');
    assert.equal(defaultOn(protect, 'task'), 'node:*');
    assert.match(HELP, /--protect PATTERN\|ID [^\n]+\n? +\(the Action and the Azure task default to node:\*\)/);
  });
});

describe('action.yml and task.json against the catalog', () => {
  const action = yaml.load(read('action.yml')) as { inputs: Record<string, { description?: string; default?: string }> };
  const task = JSON.parse(read('tasks/DockerImageCleanupV1/task.json')) as {
    inputs: { name: string; type: string; defaultValue?: string; helpMarkDown?: string; options?: Record<string, string> }[];
  };

  it('4. action.yml declares exactly the catalog inputs (and its own), with the catalog defaults and a description each', () => {
    const declared = Object.keys(action.inputs).sort();
    assert.deepEqual(declared, [...settingsOn('action').map((s) => s.action!), ...OWN_INPUTS.action].sort());
    for (const spec of settingsOn('action')) {
      const input = action.inputs[spec.action!]!;
      assert.equal(String(input.default ?? ''), defaultOn(spec, 'action') ?? '', `${spec.action} default`);
      assert.ok(input.description?.trim(), `${spec.action} has a description`);
    }
  });

  it('5. task.json declares exactly the catalog inputs (and its own), with the catalog defaults, help and input types', () => {
    assert.deepEqual(task.inputs.map((i) => i.name).sort(), [...settingsOn('task').map((s) => s.task!), ...OWN_INPUTS.task].sort());
    for (const spec of settingsOn('task')) {
      const input = task.inputs.find((i) => i.name === spec.task)!;
      assert.equal(input.defaultValue ?? '', defaultOn(spec, 'task') ?? '', `${spec.task} defaultValue`);
      assert.ok(input.helpMarkDown?.trim(), `${spec.task} has helpMarkDown`);
      const type = spec.kind === 'boolean' ? 'boolean' : spec.kind === 'enum' ? 'pickList' : isListKind(spec.kind) ? 'multiLine' : 'string';
      assert.equal(input.type, type, `${spec.task} type`);
      if (spec.kind === 'enum') assert.deepEqual(Object.keys(input.options ?? {}), [...spec.values!], `${spec.task} options`);
    }
  });
});

/** A markdown file's tables: rows of cells under their header. */
function tablesOf(file: string): { header: string[]; rows: string[][] }[] {
  const tables: { header: string[]; rows: string[][] }[] = [];
  let current: (typeof tables)[number] | undefined;
  for (const line of read(file).split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    const cells = line.replace(/\\\|/g, '\u0000').split('|').slice(1, -1).map((c) => c.replace(/\u0000/g, '|').trim());
    if (!current) tables.push((current = { header: cells, rows: [] }));
    else if (!/^-+$/.test(cells[0]!)) current.rows.push(cells);
  }
  return tables;
}

/** The names a first cell documents: `--keep N`, `minFree` / `targetFree`. */
const namesIn = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.split(' ')[0]!);

describe('the docs\' tables against the catalog', () => {
  // The CLI's flags are spread over the topic pages (a `flag` table each); each front's inputs are one page's `Input` table.
  const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const frontTables: Record<Front, ReturnType<typeof tablesOf>> = {
    cli: pages.flatMap((page) => tablesOf(page).filter((t) => t.header[0] === 'flag')),
    action: tablesOf('docs/github-action.md').filter((t) => t.header[0] === 'Input'),
    task: tablesOf('docs/azure.md').filter((t) => t.header[0] === 'Input'),
  };
  const pageOf: Record<Front, string> = { cli: "the docs' flag tables", action: 'docs/github-action.md', task: 'docs/azure.md (the Marketplace page)' };
  const specOfSpelling = (front: Front, name: string) =>
    settingsOn(front).find((s) => spellingOf(s, front) === name || (front === 'cli' && s.kind === 'boolean' && name === `--no-${spellingOf(s, front)!.slice(2)}`));

  const checks = FRONTS.map((front) => ({ name: pageOf[front], front, tables: frontTables[front] }));
  for (const [i, { name, front, tables: documentedIn }] of checks.entries()) {
    it(`${6 + i}. ${name} document exactly the ${front}'s settings, each default as the catalog has it`, () => {
      assert.ok(documentedIn.length > 0, `${name} exist`);
      const documented = new Set<string>();
      for (const table of documentedIn) {
        const defaultColumn = table.header.findIndex((h) => /^default$/i.test(h));
        for (const row of table.rows) {
          const names = namesIn(row[0]!);
          for (const name of names) {
            if (OWN_INPUTS[front].includes(name)) continue;
            const spec = specOfSpelling(front, name);
            assert.ok(spec, `the docs document ${name}, which the catalog does not offer on ${front}`);
            documented.add(spec.name);
            const value = defaultOn(spec, front);
            if (defaultColumn >= 0 && names.length === 1 && value !== undefined && !(front === 'cli' && spec.kind === 'boolean')) {
              assert.ok(row[defaultColumn]!.includes(`\`${value}\``), `${name}: documented default "${row[defaultColumn]}" shows \`${value}\``);
            }
          }
        }
      }
      assert.deepEqual([...documented].sort(), settingsOn(front).map((s) => s.name).sort(), `every ${front} setting is in ${name}`);
    });
  }
});

describe('the CLI reads the catalog', () => {
  it('10. every setting has its flag and a help line', () => {
    for (const spec of SPECS) {
      const flag = spellingOf(spec, 'cli')!;
      assert.ok(HELP.includes(spec.kind === 'boolean' && spec.default === 'true' ? `--[no-]${flag.slice(2)}` : flag), `--help shows ${flag}`);
    }
  });

  const empty: { argv: string[]; flag: string }[] = [
    { argv: ['--repositories='], flag: '--repositories' },
    { argv: ['--protect', ''], flag: '--protect' },
    { argv: ['--protect', 'node:*', '--protect', ' '], flag: '--protect' },
    { argv: ['--keep='], flag: '--keep' },
    { argv: ['--min-age='], flag: '--min-age' },
    { argv: ['--current', ''], flag: '--current' },
    { argv: ['--host='], flag: '--host' },
    { argv: ['--usage-store='], flag: '--usage-store' },
    { argv: ['--dockerfile='], flag: '--dockerfile' },
  ];
  for (const [i, c] of empty.entries()) {
    it(`${11 + i}. ${JSON.stringify(c.argv)} is bad input naming ${c.flag} and the expected form`, () => {
      assert.throws(
        () => parseSettings(parseCliArgs(c.argv).raw),
        (e: unknown) => e instanceof SettingsError && /^Invalid --[a-z-]+ "\s*": expected .+, not an empty value/.test(inFrontTermsOf(e, 'cli').message) && inFrontTermsOf(e, 'cli').input === c.flag,
      );
    });
  }

  it(`${11 + empty.length}. switches: --dry-run, --no-dangling, --evict-kept-builds; both forms at once is a usage error`, () => {
    assert.deepEqual(parseCliArgs(['--dry-run', '--no-dangling', '--evict-kept-builds']).raw, { 'dry-run': true, dangling: false, 'evict-kept-builds': true });
    assert.throws(() => parseCliArgs(['--dangling', '--no-dangling']), /contradict/);
  });
});

describe('fronts: an empty input is "not set"; a list input of blank items is bad input', () => {
  const cases: { front: Front; inputs: Record<string, string>; raw?: Record<string, string>; bad?: RegExp }[] = [
    { front: 'action', inputs: { repositories: '', 'keep-count': '  ' }, raw: {} },
    { front: 'action', inputs: { repositories: ', ,' }, bad: /^Invalid input repositories ", ,": expected a repository pattern/ },
    { front: 'action', inputs: { 'current-images': '\n ,\n' }, bad: /^Invalid input current-images/ },
    { front: 'task', inputs: { protectedReferences: '' }, raw: {} },
    { front: 'task', inputs: { protectedReferences: ' , ' }, bad: /^Invalid input protectedReferences " , ": expected a reference pattern/ },
    { front: 'task', inputs: { keepCount: '3', dockerfiles: '**/Dockerfile' }, raw: { keep: '3', dockerfiles: '**/Dockerfile' } },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i + 1}. ${c.front} ${JSON.stringify(c.inputs)}`, () => {
      const raw = rawFromInputs(c.front, (input) => c.inputs[input]);
      if (c.raw) return assert.deepEqual(raw, c.raw);
      assert.throws(
        () => parseSettings(raw),
        (e: unknown) => e instanceof SettingsError && c.bad!.test(inFrontTermsOf(e, c.front).message),
      );
    });
  }

  it(`${cases.length + 1}. messages name other settings in the front's spelling`, () => {
    const error = (() => {
      try {
        parseSettings({ 'target-image-bytes': '5GB' });
      } catch (e) {
        return e as SettingsError;
      }
      return assert.fail('no error');
    })();
    assert.equal(error.message, 'Invalid target-image-bytes "5GB": expected to be given together with max-image-bytes.');
    assert.equal(inFrontTermsOf(error, 'cli').message, 'Invalid --target-image-bytes "5GB": expected to be given together with --max-image-bytes.');
    assert.equal(inFrontTermsOf(error, 'task').message, 'Invalid input targetImageBytes "5GB": expected to be given together with maxImageBytes.');
  });
});
