import assert from 'node:assert/strict';
import { parseCliArgs } from '../../../src/cli/args';
import { main } from '../../../src/cli/main';
import { runWatch, watchConfig } from '../../../src/cli/watch';
import { parseSettings } from '../../../src/settings/parse';
import { summarize } from '../../../src/watch/cycle';
import type { WatchTimer } from '../../../src/watch/loop';
import { SHUTDOWN_NOTE, stoppableEngine } from '../../../src/watch/stoppable-engine';
import { FakeEngine } from '../../support/fake-engine';
import { DAY, HOUR, NOW, image, snapshot } from '../../support/snapshot-fixtures';

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTty: false });
  return { code, out, err };
}

function builds(n: number) {
  return Array.from({ length: n }, (_, i) => image({ tags: [`app:ci-${i + 1}`], ageHours: (n - i) * 24 }));
}

describe('watch CLI', () => {
  describe('flags', () => {
    const bad: [string[], RegExp][] = [
      [['watch', '--interval', 'soon'], /Invalid interval "soon"/],
      [['watch', '--interval', '10ms'], /at least 1s/],
      [['watch', '--health-port', 'http'], /health-port "http"/],
      [['watch', '--health-port', '70000'], /health-port "70000"/],
      [['--interval', '5m'], /--interval belongs to the watch subcommand/],
      [['--once'], /--once belongs to the watch subcommand/],
      [['watch', '--build-cache-keep', 'lots'], /build-cache-keep "lots"/],
      [['watch', '--containers-older-than', 'ages'], /containers-older-than "ages"/],
    ];
    for (const [i, [args, message]] of bad.entries()) {
      it(`${i + 1}. rejects ${args.join(' ')} with exit 2 before touching the engine`, async () => {
        const r = await cli(...args, '--host', 'unix:///nonexistent/should-not-be-dialed.sock');
        assert.equal(r.code, 2);
        assert.match(r.err, message);
        assert.doesNotMatch(r.err, /cannot reach/);
      });
    }

    it('9. parses the watch flags and the new settings', () => {
      const a = parseCliArgs(['watch', '--interval', '5m', '--once', '--health-file', '/tmp/h', '--health-port', '8080', '--health-address', '0.0.0.0', '--keep', '1', '--build-cache-keep', '10GB', '--build-cache-max-age', '3d', '--containers-older-than', '12h']);
      assert.equal(a.command, 'watch');
      assert.deepEqual(a.watch, { interval: '5m', once: true, healthFile: '/tmp/h', healthPort: '8080', healthAddress: '0.0.0.0' });
      assert.deepEqual(watchConfig(a), { intervalMs: 5 * 60_000, once: true, healthFile: '/tmp/h', healthPort: 8080, healthAddress: '0.0.0.0' });
      const s = parseSettings(a.raw);
      assert.equal(s.keep, 1);
      assert.deepEqual(s.buildCache, { keepBytes: 10e9, maxAgeMs: 3 * DAY });
      assert.equal(s.containersOlderThanMs, 12 * HOUR);
      assert.equal(parseCliArgs(['--keep', '1']).command, 'cleanup');
    });

    it('10. --help documents watch mode and the new flags', async () => {
      const r = await cli('--help');
      for (const flag of ['watch', '--interval', '--once', '--health-file', '--health-port', '--build-cache-keep', '--build-cache-max-age', '--containers-older-than']) assert.ok(r.out.includes(flag), flag);
    });
  });

  describe('runWatch', () => {
    const timer = (onSleep?: () => void): WatchTimer => {
      let t = NOW;
      return { now: () => t, sleep: async (ms) => void ((t += ms), onSleep?.()) };
    };

    it('11. --once --json: one JSON line per cycle, exit 0, the same policy as a one-shot run', async () => {
      const engine = new FakeEngine(snapshot(builds(4)));
      let out = '';
      const code = await runWatch(parseCliArgs(['watch', '--once', '--json', '--keep', '1', '--min-age', '0']), parseSettings({ keep: '1', 'min-age': '0' }), { stdout: (t) => void (out += t), stderr: () => {}, isTty: false }, { engine, timer: timer() });
      assert.equal(code, 0);
      const lines = out.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, 1);
      assert.equal(lines[0].removed, 3);
      assert.equal(lines[0].kept, 1);
      assert.equal(lines[0].ok, true);
      assert.deepEqual(Object.keys(lines[0]).slice(0, 4), ['time', 'cycle', 'ok', 'durationMs']);
    });

    it('12. the loop keeps one engine, survives failing cycles, and a signal ends it with exit 0', async () => {
      const engine = new FakeEngine(snapshot(builds(2)));
      const snap = engine.snapshot.bind(engine);
      let n = 0;
      engine.snapshot = async (o) => (++n === 2 ? Promise.reject(new Error('connect ECONNREFUSED')) : snap(o));
      const controller = new AbortController();
      let out = '';
      const args = parseCliArgs(['watch', '--interval', '5m', '--min-age', '0']);
      const code = await runWatch(args, parseSettings({ 'min-age': '0' }), { stdout: (t) => void (out += t), stderr: () => {}, isTty: false }, {
        engine,
        signal: controller.signal,
        timer: timer(() => n >= 3 && controller.abort()),
      });
      assert.equal(code, 0);
      const lines = out.trim().split('\n');
      assert.equal(lines.length, 3);
      assert.match(lines[0]!, /cycle 1 ok .*removed 0, untagged 0, kept 2.*next in 5m/);
      assert.match(lines[1]!, /cycle 2 FAILED .*ECONNREFUSED \(failure 1\); next in 5\.0s/);
      assert.match(lines[2]!, /cycle 3 ok/);
    });

    it('13. --once exit codes: 2 when the cycle fails, 3 when refused by max-removals', async () => {
      const io = { stdout: () => {}, stderr: () => {}, isTty: false };
      const failing = new FakeEngine();
      assert.equal(await runWatch(parseCliArgs(['watch', '--once']), parseSettings({}), io, { engine: failing, timer: timer() }), 2);
      const engine = new FakeEngine(snapshot(builds(4)));
      assert.equal(await runWatch(parseCliArgs(['watch', '--once']), parseSettings({ keep: '0', 'min-age': '0', 'max-removals': '1' }), io, { engine, timer: timer() }), 3);
      assert.ok(!engine.calls.some((c) => c.startsWith('remove')));
    });
  });

  describe('target not met', () => {
    it('16. a budget the plan cannot reach: the cycle is good, its log line says TARGET NOT MET and by how much', async () => {
      const engine = new FakeEngine(snapshot(builds(3)));
      const raw = { keep: '5', 'min-age': '0', 'max-image-bytes': '1' };
      for (const json of [true, false]) {
        let out = '';
        const code = await runWatch(parseCliArgs(['watch', '--once', ...(json ? ['--json'] : [])]), parseSettings(raw), { stdout: (t) => void (out += t), stderr: () => {}, isTty: false }, { engine, timer: { now: () => NOW, sleep: async () => {} } });
        assert.equal(code, 0, 'max-image-bytes missed is no failure of the run (ensure-free is: exit 6, fleet.test.ts)');
        if (json) assert.match(JSON.parse(out).targetNotMet, /^max-image-bytes: short by \d/);
        else assert.match(out, /cycle 1 ok .*; TARGET NOT MET: max-image-bytes: short by \S+ \(the rest is in use, protected, current or younger than min-age\)/);
      }
    });
  });

  describe('stoppable engine', () => {
    it('14. after the signal: images already begun finish, new ones are not attempted, no new snapshot', async () => {
      const imgs = builds(3);
      const fake = new FakeEngine(snapshot(imgs));
      const controller = new AbortController();
      const engine = stoppableEngine(fake, controller.signal);
      await engine.inspectImage(imgs[0]!.id); // begun before the signal
      controller.abort();
      assert.ok(await engine.inspectImage(imgs[0]!.id));
      assert.ok(await engine.inspectImage('docker.io/library/app:ci-1'));
      assert.deepEqual(await engine.removeImage('docker.io/library/app:ci-1'), { status: 'done', untagged: ['docker.io/library/app:ci-1'], deleted: [imgs[0]!.id] });
      await assert.rejects(engine.inspectImage(imgs[1]!.id), new RegExp(SHUTDOWN_NOTE));
      await assert.rejects(engine.snapshot({ activitySince: 0 }), /shutting down/);
      assert.ok(typeof engine.listContainers === 'function', 'optional methods pass through');
    });

    it('15. summarize: not-attempted removals are an interruption, not failures', () => {
      const s = summarize({
        dryRun: false, startedAt: 0, finishedAt: 1, engine: { kind: 'docker', version: '1', apiVersion: '1.41' }, plan: {} as never,
        results: [
          { imageId: 'sha256:' + 'a'.repeat(64), status: 'removed', untagged: [], deleted: true },
          { imageId: 'sha256:' + 'b'.repeat(64), status: 'failed', untagged: [], deleted: false, note: SHUTDOWN_NOTE },
          { imageId: 'sha256:' + 'c'.repeat(64), status: 'failed', untagged: [], deleted: false, note: 'boom' },
        ],
        counts: { images: 5, kept: 2, removed: 1, untagged: 0, skipped: 0, failed: 2, incidents: 0 },
        bytes: { predicted: 10, measured: 8 }, regrets: [], incidents: [], warnings: [],
        containers: { olderThanMs: 1, total: 1, results: [], counts: { removed: 1, skipped: 0, failed: 0, protected: 0, young: 0, active: 0 }, notes: [] },
        buildCache: { status: 'pruned', spaceReclaimed: 123, cachesDeleted: 1, queries: [], records: [], kept: { inUse: 0, young: 0, shared: 0 }, warnings: [] },
      });
      assert.deepEqual(s, { removed: 1, untagged: 0, kept: 2, skipped: 0, failed: 1, bytesPredicted: 10, bytesMeasured: 8, containersRemoved: 1, buildCacheReclaimed: 123, errors: ['cccccccccccc: boom'], interrupted: true });
    });
  });
});
