// `npm run bench [-- --images N] [--stores graphdriver,containerd,containerd28]`: planner
// speed and memory on synthetic snapshots (each size in a fresh process, `--no-planner`
// skips it), and per engine (dockerd 20.10 on its graph driver, dockerd 26.1 and 28 on the
// containerd image store) removal end to end against the engine's own prune and a
// `docker rmi` loop, with every Engine API call of the tool timed per endpoint
// through a logging proxy on the socket, and the cost of a run with nothing to
// do. Prints tables and writes bench/results.json (the previous run's figures
// shown beside the new ones).
//
// `npm run bench -- --sweep` instead times inspects and removals at 1 to 32 in
// flight on each store: the measurement behind the constants in src/engine/store-tuning.ts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { applyDecisions } from '../src/app/apply';
import { runCleanup } from '../src/app/cleanup';
import { buildArchive, loadArchive, type ImageSpec, type LayerSpec } from '../src/demo/image-factory';
import { mapConcurrent } from '../src/engine/concurrency';
import { connectionOptions } from '../src/engine/connection';
import { FileDetailsCache } from '../src/engine/details-cache';
import { DockerodeEngine } from '../src/engine/dockerode-engine';
import { parseSettings } from '../src/settings/parse';
import { tuningFor } from '../src/engine/store-tuning';
import { ApiProxy, byEndpoint, timeline } from './api-proxy';

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_RESULTS = path.join(ROOT, 'bench', 'results.json');
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
// Another file than bench/results.json for a partial run (e.g. one store, while another runs elsewhere).
const RESULTS = path.resolve(option('out', DEFAULT_RESULTS));
/**
 * The benched engines, each started by scripts/engine.sh: dockerd 20.10 on its graph driver,
 * dockerd 26.1 (trixie) and dockerd 28 (sid, containerd 2) on the containerd image store.
 */
type BenchEngine = 'graphdriver' | 'containerd' | 'containerd28';
const ENGINES: Record<BenchEngine, { reset: string; containerdStore: boolean; title: string }> = {
  graphdriver: { reset: 'reset', containerdStore: false, title: 'graph driver (vfs)' },
  containerd: { reset: 'c8d-reset', containerdStore: true, title: 'containerd image store (native snapshotter)' },
  containerd28: { reset: 'c28-reset', containerdStore: true, title: 'containerd 2 image store (native snapshotter)' },
};
const STORES = option('stores', 'graphdriver,containerd,containerd28').split(',') as BenchEngine[];
// The private engines' name (scripts/engine.sh NAME): several checkouts may bench at once.
const ENGINE_NAME = process.env.DIC_BENCH_ENGINE || 'bench';
for (const s of STORES) if (!(s in ENGINES)) throw new Error(`--stores takes ${Object.keys(ENGINES).join(', ')}, not '${s}'`);
/** The concurrent-DELETE floor's calls in flight, as the issue measured it with curl. */
const FLOOR_CONCURRENCY = 8;
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

/** `scripts/engine.sh reset|c8d-reset|c28-reset NAME`: stops the store's engine, wipes its data, starts it again. */
function resetEngine(store: BenchEngine): string {
  const command = ENGINES[store].reset;
  const out = spawnSync('bash', [path.join(ROOT, 'scripts', 'engine.sh'), command, ENGINE_NAME], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`engine.sh ${command} ${ENGINE_NAME} failed:\n${out.stderr}`);
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
let proxies = 0;

class Bench {
  host = '';
  docker!: Docker;
  private archives: Buffer[] = [];

  constructor(
    readonly specs: ImageSpec[],
    readonly store: BenchEngine,
  ) {}

  /** The docker-save archives, built once (as loadImages would, batch by batch). */
  async prepare(): Promise<void> {
    for (let i = 0; i < this.specs.length; i += LOAD_BATCH) this.archives.push(await buildArchive(this.specs.slice(i, i + LOAD_BATCH)));
  }

  /** A fresh engine holding the N images, loaded in batches of LOAD_BATCH. */
  async reseed(): Promise<void> {
    this.host = resetEngine(this.store);
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

  /** (b): the concurrent-DELETE floor: the set's tags untagged FLOOR_CONCURRENCY at a time, then one (dangling) POST /images/prune. */
  async timedEnginePrune(): Promise<[number, void]> {
    const { tags } = await this.removalSet();
    return timed(async () => {
      await mapConcurrent(tags, FLOOR_CONCURRENCY, (tag) => this.docker.getImage(tag).remove());
      await this.docker.pruneImages();
    });
  }

  /** (b0): the engine's one call, `docker image prune -a` confined by a label only the set carries. */
  timedPruneByLabel(): Promise<[number, unknown]> {
    return timed(() => (this.docker.pruneImages as (o: object) => Promise<unknown>)({ filters: JSON.stringify({ dangling: ['false'], label: ['bench.set=1'] }) }));
  }

  /** The tool's engine, its calls going through a fresh timing proxy (the engine was just restarted). */
  async toolEngine(cache?: string): Promise<{ engine: DockerodeEngine; proxy: ApiProxy }> {
    const proxy = await ApiProxy.start(this.host.replace(/^unix:\/\//, ''), path.join(os.tmpdir(), `dic-bench-${ENGINE_NAME}-${process.pid}-${++proxies}.sock`));
    return { engine: new DockerodeEngine({ host: proxy.host, cache: cache ? new FileDetailsCache(cache) : undefined }), proxy };
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

type Method = 'tool' | 'tool_warm_cache' | 'engine_prune' | 'engine_prune_by_label';

/** One store: the tool (first run and with a details cache), the engine's prunes and the rmi loop, interleaved rounds. */
async function endToEnd(store: BenchEngine) {
  const { specs, removalSet } = agent(N);
  const bench = new Bench(specs, store);
  await bench.prepare();
  let expected: string[] | undefined;
  const checkRemaining = async (method: string) => {
    const left = await bench.imageIds();
    if (left.length !== N - removalSet || (expected && left.join() !== expected.join())) {
      throw new Error(`${method} left ${left.length} images, not the ${N - removalSet} the other methods leave`);
    }
    expected = left;
  };
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-bench-'));
  const cacheFile = path.join(stateDir, 'image-details.json');

  /** A whole run of the tool through the timing proxy. */
  const toolRun = async (settings: Record<string, unknown>, cache?: string) => {
    const { engine, proxy } = await bench.toolEngine(cache);
    try {
      const [s, report] = await timed(() => runCleanup(settingsFor(proxy.host, settings), { engine }));
      return { s, report, calls: [...proxy.calls] };
    } finally {
      await proxy.close();
      http.globalAgent.destroy(); // the client's kept-alive sockets led to this proxy
    }
  };

  // No-op: nothing to remove (keep is larger than any repository) on N images,
  // a first run and a second process reading the first one's details cache.
  await bench.reseed();
  const noopFirst = await toolRun({ keep: 1_000_000 }, cacheFile);
  const noopSecond = await toolRun({ keep: 1_000_000 }, cacheFile);
  if (noopFirst.report.counts.removed + noopSecond.report.counts.removed !== 0) throw new Error('the no-op run removed images');

  const times: Record<Method, number[]> = { tool: [], tool_warm_cache: [], engine_prune: [], engine_prune_by_label: [] };
  let warmCalls: ReturnType<typeof byEndpoint> = {};
  let coldCalls: ReturnType<typeof byEndpoint> = {};
  let warmTimeline: ReturnType<typeof timeline> = [];
  let coldTimeline: ReturnType<typeof timeline> = [];
  const loads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // (a') the agent's usual case: the cache file of an earlier run (the no-ops above) is there.
    await bench.reseed();
    const warm = await toolRun({}, cacheFile);
    if (warm.report.counts.removed !== removalSet) throw new Error(`the tool removed ${warm.report.counts.removed}, expected ${removalSet}`);
    await checkRemaining('the tool (warm cache)');
    times.tool_warm_cache.push(warm.s);
    warmCalls = byEndpoint(warm.calls);
    warmTimeline = timeline(warm.calls);

    // (a) this tool, first run on this engine (no cache file).
    await bench.reseed();
    const cold = await toolRun({});
    if (cold.report.counts.removed !== removalSet) throw new Error(`the tool removed ${cold.report.counts.removed}, expected ${removalSet}`);
    await checkRemaining('the tool');
    times.tool.push(cold.s);
    coldCalls = byEndpoint(cold.calls);
    coldTimeline = timeline(cold.calls);

    // (b) the engine removing the same set per image: untag its tags, then one POST /images/prune.
    await bench.reseed();
    const [prune] = await bench.timedEnginePrune();
    await checkRemaining('untag + prune');
    times.engine_prune.push(prune);

    // (b0) the engine's own prune in one call (`docker image prune -a`), confined to the set by a label only it carries.
    await bench.reseed();
    const [pruneByLabel] = await bench.timedPruneByLabel();
    await checkRemaining('prune by label');
    times.engine_prune_by_label.push(pruneByLabel);
    loads.push(os.loadavg()[0]!);
    process.stderr.write(
      `${store} round ${round + 1}/${ROUNDS}: a ${cold.s.toFixed(3)} s, a' ${warm.s.toFixed(3)} s, b ${prune.toFixed(3)} s, b0 ${pruneByLabel.toFixed(3)} s (load ${os.loadavg()[0]!.toFixed(1)})\n`,
    );
  }
  const t = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<Method, number>;
  // The engine's fastest way to remove the set: the target is measured against it.
  const floor = Math.min(t.engine_prune, t.engine_prune_by_label);

  // (c) the shell loop: one `docker rmi <id>` process per image, one after the other.
  let rmiLoop: number | undefined;
  if (!args.includes('--no-rmi-loop')) {
    await bench.reseed();
    const set = await bench.removalSet();
    [rmiLoop] = await timed(async () => {
      for (const id of set.ids) {
        const r = spawnSync(DOCKER_CLI, ['rmi', id], { env: { ...process.env, DOCKER_HOST: bench.host }, stdio: ['ignore', 'ignore', 'pipe'] });
        if (r.status !== 0) throw new Error(`docker rmi ${id} failed: ${r.stderr}`);
      }
    });
    await checkRemaining('the rmi loop');
  }
  fs.rmSync(stateDir, { recursive: true, force: true });

  const inspects = (calls: { endpoint: string }[]) => calls.filter((c) => c.endpoint === 'GET /images/{name}/json').length;
  return {
    store,
    engine: await engineName(bench.host),
    tuning: await toolTuning(bench.host),
    images: N,
    removal_set: removalSet,
    rounds: ROUNDS,
    e2e_runs_s: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => round(x))])),
    e2e_s: {
      tool: round(t.tool),
      tool_warm_cache: round(t.tool_warm_cache),
      engine_prune: round(t.engine_prune),
      engine_prune_by_label: round(t.engine_prune_by_label),
      rmi_loop: rmiLoop === undefined ? null : round(rmiLoop),
    },
    ratio_vs_engine_floor: round(t.tool / floor),
    ratio_vs_engine_floor_warm_cache: round(t.tool_warm_cache / floor),
    ratio_vs_engine_prune: round(t.tool / t.engine_prune),
    ratio_vs_engine_prune_by_label: round(t.tool / t.engine_prune_by_label),
    ratio_vs_engine_prune_by_label_warm_cache: round(t.tool_warm_cache / t.engine_prune_by_label),
    speedup_vs_rmi_loop: rmiLoop === undefined ? null : round(rmiLoop / t.tool),
    /** Per endpoint, of the last round's runs. */
    e2e_api_calls: { tool: coldCalls, tool_warm_cache: warmCalls },
    /** Per endpoint, of the last round's runs: first call sent and last answer, seconds from the run's start. */
    e2e_timeline: { tool: coldTimeline, tool_warm_cache: warmTimeline },
    /** 1-minute load average after each round. */
    load_average_per_round: loads.map((l) => round(l, 1)),
    noop_s: { first: round(noopFirst.s), cached: round(noopSecond.s) },
    noop_api_calls: {
      first: noopFirst.calls.length,
      first_inspects: inspects(noopFirst.calls),
      cached: noopSecond.calls.length,
      cached_inspects: inspects(noopSecond.calls),
    },
  };
}

// ---------------------------------------------------------------- one profiled round

/**
 * `--profile`: one round of (a), (a') and (b0) with each run's timeline per endpoint,
 * quicker than the whole table: for finding where a run's time goes while changing it.
 */
async function profile(store: BenchEngine) {
  const { specs, removalSet } = agent(N);
  const bench = new Bench(specs, store);
  await bench.prepare();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-bench-'));
  const cacheFile = path.join(stateDir, 'image-details.json');
  const out: string[] = [];
  for (const [label, cache] of [['(a) first run', cacheFile], ["(a') details cache of (a)", cacheFile]] as const) {
    await bench.reseed();
    const { engine, proxy } = await bench.toolEngine(cache);
    try {
      const [s, report] = await timed(() => runCleanup(settingsFor(proxy.host), { engine }));
      if (report.counts.removed !== removalSet) throw new Error(`the tool removed ${report.counts.removed}, expected ${removalSet}`);
      out.push(`${store} ${label}: ${s.toFixed(2)} s (load ${os.loadavg()[0]!.toFixed(1)})`);
      for (const p of timeline(proxy.calls)) out.push(`  ${p.endpoint.padEnd(34)} ${String(p.calls).padStart(5)}  ${p.first_s.toFixed(2).padStart(7)} s .. ${p.last_s.toFixed(2).padStart(7)} s`);
      for (const [k, f] of Object.entries(byEndpoint(proxy.calls))) out.push(`  ${k.padEnd(34)} median ${f.median_ms} ms, in flight ${f.busy_s} s`);
    } finally {
      await proxy.close();
      http.globalAgent.destroy();
    }
    process.stderr.write(out.join('\n') + '\n');
    out.length = 0;
  }
  await bench.reseed();
  const [b0] = await bench.timedPruneByLabel();
  process.stderr.write(`${store} (b0) prune by label: ${b0.toFixed(2)} s (load ${os.loadavg()[0]!.toFixed(1)})\n`);
  fs.rmSync(stateDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- the snapshot's calls alone

/**
 * `--calls`: on one seeded engine, each read a snapshot and the before-measurement make,
 * alone and interleaved (3 rounds, medians): what each costs the engine on this store.
 */
async function callCosts(store: BenchEngine) {
  const { specs } = agent(N);
  const bench = new Bench(specs, store);
  await bench.prepare();
  await bench.reseed();
  const engine = new DockerodeEngine({ host: bench.host });
  await engine.info();
  const ids = (await bench.docker.listImages()).map((i) => i.Id);
  const dial = (p: string, options: Record<string, unknown>) =>
    new Promise((resolve, reject) => bench.docker.modem.dial({ path: p, method: 'GET', options, statusCodes: { 200: true } }, (e: unknown, d: unknown) => (e ? reject(e) : resolve(d))));
  const c = tuningFor(await engine.info()).inspectConcurrency;
  const reads: [string, () => Promise<unknown>][] = [
    ['GET /images/json?manifests=1', () => dial('/images/json?', { manifests: true })],
    ['GET /images/json', () => dial('/images/json?', {})],
    ['GET /system/df?type=image', () => dial('/system/df?', { type: 'image' })],
    ['GET /system/df?type=image during GET /images/json?manifests=1 (both)', () => Promise.all([dial('/system/df?', { type: 'image' }), dial('/images/json?', { manifests: true })])],
    [`inspect of every image, ${c} in flight`, () => mapConcurrent(ids, c, (id) => bench.docker.getImage(id).inspect())],
    [`history of every image, ${c} in flight`, () => mapConcurrent(ids, c, (id) => bench.docker.getImage(id).history())],
    [`inspect + history of every image, ${c} in flight`, () => mapConcurrent(ids, c, (id) => Promise.all([bench.docker.getImage(id).inspect(), bench.docker.getImage(id).history()]))],
  ];
  const times = new Map<string, number[]>(reads.map(([k]) => [k, []]));
  for (let r = 0; r < 3; r++) {
    for (const [k, read] of reads) {
      const [t] = await timed(read);
      times.get(k)!.push(t);
    }
  }
  const lines = [`${store}, ${ids.length} images (${await engineName(bench.host)}), load ${os.loadavg()[0]!.toFixed(1)} at the end:`];
  for (const [k, ts] of times) lines.push(`  ${k}: ${round(median(ts), 2)} s (${ts.map((t) => t.toFixed(2)).join(' / ')})`);
  process.stdout.write(lines.join('\n') + '\n');
}

// ---------------------------------------------------------------- concurrency sweep

const SWEEP_LEVELS = (option('levels', '1,2,4,8,16,32')).split(',').map(Number);

/** One store: inspect + history and the real removal loop at each level, each from a fresh engine. */
async function sweep(store: BenchEngine) {
  const { specs, removalSet } = agent(N);
  const bench = new Bench(specs, store);
  await bench.prepare();
  await bench.reseed();
  const summaries = await bench.docker.listImages();
  const inspect: Record<number, number> = {};
  for (const c of SWEEP_LEVELS) {
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      // What a snapshot without cache does per image: inspect + history.
      const [s] = await timed(() => mapConcurrent(summaries, c, async (i) => Promise.all([bench.docker.getImage(i.Id).inspect(), bench.docker.getImage(i.Id).history()])));
      times.push(s);
    }
    inspect[c] = round(median(times));
    process.stdout.write(`${store}: inspect+history of ${summaries.length} images, ${c} in flight: ${inspect[c]} s (median of 3)\n`);
  }
  // The removals: the real applyDecisions (each worker re-checks its next image
  // while its current removal runs) at each level, from a fresh engine each.
  const removal: Record<number, number> = {};
  const removalCalls: Record<number, ReturnType<typeof byEndpoint>> = {};
  for (const c of SWEEP_LEVELS) {
    await bench.reseed();
    const { engine, proxy } = await bench.toolEngine();
    try {
      const report = await runCleanup(settingsFor(proxy.host, { 'dry-run': true }), { engine });
      proxy.reset();
      const [s, results] = await timed(() => applyDecisions(engine, report.plan.decisions, { concurrency: c }));
      const removed = results.filter((r) => r.status === 'removed').length;
      if (removed !== removalSet) throw new Error(`${c} in flight removed ${removed}, expected ${removalSet}`);
      removal[c] = round(s);
      removalCalls[c] = byEndpoint(proxy.calls);
    } finally {
      await proxy.close();
      http.globalAgent.destroy();
    }
    process.stdout.write(`${store}: removal of ${removalSet} images (re-check + delete), ${c} in flight: ${removal[c]} s\n`);
  }
  return { store, engine: await engineName(bench.host), images: N, inspect_s: inspect, removal_s: removal, removal_api_calls: removalCalls };
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

async function engineName(host: string): Promise<string> {
  const version = await new Docker(connectionOptions(host)).version();
  return `dockerd ${version.Version} (API ${version.ApiVersion})`;
}

/** The constants the tool chooses on that engine (it asks the engine what it is, as a run does). */
async function toolTuning(host: string) {
  return tuningFor(await new DockerodeEngine({ host }).info());
}

async function main() {
  const machine = `Node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the start`;
  if (args.includes('--calls')) {
    for (const store of STORES) await callCosts(store);
    return;
  }
  if (args.includes('--profile')) {
    for (const store of STORES) await profile(store);
    return;
  }
  if (args.includes('--sweep')) {
    const figures: unknown[] = [];
    for (const store of STORES) figures.push(await sweep(store));
    process.stdout.write(`\n${machine}\n${JSON.stringify(figures, null, 2)}\n`);
    const file = path.join(ROOT, 'bench', 'sweep.json');
    fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, stores: figures }, null, 2) + '\n');
    return;
  }
  const previous = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, 'utf8')) : undefined;
  const planner = args.includes('--no-planner') ? { baseline_rss_mb: 0, runs_per_size: 0, sizes: {} as ReturnType<typeof planFigures>['sizes'] } : planFigures();
  const stores: Awaited<ReturnType<typeof endToEnd>>[] = [];
  for (const store of STORES) stores.push(await endToEnd(store));
  const results = { date: new Date().toISOString(), node: process.version, cores: os.cpus().length, load_average_at_end: round(os.loadavg()[0]!, 1), planner, stores };
  fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');

  const row = (cells: unknown[]) => `| ${cells.map(String).join(' | ')} |`;
  const lastOf = (r: any, store: BenchEngine) => (Array.isArray(r?.stores) ? r.stores.find((x: any) => x.store === store) : store === 'graphdriver' ? r : undefined);
  const withLast = (cells: unknown[], get: (r: any) => unknown) => {
    if (!previous) return row(cells);
    const v = get(previous);
    return row([...cells, v === undefined || v === null ? '–' : String(v)]);
  };
  const lastHead = previous ? [`last run (${String(previous.date ?? '').slice(0, 16).replace('T', ' ')})`] : [];
  const lastRule = previous ? ['---'] : [];
  const s = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)} s`);
  const lines = [
    `docker-image-cleanup benchmark: ${machine}`,
    '',
    `Planner alone, synthetic snapshots (50 repositories on 10 shared bases, 1,000 containers), each size in a fresh process,`,
    `median of ${PLAN_RUNS} runs (peak RSS: the highest); an empty Node process peaks at ${planner.baseline_rss_mb} MB RSS.`,
    '',
    row(['images', 'plan_ms', 'plan_peak_rss_mb', 'removals planned', ...lastHead.map((h) => `${h} ms / MB`)]),
    row(['---:', '---:', '---:', '---:', ...lastRule]),
    ...SIZES.filter((n) => planner.sizes[n]).map((n) => {
      const f = planner.sizes[n]!;
      return withLast([n.toLocaleString('en-US'), f.plan_ms, f.plan_peak_rss_mb, f.removals], (r) => {
        const p = r.planner?.sizes?.[n];
        return p ? `${p.plan_ms} / ${p.plan_peak_rss_mb}` : undefined;
      });
    }),
  ];
  for (const e2e of stores) {
    const t = e2e.e2e_s;
    const last = (get: (x: any) => unknown) => (r: any) => {
      const x = lastOf(r, e2e.store);
      return x ? get(x) : undefined;
    };
    const endpoints = (figures: ReturnType<typeof byEndpoint>) => [
      row(['endpoint', 'calls', 'median', 'slowest', 'sum of call times', 'wall time in flight']),
      row(['---', '---:', '---:', '---:', '---:', '---:']),
      ...Object.entries(figures).map(([k, f]) => row([`\`${k}\``, f.calls, `${f.median_ms} ms`, `${f.max_ms} ms`, `${f.total_s} s`, `${f.busy_s} s`])),
    ];
    const phases = (spans: ReturnType<typeof timeline>) => [
      row(['endpoint', 'calls', 'first sent', 'last answered']),
      row(['---', '---:', '---:', '---:']),
      ...spans.map((p) => row([`\`${p.endpoint}\``, p.calls, `${p.first_s.toFixed(2)} s`, `${p.last_s.toFixed(2)} s`])),
    ];
    lines.push(
      '',
      `## ${e2e.engine}, ${ENGINES[e2e.store].title}`,
      '',
      `End to end: ${N} images (5 bases, 25 repositories), the same ${e2e.removal_set} removed by each method, the engine reset and`,
      `reseeded before each; median of ${ROUNDS} interleaved rounds (the rmi loop: one run). Tool constants for this store:`,
      `${e2e.tuning.removalConcurrency} removals and ${e2e.tuning.inspectConcurrency} inspects in flight.`,
      '',
      row(['method', 'time', 'rounds', ...lastHead]),
      row(['---', '---:', '---', ...lastRule]),
      withLast(['(a) docker-image-cleanup, first run (no details cache)', s(t.tool), e2e.e2e_runs_s.tool!.join(' / ')], last((x) => x.e2e_s?.tool)),
      withLast(["(a') docker-image-cleanup, details cache of an earlier run", s(t.tool_warm_cache), e2e.e2e_runs_s.tool_warm_cache!.join(' / ')], last((x) => x.e2e_s?.tool_warm_cache)),
      withLast([`(b) concurrent-DELETE floor: the set's tags untagged (${FLOOR_CONCURRENCY} in flight) + one POST /images/prune`, s(t.engine_prune), e2e.e2e_runs_s.engine_prune!.join(' / ')], last((x) => x.e2e_s?.engine_prune)),
      withLast(['(b0) engine: one `POST /images/prune` (`docker image prune -a`) by a label only the set carries', s(t.engine_prune_by_label), e2e.e2e_runs_s.engine_prune_by_label!.join(' / ')], last((x) => x.e2e_s?.engine_prune_by_label)),
      withLast(['(c) shell loop: `docker rmi <id>` per image', s(t.rmi_loop), ''], last((x) => x.e2e_s?.rmi_loop)),
      withLast(['a / b0, first run / the engine\'s prune (target ≤ 1.1)', e2e.ratio_vs_engine_prune_by_label, ''], last((x) => x.ratio_vs_engine_prune_by_label)),
      withLast(["a' / b0, cached run / the engine's prune (target ≤ 1.0)", e2e.ratio_vs_engine_prune_by_label_warm_cache, ''], last((x) => x.ratio_vs_engine_prune_by_label_warm_cache)),
      withLast(['a / min(b, b0)', e2e.ratio_vs_engine_floor, ''], last((x) => x.ratio_vs_engine_floor ?? x.ratio_vs_engine_prune)),
      withLast(["a' / min(b, b0)", e2e.ratio_vs_engine_floor_warm_cache, ''], last((x) => x.ratio_vs_engine_floor_warm_cache ?? x.ratio_vs_engine_prune_warm_cache)),
      withLast(['a / b', e2e.ratio_vs_engine_prune, ''], last((x) => x.ratio_vs_engine_prune)),
      withLast(['c / a', e2e.speedup_vs_rmi_loop ?? '–', ''], last((x) => x.speedup_vs_rmi_loop)),
      '',
      `Engine API calls of (a), last round, per endpoint:`,
      '',
      ...endpoints(e2e.e2e_api_calls.tool),
      '',
      `Engine API calls of (a'), last round, per endpoint:`,
      '',
      ...endpoints(e2e.e2e_api_calls.tool_warm_cache),
      '',
      `Where the time of (a) went, last round: per endpoint, the first call sent and the last answer (s from the run's start):`,
      '',
      ...phases(e2e.e2e_timeline.tool),
      '',
      `The same for (a'):`,
      '',
      ...phases(e2e.e2e_timeline.tool_warm_cache),
      '',
      `Load average (1 min) after each round: ${e2e.load_average_per_round.join(', ')}.`,
      '',
      `No-op run (nothing to remove) on ${N} images: first (no details cache) ${s(e2e.noop_s.first)}, ${e2e.noop_api_calls.first} calls ` +
        `(${e2e.noop_api_calls.first_inspects} inspects); second (details cache file) ${s(e2e.noop_s.cached)}, ${e2e.noop_api_calls.cached} calls (${e2e.noop_api_calls.cached_inspects} inspects).`,
    );
  }
  lines.push('', `written to ${path.relative(process.cwd(), RESULTS)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
