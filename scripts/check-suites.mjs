#!/usr/bin/env node
// What mocha and tsc let slip, checked before and after the test run (scripts/test.sh):
//   node scripts/check-suites.mjs [--root DIR] every test folder holds tests and is in test.sh's globs
//                                            (mocha only warns when a glob matches nothing), and every
//                                            compiled test in lib/ has its source (tsc never clears lib/)
//   node scripts/check-suites.mjs --summary FILE
//                                            every run's closing line (test/support/summary-reporter.js
//                                            appends it to FILE) says tests passed, none failed or skipped
// Prints one line per problem and exits 1 when there is any.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
/** The reporter's closing line: "N passed, N failed" and, optionally, ", N skipped". */
export const CLOSING_LINE = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;

/** Folders under test/ that hold helpers, not suites. */
const NOT_SUITES = new Set(['support']);

function testFiles(dir, ending) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith(ending)).map((f) => path.join(dir, f));
}

export function suiteProblems(root = ROOT) {
  const problems = [];
  const script = fs.readFileSync(path.join(root, 'scripts', 'test.sh'), 'utf8');
  const globbed = new Set([...script.matchAll(/'lib\/test\/([\w-]+)\/\*\*\/\*\.test\.js'/g)].map((m) => m[1]));
  const folders = fs.readdirSync(path.join(root, 'test'), { withFileTypes: true }).filter((d) => d.isDirectory() && !NOT_SUITES.has(d.name)).map((d) => d.name);
  for (const folder of folders) {
    if (testFiles(path.join(root, 'test', folder), '.test.ts').length === 0) problems.push(`test/${folder}/ holds no *.test.ts`);
    if (!globbed.has(folder)) problems.push(`test/${folder}/ is in no glob of scripts/test.sh ('lib/test/${folder}/**/*.test.js'): its tests would never run`);
  }
  for (const folder of globbed) {
    if (!folders.includes(folder)) problems.push(`scripts/test.sh runs lib/test/${folder}/ but test/${folder}/ does not exist`);
    else if (testFiles(path.join(root, 'lib', 'test', folder), '.test.js').length === 0) problems.push(`lib/test/${folder}/ holds no compiled test (run npm run build)`);
  }
  for (const compiled of testFiles(path.join(root, 'lib', 'test'), '.test.js')) {
    const source = path.join(root, path.relative(path.join(root, 'lib'), compiled)).replace(/\.js$/, '.ts');
    if (!fs.existsSync(source)) problems.push(`${path.relative(root, compiled)} has no source ${path.relative(root, source)}: a deleted or moved test still compiled in lib/ (delete it, or rm -rf lib and build)`);
  }
  return problems;
}

export function summaryProblems(text) {
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines.length === 0) return ['no closing line: the test run did not finish'];
  const problems = [];
  for (const line of lines) {
    const m = CLOSING_LINE.exec(line);
    if (!m) problems.push(`not a closing line: ${line}`);
    else if (Number(m[1]) === 0) problems.push(`no test ran: ${line}`);
    else if (Number(m[2]) > 0 || Number(m[3] ?? 0) > 0) problems.push(`failed or skipped tests: ${line}`);
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  const summary = arg('--summary');
  const problems = summary !== undefined ? summaryProblems(fs.existsSync(summary) ? fs.readFileSync(summary, 'utf8') : '') : suiteProblems(arg('--root') ?? ROOT);
  for (const p of problems) console.error(`check-suites: ${p}`);
  process.exit(problems.length > 0 ? 1 : 0);
}
