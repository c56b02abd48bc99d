import { strict as assert } from 'node:assert';
import { describeFailure } from '../../../src/report/failure';
import { progressReporter } from '../../../src/report/progress';
import { formatCycleLine } from '../../../src/watch/cycle';

describe('failure lines', () => {
  const http = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message}`), { statusCode, json: { message } });
  const sys = (code: string, message: string) => Object.assign(new Error(message), { code });
  const cases: { name: string; error: unknown; line: RegExp }[] = [
    { name: '1. the daemon answers 500', error: http(500, 'layer store busy'), line: /^the engine failed a request \(HTTP 500: layer store busy\); nothing further was attempted\. Check the engine \(its log, disk space\) and run again$/ },
    { name: '2. the daemon refuses (403)', error: http(403, 'authorization denied by plugin'), line: /^the engine refused a request \(HTTP 403: authorization denied by plugin\)/ },
    { name: '3. the engine is killed mid-run', error: sys('ECONNRESET', 'socket hang up'), line: /^lost the connection to the engine \(ECONNRESET: socket hang up\): it stopped or restarted during the run\. Run again once it answers$/ },
    { name: '4. its socket is gone', error: sys('ENOENT', 'connect ENOENT /var/run/docker.sock'), line: /^lost the connection to the engine \(ENOENT/ },
    { name: '5. no permission', error: sys('EACCES', 'connect EACCES /var/run/docker.sock'), line: /^no permission .*docker group/ },
    { name: '6. anything else: its first line, and where the details are', error: new Error('something odd\n  at x (y.js:1:2)'), line: /^something odd; run with --debug for details$/ },
    { name: '7. not even an Error', error: 'boom', line: /^failed: boom$/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const line = describeFailure(c.error);
      assert.match(line, c.line);
      assert.doesNotMatch(line, /\n|\bat .*:\d+:\d+/);
    });
  }
});

describe('progress without a terminal', () => {
  /** Runs `total` removals `msEach` apart and returns the lines printed. */
  function progress(total: number, msEach: number, isTty = false): string[] {
    let now = 0;
    let text = '';
    const report = progressReporter({ write: (t) => void (text += t), isTty, now: () => now });
    for (let done = 1; done <= total; done++) {
      now += msEach;
      report(done, total);
    }
    return text.split('\n').filter(Boolean);
  }
  const cases: { name: string; total: number; msEach: number; lines: number; last?: RegExp }[] = [
    { name: '8. a short quick run: nothing', total: 5, msEach: 100, lines: 0 },
    { name: '9. 100 quick removals: one line per 10%, then the total', total: 100, msEach: 10, lines: 10, last: /^removed 100\/100 in 1\.0s$/ },
    { name: '10. 1000 quick removals: still one line per 10%', total: 1000, msEach: 1, lines: 10 },
    { name: '11. 5 slow removals (3 s each): a line every 5 s at most', total: 5, msEach: 3000, lines: 3, last: /^removed 5\/5 in 15\.0s$/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const lines = progress(c.total, c.msEach);
      assert.equal(lines.length, c.lines, lines.join('\n'));
      for (const l of lines.slice(0, -1)) assert.match(l, /^removing \d+\/\d+ \(\d+%\), \d+\.\ds$/);
      if (c.last) assert.match(lines[lines.length - 1]!, c.last);
    });
  }
  it('12. a terminal gets one line redrawn in place', () => {
    let text = '';
    const report = progressReporter({ write: (t) => void (text += t), isTty: true, now: () => 0 });
    report(1, 2);
    report(2, 2);
    assert.equal(text, '\rremoving 1/2\rremoving 2/2\n');
  });
});

describe('one number format', () => {
  it('13. watch mode prints sizes as every report does (1.573MB, not 1.57 MB)', () => {
    const line = formatCycleLine({ time: '2026-12-01T10:00:00.000Z', cycle: 3, ok: true, durationMs: 1200, removed: 2, untagged: 0, kept: 5, failed: 0, bytesPredicted: 1_573_000, bytesMeasured: 1_572_864, buildCacheReclaimed: 2_000_000_000 } as never);
    assert.match(line, /freed 1\.573MB \(predicted 1\.573MB\)/);
    assert.match(line, /build cache freed 2GB/);
  });
});
