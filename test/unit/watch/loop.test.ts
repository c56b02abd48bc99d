import assert from 'node:assert/strict';
import { backoffDelay, watchLoop, type CycleLogLine, type CycleSummary, type WatchTimer } from '../../../src/watch/loop';
import { isHealthy, startHealthServer, touchHealthFile } from '../../../src/watch/health';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

const MIN = 60_000;
const GOOD: CycleSummary = { removed: 1, untagged: 0, kept: 3, skipped: 0, failed: 0, bytesPredicted: 100, bytesMeasured: 90 };

/** Virtual time: sleeping advances the clock at once; every sleep is recorded. */
class FakeTimer implements WatchTimer {
  t = 1_700_000_000_000;
  readonly sleeps: number[] = [];
  onSleep?: (ms: number) => void;
  now = () => this.t;
  sleep = async (ms: number, signal: AbortSignal) => {
    this.sleeps.push(ms);
    this.onSleep?.(ms);
    if (!signal.aborted) this.t += ms;
  };
}

/** Runs the loop over scripted cycle outcomes ('ok' | 'fail' | duration in ms of a good cycle); stops after the script. */
async function script(outcomes: ('ok' | 'fail' | number)[], opts: { intervalMs?: number; once?: boolean; backoffBaseMs?: number } = {}) {
  const timer = new FakeTimer();
  const controller = new AbortController();
  const lines: CycleLogLine[] = [];
  const good: number[] = [];
  let i = 0;
  const result = await watchLoop({
    intervalMs: opts.intervalMs ?? 5 * MIN,
    once: opts.once,
    backoffBaseMs: opts.backoffBaseMs ?? 5000,
    signal: controller.signal,
    timer,
    runCycle: async () => {
      const o = outcomes[i++];
      if (i >= outcomes.length) controller.abort();
      if (o === 'fail') throw new Error('connect ENOENT /var/run/docker.sock');
      if (typeof o === 'number') timer.t += o;
      return GOOD;
    },
    log: (l) => lines.push(l),
    onGoodCycle: (at) => void good.push(at),
  });
  return { result, lines, sleeps: timer.sleeps, good };
}

describe('watch loop', () => {
  describe('backoffDelay: base * 2^(n-1), capped at the interval', () => {
    const cases: [failures: number, base: number, interval: number, delay: number][] = [
      [1, 5000, 5 * MIN, 5000],
      [2, 5000, 5 * MIN, 10_000],
      [3, 5000, 5 * MIN, 20_000],
      [6, 5000, 5 * MIN, 160_000],
      [7, 5000, 5 * MIN, 5 * MIN],
      [50, 5000, 5 * MIN, 5 * MIN],
      [2000, 5000, 5 * MIN, 5 * MIN],
      [1, 5000, 2000, 2000],
      [0, 5000, 5 * MIN, 5 * MIN],
    ];
    for (const [i, [n, base, interval, delay]] of cases.entries()) {
      it(`${i + 1}. failure ${n}, base ${base}, interval ${interval} -> ${delay}`, () => assert.equal(backoffDelay(n, base, interval), delay));
    }
  });

  describe('schedules', () => {
    const cases: { name: string; outcomes: ('ok' | 'fail' | number)[]; sleeps: number[]; oks: boolean[] }[] = [
      { name: 'good cycles sleep the interval minus their duration', outcomes: [1000, 30_000, 'ok'], sleeps: [5 * MIN - 1000, 5 * MIN - 30_000], oks: [true, true, true] },
      { name: 'a cycle longer than the interval starts the next at once', outcomes: [6 * MIN, 'ok'], sleeps: [0], oks: [true, true] },
      { name: 'failures back off exponentially, a good cycle resets', outcomes: ['fail', 'fail', 'fail', 'ok', 'fail', 'ok'], sleeps: [5000, 10_000, 20_000, 5 * MIN, 5000], oks: [false, false, false, true, false, true] },
      { name: 'backoff is capped at the interval', outcomes: ['fail', 'fail', 'fail', 'fail', 'fail', 'fail', 'fail', 'fail', 'ok'], sleeps: [5000, 10_000, 20_000, 40_000, 80_000, 160_000, 5 * MIN, 5 * MIN], oks: [false, false, false, false, false, false, false, false, true] },
    ];
    for (const [i, c] of cases.entries()) {
      it(`${i + 1}. ${c.name}`, async () => {
        const { lines, sleeps, result } = await script(c.outcomes);
        assert.deepEqual(sleeps, c.sleeps);
        assert.deepEqual(lines.map((l) => l.ok), c.oks);
        assert.deepEqual(lines.map((l) => l.cycle), c.oks.map((_, n) => n + 1));
        assert.equal(result.stoppedBySignal, true);
        // The process never exits on failures: the loop ran every scripted cycle.
        assert.equal(result.cycles, c.outcomes.length);
      });
    }
  });

  it('5. one log line per cycle with the counts, the error and when the next cycle starts', async () => {
    const { lines } = await script(['fail', 2000, 'ok']);
    assert.equal(lines.length, 3);
    assert.deepEqual(lines[0], { time: lines[0]!.time, cycle: 1, ok: false, durationMs: 0, error: 'connect ENOENT /var/run/docker.sock', failures: 1, nextInMs: 5000 });
    assert.deepEqual(lines[1], { time: lines[1]!.time, cycle: 2, ok: true, durationMs: 2000, ...GOOD, nextInMs: 5 * MIN - 2000 });
    assert.match(lines[1]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(lines[2]!.nextInMs, undefined, 'no next cycle after the signal');
  });

  it('6. --once: one cycle, no sleep, no next', async () => {
    const { lines, sleeps, result } = await script(['ok', 'ok'], { once: true });
    assert.equal(lines.length, 1);
    assert.deepEqual(sleeps, []);
    assert.equal(lines[0]!.nextInMs, undefined);
    assert.equal(result.last?.ok, true);
    const failed = await script(['fail', 'ok'], { once: true });
    assert.equal(failed.result.last?.ok, false);
    assert.equal(failed.lines.length, 1);
  });

  it('7. a signal during a cycle lets it finish and starts no new one', async () => {
    const timer = new FakeTimer();
    const controller = new AbortController();
    const events: string[] = [];
    const result = await watchLoop({
      intervalMs: MIN,
      signal: controller.signal,
      timer,
      runCycle: async (n, signal) => {
        events.push(`start ${n}`);
        if (n === 2) {
          controller.abort(); // SIGTERM arrives mid-cycle
          await new Promise((r) => setTimeout(r, 5)); // the removal in flight
          events.push(`signal seen by cycle: ${signal.aborted}`);
        }
        events.push(`end ${n}`);
        return GOOD;
      },
      log: (l) => events.push(`log ${l.cycle} next=${l.nextInMs}`),
    });
    assert.deepEqual(events, ['start 1', 'end 1', `log 1 next=${MIN}`, 'start 2', 'signal seen by cycle: true', 'end 2', 'log 2 next=undefined']);
    assert.equal(result.stoppedBySignal, true);
    assert.equal(result.cycles, 2);
  });

  it('8. a signal during the sleep ends the loop without another cycle', async () => {
    const timer = new FakeTimer();
    const controller = new AbortController();
    timer.onSleep = () => controller.abort();
    let cycles = 0;
    const result = await watchLoop({ intervalMs: MIN, signal: controller.signal, timer, runCycle: async () => (cycles++, GOOD), log: () => {} });
    assert.equal(cycles, 1);
    assert.equal(result.stoppedBySignal, true);
  });

  it('9. a signal before the first cycle: nothing runs', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await watchLoop({ intervalMs: MIN, signal: controller.signal, timer: new FakeTimer(), runCycle: async () => assert.fail('ran'), log: () => {} });
    assert.equal(result.cycles, 0);
  });

  it('10. onGoodCycle runs after good cycles only; its errors are reported, not fatal', async () => {
    const { good, lines } = await script(['ok', 'fail', 'ok']);
    assert.equal(good.length, 2);
    assert.equal(lines.length, 3);
    const errors: string[] = [];
    const controller = new AbortController();
    let n = 0;
    await watchLoop({
      intervalMs: MIN,
      signal: controller.signal,
      timer: new FakeTimer(),
      runCycle: async () => (++n === 2 && controller.abort(), GOOD),
      log: () => {},
      onGoodCycle: () => {
        throw new Error('EROFS: read-only file system');
      },
      onError: (m) => errors.push(m),
    });
    assert.equal(n, 2);
    assert.deepEqual(errors, ['health: EROFS: read-only file system', 'health: EROFS: read-only file system']);
  });

  it('11. the real timer: sleep ends early on abort', async () => {
    const { realTimer } = await import('../../../src/watch/loop');
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 10);
    await realTimer.sleep(60_000, controller.signal);
    assert.ok(Date.now() - started < 5000);
  });
});

describe('health', () => {
  describe('isHealthy: last good cycle younger than 3 intervals (process start before the first)', () => {
    const cases: [lastGood: number | undefined, now: number, interval: number, started: number | undefined, healthy: boolean][] = [
      [0, 1000, 1000, undefined, true],
      [0, 2999, 1000, undefined, true],
      [0, 3000, 1000, undefined, false],
      [undefined, 100, 1000, undefined, false],
      [undefined, 2000, 1000, 0, true],
      [undefined, 3000, 1000, 0, false],
      [5000, 7000, 1000, 0, true],
    ];
    for (const [i, [g, now, interval, started, healthy]] of cases.entries()) {
      it(`${i + 1}. good ${g} now ${now} interval ${interval} started ${started} -> ${healthy}`, () => assert.equal(isHealthy(g, now, interval, started), healthy));
    }
  });

  it('8. the health file is created (with its directory) and touched', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-health-'));
    const file = path.join(dir, 'sub', 'healthy');
    await touchHealthFile(file, Date.UTC(2025, 0, 1));
    assert.equal(fs.readFileSync(file, 'utf8'), '2025-01-01T00:00:00.000Z\n');
    const before = fs.statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await touchHealthFile(file, Date.UTC(2025, 0, 2));
    assert.ok(fs.statSync(file).mtimeMs >= before);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('9. the endpoint answers 200 while healthy, 503 after 3 intervals without a good cycle', async () => {
    let now = 10_000;
    const state = { startedAt: 0, lastGoodAt: undefined as number | undefined, cycles: 0 };
    const server = await startHealthServer({ port: 0, intervalMs: 1000, state: () => state, now: () => now });
    try {
      assert.equal((await get(server.port)).status, 503);
      state.lastGoodAt = 9500;
      state.cycles = 1;
      const ok = await get(server.port);
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse(ok.body), { state: 'ok', healthy: true, cycles: 1, lastGoodCycle: new Date(9500).toISOString(), target: null });
      now = 12_500;
      assert.equal((await get(server.port)).status, 503);
    } finally {
      await server.close();
    }
  });
});

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}
