// The replayer: each policy pinned on a small hand-made trace (figures worked out by hand in the
// comments), and `npm run replay` held to its committed output (same numbers on every run).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { docuumPolicy, gdsfPolicy, kubeletPolicy, plannerPolicy, pruneUntilPolicy, type Policy } from '../../../src/replay/policies';
import { replay } from '../../../src/replay/replay';
import type { ImageUse, Trace } from '../../../src/replay/trace';
import { replayAll } from '../../../bench/replay/run';

const MB = 1_000_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

const pulled = (name: string, mb: number): ImageUse => ({ ref: `docker.io/library/${name}:1`, layers: [{ id: name, bytes: mb * MB }], created: T0 - 100 * HOUR, how: 'pull', run: true });

/**
 * F (500 MB) used twice, then one-offs O1 and O2 (300 MB each), then F again, a job every 2 h,
 * 1000 MB budget. After O2's job the disk holds 1100 MB: least recently used, F (used at 2 h)
 * goes before O1 (4 h) and comes back at 8 h (500 MB fetched again); F's two uses put it after
 * the used-once O1 in the cost order, and O1 alone brings the disk to 800 MB.
 */
function frequentVersusOneOffs(budgetMb = 1000): Trace {
  const F = pulled('f', 500);
  const seq = [F, F, pulled('o1', 300), pulled('o2', 300), F];
  return { name: 'frequent-vs-one-offs', description: '', source: 'hand-made', budgetBytes: budgetMb * MB, bandwidthBytesPerSecond: 50 * MB, jobs: seq.map((use, n) => ({ at: T0 + n * 2 * HOUR, durationMs: 60_000, uses: [use] })) };
}

const cases: { policy: () => Policy; trace: () => Trace; fetchedAgainMb: number; removals?: number; overBudget?: number }[] = [
  // recent: F is least recently used when O2 arrives, goes, and is pulled again.
  { policy: () => plannerPolicy('recent', { 'eviction-order': 'recent' }), trace: frequentVersusOneOffs, fetchedAgainMb: 500 },
  // cost: O1 (used once) goes first; F stays.
  { policy: () => plannerPolicy('cost', { 'eviction-order': 'cost' }), trace: frequentVersusOneOffs, fetchedAgainMb: 0 },
  // docuum: pure LRU down to the budget: F goes (1100 -> 600 MB).
  { policy: docuumPolicy, trace: frequentVersusOneOffs, fetchedAgainMb: 500, overBudget: 0 },
  // kubelet: LRU down to 80/85 of the budget (941 MB): F goes.
  { policy: kubeletPolicy, trace: frequentVersusOneOffs, fetchedAgainMb: 500 },
  // GDSF: F's two uses give it twice O1's priority: O1 goes.
  { policy: gdsfPolicy, trace: frequentVersusOneOffs, fetchedAgainMb: 0 },
  // prune -a until=24h hourly: every image no container uses is over 24 h old by creation, so F goes at
  // each tick after its jobs: pulled again at 2 h and at 8 h; removed at 1 h (F), 3 h (F), 5 h (O1), 7 h (O2),
  // and no tick follows the last job: 4 removals.
  { policy: pruneUntilPolicy, trace: frequentVersusOneOffs, fetchedAgainMb: 1000, removals: 4 },
  // No pressure, no eviction: this tool removes nothing within a 10 GB budget...
  { policy: () => plannerPolicy('cost', { 'eviction-order': 'cost' }), trace: () => frequentVersusOneOffs(10_000), fetchedAgainMb: 0, removals: 0 },
  // ...while the timer's prune removes by creation time whatever the budget.
  { policy: pruneUntilPolicy, trace: () => frequentVersusOneOffs(10_000), fetchedAgainMb: 1000, removals: 4 },
];

describe('replayer: each policy on a hand-made trace', () => {
  for (const c of cases) {
    const policy = c.policy();
    const trace = c.trace();
    it(`${policy.name} on ${trace.name} at ${trace.budgetBytes / MB} MB: fetches ${c.fetchedAgainMb} MB again`, async () => {
      const f = await replay(trace, policy);
      assert.equal(f.bytesFetchedAgain, c.fetchedAgainMb * MB);
      assert.equal(f.secondsLost, Math.round((c.fetchedAgainMb * MB) / trace.bandwidthBytesPerSecond));
      if (c.removals !== undefined) assert.equal(f.removals, c.removals);
      if (c.overBudget !== undefined) assert.equal(f.overBudget, c.overBudget);
    });
  }

  it('the cost order says why each image went first', async () => {
    // The product's report line for O1: what the record knew of it when it went.
    const { plan } = await import('../../../src/planner/planner');
    const { describeRemove } = await import('../../../src/report/reasons');
    const { parseSettings } = await import('../../../src/settings/parse');
    const image = (id: string, mb: number) => ({ id: `sha256:${id.repeat(64)}`, tags: [`${id}:1`], digests: [], created: T0, size: mb * MB, labels: {}, layers: [`sha256:${id}`], layerSizes: [mb * MB] });
    const now = T0 + 9 * 24 * HOUR;
    const p = plan({
      snapshot: { takenAt: now, engine: { kind: 'docker', version: 'x', apiVersion: '1.41' }, images: [image('a', 40), image('b', 40)], containers: [], activity: [], activityWindow: { since: now, complete: true } },
      settings: parseSettings({ 'max-image-bytes': '50MB', 'target-image-bytes': '45MB', 'evict-kept-builds': true, 'eviction-order': 'cost' }),
      now,
      usage: new Map([
        [`sha256:${'a'.repeat(64)}`, { time: now - HOUR, why: 'pulled', firstSeen: T0, uses: [T0, now - HOUR], arrived: 'pulled' }],
        [`sha256:${'b'.repeat(64)}`, { time: now - 2 * HOUR, why: 'pulled', firstSeen: T0, uses: [T0], arrived: 'pulled' }],
      ]),
    });
    const evicted = p.decisions.filter((d) => d.action === 'remove');
    // b: used once; a: twice. 80 MB down to 45 MB takes one of them: b.
    assert.deepEqual(evicted.map((d) => d.references[0]), ['b:1']);
    assert.equal(describeRemove(evicted[0]!.removeReasons[0]!), 'evicted for max-image-bytes (kept-build, cheapest to get back: 40MB, pulled, used once in 9d)');
  });
});

describe('what-if: pull-bandwidth', () => {
  // The usage record of frequent-vs-one-offs run with room for everything, replayed at 1000 MB: docuum
  // fetches F (500 MB) again (see above); its seconds lost follow the pull-bandwidth setting.
  const table: { bandwidth: string; bytesPerSecond: number; docuumSeconds: number }[] = [
    { bandwidth: '50MB/s', bytesPerSecond: 50 * MB, docuumSeconds: 10 },
    { bandwidth: '12.5MB/s', bytesPerSecond: 12.5 * MB, docuumSeconds: 40 },
  ];
  for (const c of table) {
    it(`at ${c.bandwidth}: the table's seconds and its heading use the setting`, async () => {
      const { RecordInMemory } = await import('../../../src/replay/policies');
      const { SimEngine } = await import('../../../src/replay/sim-engine');
      const { whatIf, renderWhatIf } = await import('../../../src/replay/what-if');
      const { parseSettings } = await import('../../../src/settings/parse');
      const store = new RecordInMemory();
      const engine = new SimEngine();
      const trace = frequentVersusOneOffs(10_000);
      await replay(trace, plannerPolicy('recorder', { keep: 1000 }, {}, store), engine);
      const { record } = await store.read();
      const settings = parseSettings({ 'max-image-bytes': '1000MB', 'pull-bandwidth': c.bandwidth });
      const w = await whatIf(record, engine.snapshot(trace.jobs.at(-1)!.at), { 'pull-bandwidth': c.bandwidth }, settings.space);
      assert.equal(settings.space.pullBytesPerSecond, c.bytesPerSecond);
      const docuum = w.rows.find((r) => r.policy === 'docuum (pure LRU)')!;
      assert.equal(docuum.bytesFetchedAgain, 500 * MB);
      assert.equal(docuum.secondsLost, c.docuumSeconds);
      assert.match(renderWhatIf(w), new RegExp(`pulls at ${c.bandwidth.replace('/', '\\/')} \\(pull-bandwidth\\)`));
    });
  }
});

describe('npm run replay', () => {
  // The default order's claim, read from the committed figures (the next test holds them to the replayer).
  const committed = () => fs.readFileSync(path.resolve(__dirname, '../../../../bench/replay/results.md'), 'utf8');
  const traces = ['azure-dood', 'elastic-package', 'mesa'];
  for (const name of [...traces, ...traces.map((t) => `${t}, from its usage record`)]) {
    it(`the default (this tool, cost) is best or tied within 1% on seconds lost: ${name}`, () => {
      const section = committed().split('### ').find((s) => s.startsWith(`${name}\n`))!;
      const seconds = [...section.matchAll(/^\| ([^|]+) \| [^|]+ \| (\d+) \|/gm)].map((m) => [m[1]!.trim(), Number(m[2])] as const);
      const byDefault = seconds.find(([policy]) => policy === 'this tool, cost')![1];
      const best = Math.min(...seconds.map(([, s]) => s));
      assert.ok(byDefault <= best * 1.01, `${name}: default ${byDefault} s, best ${best} s`);
      assert.match(section, /Best or tied \(within 1%\): yes\./);
    });
  }

  it('prints the committed bench/replay/results.md, number for number (deterministic; regenerate with npm run replay -- --write)', async function () {
    this.timeout(300_000);
    const committed = fs.readFileSync(path.resolve(__dirname, '../../../../bench/replay/results.md'), 'utf8');
    assert.equal(await replayAll(), committed);
  });
});
