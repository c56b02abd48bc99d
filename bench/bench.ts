// `npm run bench`: planner speed and memory on synthetic snapshots, removal end
// to end on the project's private dockerd against the engine's own prune and a
// `docker rmi` loop, and the cost of a run with nothing to do. Prints a table
// and writes bench/results.json (the previous run's figures shown beside).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { runCleanup } from '../src/app/cleanup';
import { loadImages, type ImageSpec, type LayerSpec } from '../src/demo/image-factory';
import { FileDetailsCache } from '../src/engine/details-cache';
import { DockerodeEngine } from '../src/engine/dockerode-engine';
import { parseSettings } from '../src/settings/parse';
import { resetEngine } from '../test/support/engine';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'bench', 'results.json');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const N = Number(option('images', '500'));
const SIZES = option('plan-sizes', '1000,10000,100000').split(',').map(Number);
const host = process.env.DIC_BENCH_DOCKER_HOST;
if (!host) throw new Error('DIC_BENCH_DOCKER_HOST is not set: run bench/run.sh');

function planFigures() {
  const run = (n: number) => {
    const out = spawnSync(process.execPath, [path.join(__dirname, 'plan-child.js'), String(n)], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr);
    return JSON.parse(out.stdout) as { ms: number; peakRssMb: number; removals: number };
  };
  const baseline = run(0);
  const sizes: Record<string, { plan_ms: number; plan_peak_rss_mb: number; removals: number }> = {};
  for (const n of SIZES) {
    const r = run(n);
    sizes[n] = { plan_ms: round(r.ms), plan_peak_rss_mb: round(r.peakRssMb), removals: r.removals };
  }
  return { baseline_rss_mb: round(baseline.peakRssMb), sizes };
}

/** N images: 5 bases; builds in 20 repositories `gone*` (the removal set, labelled) and 5 `stay*` ones. */
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

async function seed(docker: Docker, specs: ImageSpec[]) {
  await resetEngine(docker);
  for (let i = 0; i < specs.length; i += 100) await loadImages(docker, specs.slice(i, i + 100));
}

const rawSettings = { keep: 0, repositories: 'gone*', 'min-age': '0', 'usage-store': 'none', host };
const settings = () => parseSettings(rawSettings);

async function endToEnd(docker: Docker) {
  const { specs, removalSet } = agent(N);
  const images = async () => (await docker.listImages()).length;

  await seed(docker, specs);
  let t = Date.now();
  const report = await runCleanup(settings(), { engine: new DockerodeEngine({ host }) });
  const tool = (Date.now() - t) / 1000;
  if (report.counts.removed !== removalSet) throw new Error(`the tool removed ${report.counts.removed}, expected ${removalSet}`);

  // No-op: the same engine again, counting every Engine API call.
  const calls: string[] = [];
  const cacheFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dic-bench-')), 'image-details.json');
  const first = new FileDetailsCache(cacheFile);
  t = Date.now();
  await runCleanup(settings(), { engine: new DockerodeEngine({ host, cache: first, onApiCall: (c) => calls.push(c) }) });
  const noopS = (Date.now() - t) / 1000;
  const firstCalls = calls.splice(0);
  t = Date.now();
  await runCleanup(settings(), { engine: new DockerodeEngine({ host, cache: new FileDetailsCache(cacheFile), onApiCall: (c) => calls.push(c) }) });
  const noopCachedS = (Date.now() - t) / 1000;
  const secondCalls = calls.splice(0);
  const remaining = await images();

  // (a') the agent's usual case: an earlier run (here a dry run) left the inspect cache.
  await seed(docker, specs);
  const warmFile = path.join(path.dirname(cacheFile), 'warm.json');
  await runCleanup(parseSettings({ ...rawSettings, 'dry-run': true }), { engine: new DockerodeEngine({ host, cache: new FileDetailsCache(warmFile) }) });
  t = Date.now();
  await runCleanup(settings(), { engine: new DockerodeEngine({ host, cache: new FileDetailsCache(warmFile) }) });
  const toolWarm = (Date.now() - t) / 1000;

  await seed(docker, specs);
  t = Date.now();
  await docker.pruneImages({ filters: JSON.stringify({ dangling: ['false'], label: ['bench.set=1'] }) } as never);
  const prune = (Date.now() - t) / 1000;
  if ((await images()) !== remaining) throw new Error('the engine prune left a different set');

  await seed(docker, specs);
  const listed: Docker.ImageInfo[] = await (docker.listImages as (o: object) => Promise<Docker.ImageInfo[]>)({ filters: JSON.stringify({ label: ["bench.set=1"] }) });
  const ids = listed.map((i) => i.Id);
  t = Date.now();
  for (const id of ids) {
    const r = spawnSync('docker', ['rmi', id], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`docker rmi ${id} failed`);
  }
  const rmiLoop = (Date.now() - t) / 1000;
  await resetEngine(docker);

  const count = (list: string[], what: string) => list.filter((c) => c === what).length;
  return {
    images: N,
    removal_set: removalSet,
    e2e_s: { tool: round(tool), tool_warm_cache: round(toolWarm), engine_prune: round(prune), rmi_loop: round(rmiLoop) },
    ratio_vs_engine_prune: round(tool / prune),
    ratio_vs_engine_prune_warm_cache: round(toolWarm / prune),
    speedup_vs_rmi_loop: round(rmiLoop / tool),
    noop_s: { first: round(noopS), cached: round(noopCachedS) },
    noop_api_calls: { first: firstCalls.length, first_inspects: count(firstCalls, 'image inspect'), cached: secondCalls.length, cached_inspects: count(secondCalls, 'image inspect') },
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function main() {
  const docker = new Docker({ socketPath: host!.replace(/^unix:\/\//, '') });
  const version = await docker.version();
  const previous = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, 'utf8')) : undefined;
  const plan = planFigures();
  const e2e = await endToEnd(docker);
  const results = { date: new Date().toISOString(), engine: `dockerd ${version.Version} (API ${version.ApiVersion})`, node: process.version, planner: plan, ...e2e };
  fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');

  const was = (get: (r: any) => unknown) => (previous ? `  (last: ${String(get(previous) ?? '-')})` : '');
  const lines = [
    `docker-image-cleanup benchmark, ${results.engine}, Node ${process.version}, ${os.cpus().length} cores`,
    '',
    `Planner (synthetic snapshots, 50 repositories, 10 shared bases, 1,000 containers; baseline process ${plan.baseline_rss_mb} MB)`,
    '  images    plan ms   peak RSS MB',
    ...SIZES.map((n) => `  ${String(n).padStart(7)}   ${String(plan.sizes[n]!.plan_ms).padStart(7)}   ${String(plan.sizes[n]!.plan_peak_rss_mb).padStart(11)}${was((r) => r.planner?.sizes?.[n]?.plan_ms)}`),
    '',
    `End to end: ${e2e.images} images, the same ${e2e.removal_set} removed by each method (engine reseeded before each)`,
    `  (a) docker-image-cleanup        ${e2e.e2e_s.tool.toFixed(2)} s${was((r) => r.e2e_s?.tool)}`,
    `  (a') the same, inspect cache of an earlier run  ${e2e.e2e_s.tool_warm_cache.toFixed(2)} s${was((r) => r.e2e_s?.tool_warm_cache)}`,
    `  (b) engine prune of that set    ${e2e.e2e_s.engine_prune.toFixed(2)} s${was((r) => r.e2e_s?.engine_prune)}`,
    `  (c) docker rmi loop             ${e2e.e2e_s.rmi_loop.toFixed(2)} s${was((r) => r.e2e_s?.rmi_loop)}`,
    `  a/b = ${e2e.ratio_vs_engine_prune}   a'/b = ${e2e.ratio_vs_engine_prune_warm_cache}   c/a = ${e2e.speedup_vs_rmi_loop}`,
    '',
    `No-op run on ${e2e.images - e2e.removal_set} images: ${e2e.noop_s.first.toFixed(2)} s, ${e2e.noop_api_calls.first} API calls (${e2e.noop_api_calls.first_inspects} inspects);` +
      ` next process with the cache file: ${e2e.noop_s.cached.toFixed(2)} s, ${e2e.noop_api_calls.cached} API calls (${e2e.noop_api_calls.cached_inspects} inspects)`,
    '',
    `written to ${path.relative(process.cwd(), RESULTS)}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
