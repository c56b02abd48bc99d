/**
 * The generated workloads `npm run replay` compares policies on, each modelled
 * on a field report in the project's shared context and made from a fixed seed:
 * same seed, same trace, same figures.
 */
import type { ImageUse, Job, LayerDef, Trace } from '../../src/replay/trace';

const MB = 1_000_000;
const GB = 1_000_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** Monday 5 January 2026, 00:00 UTC: every trace starts here. */
const START = Date.UTC(2026, 0, 5);
/** Images pulled from registries were built upstream long before. */
const UPSTREAM = START - 60 * DAY;
const BANDWIDTH = 50 * MB;

/** mulberry32: a small seeded generator, so a trace is a function of its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const layer = (id: string, bytes: number, buildSeconds?: number): LayerDef => (buildSeconds === undefined ? { id, bytes } : { id, bytes, buildSeconds });
const pull = (ref: string, layers: LayerDef[], created: number, run = false): ImageUse => ({ ref, layers, created, how: 'pull', ...(run ? { run } : {}) });

/** Picks index i with weight 1/(i+1) (a few repositories or packages take most jobs). */
function zipf(rnd: () => number, n: number): number {
  const total = Array.from({ length: n }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0);
  let x = rnd() * total;
  for (let i = 0; i < n; i++) {
    x -= 1 / (i + 1);
    if (x <= 0) return i;
  }
  return n - 1;
}

/**
 * An Azure Pipelines agent with Docker-outside-of-Docker building three
 * repositories (two .NET services FROM the sdk/aspnet images, one Node web app),
 * 08:00-18:00 on workdays, one job every 20-60 minutes, for two weeks. Every
 * Monday the bases are refreshed upstream (new layers under the same tags).
 * A build reuses its repository's dependency layer while a build holding it is
 * on disk; losing it costs a rebuild (3-4 minutes).
 */
export function azureDood(seed = 22): Trace {
  const rnd = random(seed);
  const jobs: Job[] = [];
  const repos = [
    { name: 'api', from: 'dotnet', depsBytes: 120 * MB, depsSeconds: 180, appBytes: 40 * MB, appSeconds: 90, deps: 0, builds: 0 },
    { name: 'worker', from: 'dotnet', depsBytes: 90 * MB, depsSeconds: 150, appBytes: 30 * MB, appSeconds: 75, deps: 0, builds: 0 },
    { name: 'web', from: 'node', depsBytes: 250 * MB, depsSeconds: 240, appBytes: 30 * MB, appSeconds: 60, deps: 0, builds: 0 },
  ];
  const bases = (week: number) => {
    const created = UPSTREAM + week * WEEK;
    const deb = layer(`debian-12@${week}`, 75 * MB);
    const runtime = [deb, layer(`dotnet-deps@${week}`, 40 * MB), layer(`dotnet-runtime@${week}`, 70 * MB), layer(`aspnet@${week}`, 20 * MB)];
    return {
      aspnet: pull('mcr.microsoft.com/dotnet/aspnet:8.0', runtime, created),
      sdk: pull('mcr.microsoft.com/dotnet/sdk:8.0', [...runtime, layer(`dotnet-sdk@${week}`, 550 * MB)], created),
      node: pull('docker.io/library/node:20', [deb, layer(`buildpack-deps@${week}`, 300 * MB), layer(`node-20@${week}`, 200 * MB)], created),
    };
  };
  for (let day = 0; day < 14; day++) {
    if (day % 7 >= 5) continue;
    const week = Math.floor(day / 7);
    const b = bases(week);
    for (let t = START + day * DAY + 8 * HOUR + between(rnd, 0, 30) * MIN; t < START + day * DAY + 18 * HOUR; t += between(rnd, 20, 60) * MIN) {
      const repo = repos[zipf(rnd, repos.length)]!;
      repo.builds++;
      if (rnd() < 0.12) repo.deps++;
      const runtime = repo.from === 'dotnet' ? b.aspnet : b.node;
      const built: ImageUse = {
        ref: `agentacr.azurecr.io/${repo.name}:ci-${repo.builds}`,
        layers: [...runtime.layers, layer(`${repo.name}-deps@${repo.deps}/${week}`, repo.depsBytes, repo.depsSeconds), layer(`${repo.name}-app@${repo.builds}`, repo.appBytes, repo.appSeconds)],
        created: t + 5 * MIN,
        how: 'build',
        run: true,
      };
      const uses = repo.from === 'dotnet' ? [b.sdk, b.aspnet, built] : [b.node, built];
      jobs.push({ at: t, durationMs: 12 * MIN, uses });
    }
  }
  return {
    name: 'azure-dood',
    description: 'Azure DooD agent: three repositories (api, worker on dotnet sdk/aspnet; web on node:20), keep 2, bases refreshed every Monday; workdays 08-18h, a job every 20-60 min, two weeks.',
    source: `bench/replay/traces.ts azureDood(seed ${seed})`,
    budgetBytes: 2 * GB,
    bandwidthBytesPerSecond: BANDWIDTH,
    jobs,
  };
}

/**
 * elastic-package system tests on a CI runner: every run starts the stack
 * (Elasticsearch, Kibana, Elastic Agent, used by every run) and builds the
 * tested package's service images over shared bases (mysql: 36 of them, as
 * the elastic-package PR counted; other packages 2-12). Packages are picked
 * 1/k (a few are tested most); runs every 15-45 minutes around the clock for
 * a week; the stack moves to a new patch release after three days.
 */
export function elasticPackage(seed = 2435): Trace {
  const rnd = random(seed);
  const serviceBases = [
    ['mysql:8.0', 600],
    ['mysql:5.7', 450],
    ['mariadb:11', 400],
    ['postgres:16', 420],
    ['redis:7', 130],
    ['nginx:1.27', 190],
    ['httpd:2.4', 160],
    ['mongo:7', 700],
  ].map(([ref, mb]) => pull(`docker.io/library/${ref}`, [layer('debian-12', 75 * MB), layer(`${ref}`, Number(mb) * MB - 75 * MB)], UPSTREAM));
  const packages = Array.from({ length: 15 }, (_, p) => {
    const name = p === 0 ? 'mysql' : `pkg${p}`;
    const services = p === 0 ? 36 : between(rnd, 2, 12);
    return Array.from({ length: services }, (_, s) => {
      const base = p === 0 ? serviceBases[s % 2]! : serviceBases[between(rnd, 0, serviceBases.length - 1)]!;
      const own = layer(`svc-${name}-${s}`, between(rnd, 5, 30) * MB, between(rnd, 5, 20));
      return { ref: `elastic-package-service-${name}-${s}:latest`, base, own };
    });
  });
  const stack = (release: number) => {
    const ubi = layer('ubi9', 80 * MB);
    const created = UPSTREAM + release * 3 * DAY;
    return [
      pull(`docker.elastic.co/elasticsearch/elasticsearch:8.17.${release}`, [ubi, layer(`es@${release}`, 1200 * MB)], created, true),
      pull(`docker.elastic.co/kibana/kibana:8.17.${release}`, [ubi, layer(`kibana@${release}`, 1000 * MB)], created, true),
      pull(`docker.elastic.co/elastic-agent/elastic-agent-complete:8.17.${release}`, [ubi, layer(`agent@${release}`, 1200 * MB)], created, true),
    ];
  };
  const jobs: Job[] = [];
  const firstBuilt: number[] = [];
  for (let t = START + between(rnd, 0, 30) * MIN; t < START + 7 * DAY; t += between(rnd, 15, 45) * MIN) {
    const release = Math.floor((t - START) / (3 * DAY));
    const p = zipf(rnd, packages.length);
    const pkg = packages[p]!;
    // Built once, then reproduced from the build cache (same content, same ID) while its layers stay.
    const built = (firstBuilt[p] ??= t + 2 * MIN);
    const uses: ImageUse[] = [...stack(release)];
    for (const svc of pkg) {
      uses.push(svc.base);
      uses.push({ ref: `docker.io/library/${svc.ref}`, layers: [...svc.base.layers, svc.own], created: built, how: 'build', run: true });
    }
    jobs.push({ at: t, durationMs: 10 * MIN, uses });
  }
  return {
    name: 'elastic-package',
    description: 'elastic-package system tests: the stack (3 images, 1.1-1.3 GB, every run) plus the package\'s service images built over 8 shared bases (mysql: 36); 15 packages picked 1/k; a run every 15-45 min for a week.',
    source: `bench/replay/traces.ts elasticPackage(seed ${seed})`,
    budgetBytes: 10 * GB,
    bandwidthBytesPerSecond: BANDWIDTH,
    jobs,
  };
}

/**
 * A Mesa GitLab runner: most jobs run in one of five large build images
 * (2-3 GB over a shared Debian layer, tagged anew every few days when their
 * definition changes), some in two test images, and one in five pulls a
 * one-off image from a merge request that no later job uses. A base that is
 * evicted is pulled again by the next job needing it. A job every 8-25
 * minutes around the clock for a week.
 */
export function mesa(seed = 1492): Trace {
  const rnd = random(seed);
  const deb = layer('debian-bookworm', 120 * MB);
  const images = [
    { name: 'debian/x86_64_build', mb: 2800, weight: 35 },
    { name: 'debian/arm64_build', mb: 2400, weight: 15 },
    { name: 'debian/android_build', mb: 3000, weight: 10 },
    { name: 'fedora/x86_64_build', mb: 2200, weight: 10 },
    { name: 'gstreamer/x86_64_build', mb: 2000, weight: 10 },
    { name: 'debian/x86_64_test-gl', mb: 1200, weight: 6 },
    { name: 'debian/x86_64_test-vk', mb: 1500, weight: 4 },
  ].map((i) => ({ ...i, version: 0 }));
  const total = images.reduce((s, i) => s + i.weight, 0);
  const jobs: Job[] = [];
  let oneOff = 0;
  let nextRefresh = START + between(rnd, 2, 4) * DAY;
  for (let t = START + between(rnd, 0, 10) * MIN; t < START + 7 * DAY; t += between(rnd, 8, 25) * MIN) {
    if (t >= nextRefresh) {
      images[between(rnd, 0, images.length - 1)]!.version++;
      nextRefresh = t + between(rnd, 1, 3) * DAY;
    }
    let use: ImageUse;
    if (rnd() < 0.2) {
      oneOff++;
      const mb = between(rnd, 300, 1500);
      use = pull(`registry.freedesktop.org/contributor${oneOff % 40}/mesa/debian/x86_64_build:mr-${oneOff}`, [deb, layer(`one-off-${oneOff}`, mb * MB)], t - between(rnd, 1, 48) * HOUR, true);
    } else {
      let x = rnd() * total;
      const image = images.find((i) => (x -= i.weight) <= 0) ?? images[0]!;
      const tag = `2026-01-05-v${image.version}`;
      use = pull(`registry.freedesktop.org/mesa/mesa/${image.name}:${tag}`, [deb, layer(`${image.name}@${image.version}`, image.mb * MB - 120 * MB)], START - 30 * DAY + image.version * DAY, true);
    }
    jobs.push({ at: t, durationMs: between(rnd, 4, 7) * MIN, uses: [use] });
  }
  return {
    name: 'mesa',
    description: 'Mesa GitLab runner: 7 build/test images of 1.2-3 GB over one Debian layer (one re-tagged every 1-3 days), one job in five pulls a one-off merge-request image; a job every 8-25 min for a week.',
    source: `bench/replay/traces.ts mesa(seed ${seed})`,
    budgetBytes: 10 * GB,
    bandwidthBytesPerSecond: BANDWIDTH,
    jobs,
  };
}

export function allTraces(): Trace[] {
  return [azureDood(), elasticPackage(), mesa()];
}
