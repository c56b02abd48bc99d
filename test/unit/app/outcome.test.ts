import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MaxRemovalsExceededError, type CleanupReport } from '../../../src/app/cleanup';
import { loadJobStart, removeJobStart, saveJobStart } from '../../../src/app/job-start';
import { exitCodeOf, outcomeOf, refusedOutcome, type OutcomeKind } from '../../../src/app/outcome';
import type { RemovalResult } from '../../../src/app/apply';

/** A report with just what the outcome reads. */
function report(over: { dryRun?: boolean; results?: Partial<RemovalResult>[]; measured?: number; predicted?: number; removed?: number }): CleanupReport {
  return {
    dryRun: over.dryRun ?? false,
    results: (over.results ?? []) as RemovalResult[],
    counts: { images: 10, kept: 10 - (over.removed ?? 0), removed: over.removed ?? 0, untagged: 0, skipped: 0, failed: 0 },
    bytes: { predicted: over.predicted ?? 500, measured: over.measured },
  } as unknown as CleanupReport;
}

describe('one outcome for every front (src/app/outcome.ts)', () => {
  const cases: { name: string; report: CleanupReport; kind: OutcomeKind; figures: object; message?: RegExp }[] = [
    { name: 'a real run, measured', report: report({ removed: 3, measured: 480 }), kind: 'ok', figures: { removed: 3, kept: 7, bytesFreed: 480 } },
    { name: 'a real run the engine could not measure: the prediction', report: report({ removed: 3 }), kind: 'ok', figures: { removed: 3, kept: 7, bytesFreed: 500 } },
    { name: 'a dry run: the prediction', report: report({ dryRun: true, removed: 3, measured: 1 }), kind: 'ok', figures: { removed: 3, kept: 7, bytesFreed: 500 } },
    {
      name: 'failed removals are named',
      report: report({ removed: 1, measured: 100, results: [{ imageId: `sha256:${'a'.repeat(64)}`, status: 'failed', note: 'engine said 500' }, { imageId: `sha256:${'b'.repeat(64)}`, status: 'removed' }] }),
      kind: 'removals-failed',
      figures: { removed: 1, kept: 9, bytesFreed: 100 },
      message: /^1 of 2 removals failed: sha256:aaaaaaaaaaaa \(engine said 500\)$/,
    },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i + 1}. ${c.name}`, () => {
      const outcome = outcomeOf(c.report);
      assert.equal(outcome.kind, c.kind);
      assert.deepEqual(outcome.figures, c.figures);
      if (c.message) assert.match(outcome.message!, c.message);
      else assert.equal(outcome.message, undefined);
    });
  }

  it(`${cases.length + 1}. refused: nothing removed, the plan shown as a dry run, every image kept`, () => {
    const planned = report({ removed: 4 });
    const outcome = refusedOutcome(new MaxRemovalsExceededError(4, 2, planned));
    assert.equal(outcome.kind, 'refused');
    assert.equal(outcome.report.dryRun, true);
    assert.equal(planned.dryRun, false, 'the original report is left alone');
    assert.deepEqual(outcome.figures, { removed: 0, kept: 10, bytesFreed: 0 });
    assert.match(outcome.message!, /refusing to remove 4 images: max-removals is 2/);
  });

  it(`${cases.length + 2}. exit codes`, () => {
    assert.deepEqual((['ok', 'removals-failed', 'refused'] as const).map(exitCodeOf), [0, 1, 3]);
  });
});

describe('the job-start record (src/app/job-start.ts), shared by both fronts', () => {
  let temp: string;
  beforeEach(() => (temp = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-job-start-'))));
  afterEach(() => fs.rmSync(temp, { recursive: true, force: true }));

  it('1. saved in a directory of its own, read back, removed with its directory', () => {
    const jobStart = { startedAt: 1_700_000_000_000, imageIds: [`sha256:${'c'.repeat(64)}`], references: ['app:1'] };
    const file = saveJobStart(jobStart, temp);
    assert.equal(path.dirname(path.dirname(file)), temp);
    assert.deepEqual(loadJobStart(file), jobStart);
    removeJobStart(file);
    assert.deepEqual(fs.readdirSync(temp), []);
  });

  const bad: { name: string; content?: string; message: RegExp }[] = [
    { name: 'gone', message: /^cannot read the job start record .*ENOENT/ },
    { name: 'not JSON', content: '{', message: /^cannot read the job start record / },
    { name: 'ids not strings', content: JSON.stringify({ startedAt: 1, imageIds: [1], references: [] }), message: /is not a job start record$/ },
    { name: 'no startedAt', content: JSON.stringify({ imageIds: [], references: [] }), message: /is not a job start record$/ },
  ];
  for (const [i, c] of bad.entries()) {
    it(`${i + 2}. ${c.name}: an error naming the file`, () => {
      const file = path.join(temp, 'job-start.json');
      if (c.content !== undefined) fs.writeFileSync(file, c.content);
      assert.throws(() => loadJobStart(file), (e: unknown) => e instanceof Error && c.message.test(e.message) && e.message.includes(file));
    });
  }

  it(`${bad.length + 2}. removeJobStart leaves any other file alone`, () => {
    const other = path.join(temp, 'job-start.json');
    fs.writeFileSync(other, '{}');
    removeJobStart(other);
    assert.ok(fs.existsSync(other));
  });
});
