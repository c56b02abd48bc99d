// `npm run bench [-- --images N]`: planner speed and memory on synthetic
// snapshots (each size in a fresh process), removal end to end on the private
// dockerd "bench" against the engine's own prune and a `docker rmi` loop, and
// the cost of a run with nothing to do. Prints a table and writes
// bench/results.json (the previous run's figures shown beside the new ones).
//
// `npm run bench -- --sweep` instead times inspects and removals at 1, 2, 4, 8
// and 16 in flight: the measurement behind INSPECT_CONCURRENCY and REMOVAL_CONCURRENCY.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { REMOVAL_CONCURRENCY, applyDecisions } from '../src/app/apply';
import { runCleanup } from '../src/app/cleanup';
import { buildArchive, loadArchive, type ImageSpec, type LayerSpec } from '../src/demo/image-factory';
import { mapConcurrent } from '../src/engine/concurrency';
import { connectionOptions } from '../src/engine/connection';
import { FileDetailsCache } from '../src/engine/details-cache';
import { DockerodeEngine } from '../src/engine/dockerode-engine';
import { parseSettings } from '../src/settings/parse';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'bench', 'results.json');
const DOCKER_CLI = '/usr/bin/docker'; // Debian's docker.io, installed with the engine
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const N = Number(option('images', '500'));
const SIZES = option('plan-sizes', '1000,10000,100000').split(',').map(Number);
const PLAN_RUNS = Number(option('plan-runs', '3'));
// The machine's noise (±15% run to run on 2 shared cores) is larger than the
// differences measured: every end-to-end method runs this many times, interleaved, and the median counts.
const ROUNDS = Number(option('rounds', '3'));
if (!Number.isInteger(N) || N < 50) throw new Error('--images takes a whole number of at least 50');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--rounds takes a whole number of at least 1');

// ---------------------------------------------------------------- planner

interface PlanRun {
  ms: number;
  peakRssMb: number;
  removals: number;
}

/** Each size PLAN_RUNS times, each in a fresh process: median time, highest peak RSS. */
function planFigures() {
  const run = (n: number): PlanRun => {
    const out = spawnSync(process.execPath, [path.join(__dirname, 'plan-child.js'), String(n)], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`planner child (${n} images) failed: ${out.stderr}`);
    return JSON.parse(out.stdout) as PlanRun;
  };
  const baseline = run(0);
  const sizes: Record<string, { plan_ms: number; plan_peak_rss_mb: number; removals: number }> = {};
  for (const n of SIZES) {
    const runs = Array.from({ length: PLAN_RUNS }, () => run(n));
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    sizes[n] = { plan_ms: round(ms[Math.floor(ms.length / 2)]!, 1), plan_peak_rss_mb: round(Math.max(...runs.map((r) => r.peakRssMb)), 1), removals: runs[0]!.removals };
  }
  return { baseline_rss_mb: round(baseline.peakRssMb, 1), runs_per_size: PLAN_RUNS, sizes };
}

// ---------------------------------------------------------------- the engine

/** `scripts/engine.sh reset bench`: stops the engine, wipes its data, starts it again. */
function resetEngine(): string {
  const out = spawnSync('bash', [path.join(ROOT, 'scripts', 'engine.sh'), 'reset', 'bench'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`engine.sh reset bench failed:\n${out.stderr}`);
  // Node keeps sockets alive by default: none may be reused across the restart (EPIPE).
  http.globalAgent.destroy();
  return out.stdout.trim().split('\n').pop()!;
}

/**
 * N images: 5 bases; builds in 25 repositories, 20 of them `gone*` (the
 * removal set, also labelled bench.set=1) and 5 `stay*`; one tag each.
 */
function agent(n: number): { specs: ImageSpec[]; removalSet: number } {
  const now = Date.now();
  const bases: LayerSpec[][] = Array.from({ length: 5 }, (_, b) => [{ id: `bench-base-${b}`, bytes: 200_000 }]);
  const specs: ImageSpec[] = bases.map((layers, b) => ({ tags: [`base${b}:1`], created: new Date(now - 1000 * 3_600_000), layers }));
  let removalSet = 0;
  for (let i = 0; specs.length < n; i++) {
    const gone = i % 25 < 20;
    if (gone) removalSet++;
    specs.push({
      tags: [`${gone ? 'gone' : 'stay'}${i % 25}:ci-${i}`],
      created: new Date(now - (n - i) * 60_000),
      layers: [...bases[i % 5]!, { id: `bench-build-${i}`, bytes: 10_000 }],
      labels: gone ? { 'bench.set': '1' } : {},
    });
  }
  return { specs, removalSet };
}

const LOAD_BATCH = 100;

class Bench {
  host = '';
  docker!: Docker;
  private archives: Buffer[] = [];

  constructor(readonly specs: ImageSpec[]) {}

  /** The docker-save archives, built once (as loadImages would, batch by batch). */
  async prepare(): Promise<void> {
    for (let i = 0; i < this.specs.length; i += LOAD_BATCH) this.archives.push(await buildArchive(this.specs.slice(i, i + LOAD_BATCH)));
  }

  /** A fresh engine holding the N images, loaded in batches of LOAD_BATCH. */
  async reseed(): Promise<void> {
    this.host = resetEngine();
    this.docker = new Docker(connectionOptions(this.host));
    for (const archive of this.archives) await loadArchive(this.docker, archive);
    const count = (await this.docker.listImages()).length;
    if (count !== this.specs.length) throw new Error(`seeded ${count} images, expected ${this.specs.length}`);
    // Let the kernel write the seeded layers out first: removal is disk work, and writeback
    // still running from the seeding would be timed with whichever method comes next.
    spawnSync('sync');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }

  async imageIds(): Promise<string[]> {
    return (await this.docker.listImages()).map((i) => i.Id).sort();
  }

  /** The floor, (b): the engine untags the removal set's tags (as many in flight as the tool), then one POST /images/prune. */
  async timedEnginePrune(): Promise<[number, void]> {
    const { tags } = await this.removalSet();
    return timed(async () => {
      await mapConcurrent(tags, REMOVAL_CONCURRENCY, (tag) => this.docker.getImage(tag).remove());
      await this.docker.pruneImages();
    });
  }

  async removalSet(): Promise<{ ids: string[]; tags: string[] }> {
    const listed = await (this.docker.listImages as (o: object) => Promise<Docker.ImageInfo[]>)({ filters: JSON.stringify({ label: ['bench.set=1'] }) });
    return { ids: listed.map((i) => i.Id), tags: listed.flatMap((i) => i.RepoTags ?? []) };
  }
}

const settingsFor = (host: string, extra: Record<string, unknown> = {}) =>
  parseSettings({ keep: 0, repositories: 'gone*', 'min-age': '0', 'usage-store': 'none', host, ...extra });

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - t) / 1e9, value];
}

async function endToEnd() {
  const { specs, removalSet } = agent(N);
  const bench = new Bench(specs);
  await bench.prepare();
  const tally = (calls: string[]) => {
    const byKind: Record<string, number> = {};
    for (const c of calls) byKind[c] = (byKind[c] ?? 0) + 1;
    return byKind;
  };
  let expected: string[] | undefined;
  const checkRemaining = async (method: string) => {
    const left = await bench.imageIds();
    if (left.length !== N - removalSet || (expected && left.join() !== expected.join())) {
      throw new Error(`${method} left ${left.length} images, not the ${N - removalSet} the other methods leave`);
    }
    expected = left;
  };
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-bench-'));

  // No-op: nothing to remove (keep is larger than any repository) on N images,
  // a first run and a second process reading the first one's details cache.
  await bench.reseed();
  const cacheFile = path.join(stateDir, 'image-details.json');
  const noop = async () => {
    const calls: string[] = [];
    const engine = new DockerodeEngine({ host: bench.host, cache: new FileDetailsCache(cacheFile), onApiCall: (c) => calls.push(c) });
    const [s, report] = await timed(() => runCleanup(settingsFor(bench.host, { keep: 1_000_000 }), { engine }));
    if (report.counts.removed !== 0) throw new Error('the no-op run removed images');
    return { s, calls };
  };
  const noopFirst = await noop();
  const noopSecond = await noop();

  const times: Record<'tool' | 'tool_warm_cache' | 'engine_prune' | 'engine_prune_by_label', number[]> = {
    tool: [],
    tool_warm_cache: [],
    engine_prune: [],
    engine_prune_by_label: [],
  };
  let warmCalls: string[] = [];
  let coldCalls: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // (a') the agent's usual case: the cache file of an earlier run (the no-ops above) is there.
    await bench.reseed();
    warmCalls = [];
    const warm = warmCalls;
    const [toolWarm, warmReport] = await timed(() =>
      runCleanup(settingsFor(bench.host), { engine: new DockerodeEngine({ host: bench.host, cache: new FileDetailsCache(cacheFile), onApiCall: (c) => warm.push(c) }) }),
    );
    if (warmReport.counts.removed !== removalSet) throw new Error(`the tool removed ${warmReport.counts.removed}, expected ${removalSet}`);
    await checkRemaining('the tool (warm cache)');
    times.tool_warm_cache.push(toolWarm);

    // (a) this tool, first run on this engine (no cache file).
    await bench.reseed();
    coldCalls = [];
    const cold = coldCalls;
    const [tool, report] = await timed(() => runCleanup(settingsFor(bench.host), { engine: new DockerodeEngine({ host: bench.host, onApiCall: (c) => cold.push(c) }) }));
    if (report.counts.removed !== removalSet) throw new Error(`the tool removed ${report.counts.removed}, expected ${removalSet}`);
    await checkRemaining('the tool');
    times.tool.push(tool);

    // (b) the engine's own prune of the same set: untag its tags, then one POST /images/prune.
    await bench.reseed();
    const [prune] = await bench.timedEnginePrune();
    await checkRemaining('untag + prune');
    times.engine_prune.push(prune);

    // (b0) for reference: the single call that needs the set labelled (prune with a label filter).
    await bench.reseed();
    const [pruneByLabel] = await timed(() =>
      (bench.docker.pruneImages as (o: object) => Promise<unknown>)({ filters: JSON.stringify({ dangling: ['false'], label: ['bench.set=1'] }) }),
    );
    await checkRemaining('prune by label');
    times.engine_prune_by_label.push(pruneByLabel);
    process.stderr.write(
      `round ${round + 1}/${ROUNDS}: a ${tool.toFixed(3)} s, a' ${toolWarm.toFixed(3)} s, b ${prune.toFixed(3)} s, b0 ${pruneByLabel.toFixed(3)} s\n`,
    );
  }
  const tool = median(times.tool);
  const toolWarm = median(times.tool_warm_cache);
  const prune = median(times.engine_prune);
  const pruneByLabel = median(times.engine_prune_by_label);

  // (c) the shell loop: one `docker rmi <id>` process per image, one after the other.
  await bench.reseed();
  const set = await bench.removalSet();
  const [rmiLoop] = await timed(async () => {
    for (const id of set.ids) {
      const r = spawnSync(DOCKER_CLI, ['rmi', id], { env: { ...process.env, DOCKER_HOST: bench.host }, stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`docker rmi ${id} failed: ${r.stderr}`);
    }
  });
  await checkRemaining('the rmi loop');
  fs.rmSync(stateDir, { recursive: true, force: true });

  const inspects = (calls: string[]) => calls.filter((c) => c === 'image inspect').length;
  return {
    images: N,
    removal_set: removalSet,
    rounds: ROUNDS,
    e2e_runs_s: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => round(x))])),
    e2e_s: { tool: round(tool), tool_warm_cache: round(toolWarm), engine_prune: round(prune), engine_prune_by_label: round(pruneByLabel), rmi_loop: round(rmiLoop) },
    ratio_vs_engine_prune: round(tool / prune),
    ratio_vs_engine_prune_warm_cache: round(toolWarm / prune),
    speedup_vs_rmi_loop: round(rmiLoop / tool),
    e2e_api_calls: { tool: tally(coldCalls), tool_warm_cache: tally(warmCalls) },
    noop_s: { first: round(noopFirst.s), cached: round(noopSecond.s) },
    noop_api_calls: {
      first: noopFirst.calls.length,
      first_inspects: inspects(noopFirst.calls),
      cached: noopSecond.calls.length,
      cached_inspects: inspects(noopSecond.calls),
    },
  };
}

// ---------------------------------------------------------------- concurrency sweep

async function sweep() {
  const levels = [1, 2, 4, 8, 16];
  const { specs, removalSet } = agent(N);
  const bench = new Bench(specs);
  await bench.prepare();
  await bench.reseed();
  const summaries = await bench.docker.listImages();
  const inspect: Record<number, number> = {};
  for (const c of levels) {
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      // What a snapshot without cache does per image: inspect + history.
      const [s] = await timed(() => mapConcurrent(summaries, c, async (i) => Promise.all([bench.docker.getImage(i.Id).inspect(), bench.docker.getImage(i.Id).history()])));
      times.push(s);
    }
    inspect[c] = round(times.sort((a, b) => a - b)[1]!);
    process.stdout.write(`inspect+history of ${summaries.length} images, ${c} in flight: ${inspect[c]} s\n`);
  }
  // The removals: the real applyDecisions (each worker re-checks its next image
  // while its current removal runs) at each level; then, at REMOVAL_CONCURRENCY,
  // the same against re-checking in between (inspect, then delete) and the
  // engine's untag + prune floor, interleaved, median of 3.
  const planned = async () => {
    await bench.reseed();
    const engine = new DockerodeEngine({ host: bench.host });
    const report = await runCleanup(settingsFor(bench.host, { 'dry-run': true }), { engine });
    return { engine, decisions: report.plan.decisions };
  };
  const expectRemoved = (count: number, what: string) => {
    if (count !== removalSet) throw new Error(`${what} removed ${count}, expected ${removalSet}`);
  };
  const removal: Record<number, number> = {};
  for (const c of levels) {
    const { engine, decisions } = await planned();
    const [s, results] = await timed(() => applyDecisions(engine, decisions, { concurrency: c }));
    expectRemoved(results.filter((r) => r.status === 'removed').length, `${c} in flight`);
    removal[c] = round(s);
    process.stdout.write(`removal of ${removalSet} images (re-check one ahead + untag), ${c} in flight: ${removal[c]} s\n`);
  }
  const recheck: Record<'ahead' | 'between' | 'floor', number[]> = { ahead: [], between: [], floor: [] };
  for (let r = 0; r < 3; r++) {
    let { engine, decisions } = await planned();
    const [ahead, results] = await timed(() => applyDecisions(engine, decisions, { concurrency: REMOVAL_CONCURRENCY }));
    expectRemoved(results.filter((x) => x.status === 'removed').length, 're-check ahead');
    recheck.ahead.push(ahead);
    ({ engine, decisions } = await planned());
    const work = decisions.filter((d) => d.action === 'remove');
    const [between] = await timed(() =>
      mapConcurrent(work, REMOVAL_CONCURRENCY, async (d) => {
        await engine.inspectImage(d.imageId);
        for (const ref of d.untag) await engine.removeImage(ref);
      }),
    );
    recheck.between.push(between);
    await bench.reseed();
    const [floor] = await bench.timedEnginePrune();
    recheck.floor.push(floor);
  }
  const recheckMedians = Object.fromEntries(Object.entries(recheck).map(([k, v]) => [k, round(median(v))]));
  process.stdout.write(
    `removal of ${removalSet} at ${REMOVAL_CONCURRENCY} in flight, median of 3: re-check one ahead ${recheckMedians.ahead} s, ` +
      `re-check in between ${recheckMedians.between} s, engine untag + prune ${recheckMedians.floor} s\n`,
  );
  return { images: N, inspect_s: inspect, removal_s: removal, recheck_at_removal_concurrency_s: recheckMedians };
}

// ---------------------------------------------------------------- report

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main() {
  const host = process.env.DIC_BENCH_DOCKER_HOST;
  if (!host) throw new Error('DIC_BENCH_DOCKER_HOST is not set: run bench/run.sh');
  const version = await new Docker(connectionOptions(host)).version();
  const engine = `dockerd ${version.Version} (API ${version.ApiVersion})`;
  const machine = `Node ${process.version}, ${os.cpus().length} cores`;
  if (args.includes('--sweep')) {
    const figures = await sweep();
    process.stdout.write(`\n${engine}, ${machine}\n${JSON.stringify(figures, null, 2)}\n`);
    return;
  }
  const previous = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, 'utf8')) : undefined;
  const planner = planFigures();
  const e2e = await endToEnd();
  const results = { date: new Date().toISOString(), engine, node: process.version, cores: os.cpus().length, planner, ...e2e };
  fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');

  const row = (cells: unknown[]) => `| ${cells.map(String).join(' | ')} |`;
  const last = (get: (r: any) => unknown) => {
    if (!previous) return undefined;
    const v = get(previous);
    return v === undefined || v === null ? '–' : String(v);
  };
  const withLast = (cells: unknown[], get: (r: any) => unknown) => row(previous ? [...cells, last(get)] : cells);
  const lastHead = previous ? [`last run (${String(previous.date ?? '').slice(0, 16).replace('T', ' ')})`] : [];
  const lastRule = previous ? ['---'] : [];
  const s = (x: number) => `${x.toFixed(2)} s`;
  const { e2e_s: t } = e2e;
  const calls = e2e.e2e_api_calls.tool;
  const lines = [
    `docker-image-cleanup benchmark: ${engine}, ${machine}`,
    '',
    `Planner alone, synthetic snapshots (50 repositories on 10 shared bases, 1,000 containers), each size in a fresh process,`,
    `median of ${PLAN_RUNS} runs (peak RSS: the highest); an empty Node process peaks at ${planner.baseline_rss_mb} MB RSS.`,
    '',
    row(['images', 'plan_ms', 'plan_peak_rss_mb', 'removals planned', ...lastHead.map((h) => `${h} ms / MB`)]),
    row(['---:', '---:', '---:', '---:', ...lastRule]),
    ...SIZES.map((n) => {
      const f = planner.sizes[n]!;
      return withLast([n.toLocaleString('en-US'), f.plan_ms, f.plan_peak_rss_mb, f.removals], (r) => {
        const p = r.planner?.sizes?.[n];
        return p ? `${p.plan_ms} / ${p.plan_peak_rss_mb}` : undefined;
      });
    }),
    '',
    `End to end on the engine: ${N} images (5 bases, 25 repositories), the same ${e2e.removal_set} removed by each method,`,
    `the engine reset and reseeded before each; median of ${ROUNDS} interleaved rounds (the rmi loop: one run).`,
    '',
    row(['method', 'time', ...lastHead]),
    row(['---', '---:', ...lastRule]),
    withLast(['(a) docker-image-cleanup, first run (no details cache)', s(t.tool)], (r) => r.e2e_s?.tool),
    withLast(["(a') docker-image-cleanup, details cache of an earlier run", s(t.tool_warm_cache)], (r) => r.e2e_s?.tool_warm_cache),
    withLast([`(b) engine: untag the set's tags (${REMOVAL_CONCURRENCY} in flight) + one POST /images/prune`, s(t.engine_prune)], (r) => r.e2e_s?.engine_prune),
    withLast(['(b0) engine: one prune filtered by a label only the set carries', s(t.engine_prune_by_label)], (r) => r.e2e_s?.engine_prune_by_label),
    withLast(['(c) shell loop: `docker rmi <id>` per image', s(t.rmi_loop)], (r) => r.e2e_s?.rmi_loop),
    withLast(['a / b (target ≤ 1.2)', e2e.ratio_vs_engine_prune], (r) => r.ratio_vs_engine_prune),
    withLast(["a' / b", e2e.ratio_vs_engine_prune_warm_cache], (r) => r.ratio_vs_engine_prune_warm_cache),
    withLast(['c / a (target ≥ 3)', e2e.speedup_vs_rmi_loop], (r) => r.speedup_vs_rmi_loop),
    '',
    `API calls of (a): ${Object.entries(calls)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}.`,
    '',
    `No-op run (nothing to remove) on ${N} images:`,
    '',
    row(['run', 'time', 'Engine API calls', 'image inspects', ...lastHead]),
    row(['---', '---:', '---:', '---:', ...lastRule]),
    withLast(['first (no details cache)', s(e2e.noop_s.first), e2e.noop_api_calls.first, e2e.noop_api_calls.first_inspects], (r) => r.noop_api_calls && `${r.noop_api_calls.first} calls`),
    withLast(['second (details cache file)', s(e2e.noop_s.cached), e2e.noop_api_calls.cached, e2e.noop_api_calls.cached_inspects], (r) => r.noop_api_calls && `${r.noop_api_calls.cached} calls`),
    '',
    `written to ${path.relative(process.cwd(), RESULTS)}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
