// Watch mode's Prometheus metrics: a cycle's report in, the registry's text exposition out
// (parsed back into values), so a figure that reaches the wrong series or none fails here.
import assert from 'node:assert/strict';
import { outcomeOf, refusedOutcome, type Outcome } from '../../../src/app/outcome';
import { MaxRemovalsExceededError, type CleanupReport } from '../../../src/app/cleanup';
import { cycleFigures } from '../../../src/watch/figures';
import { METRIC_PREFIX, WatchMetrics } from '../../../src/watch/metrics';
import { parseExposition, seriesKey } from '../../support/prometheus';

async function scrape(metrics: WatchMetrics): Promise<Map<string, number>> {
  return parseExposition((await metrics.exposition()).text);
}

const ID = (c: string) => `sha256:${c.repeat(64)}`;

function report(extra: Partial<CleanupReport> = {}): CleanupReport {
  return {
    dryRun: false,
    startedAt: 0,
    finishedAt: 1,
    engine: { kind: 'docker', version: '26.1.5', apiVersion: '1.45' },
    plan: { createdAt: 0, decisions: [], predictedBytes: 0, warnings: [], buildCacheEvictions: [], unmatched: [] },
    results: [],
    counts: { images: 5, kept: 2, removed: 3, untagged: 1, skipped: 0, failed: 0, incidents: 0 },
    bytes: { predicted: 3000, before: 10_000, after: 7100, measured: 2900 },
    regrets: [],
    incidents: [],
    warnings: [],
    byKind: [{ kind: 'images', predicted: 3000, measured: 2900 }],
    ...extra,
  };
}

const eviction = (reached: boolean, shortByBytes: number) => ({
  rules: ['min-free' as const],
  neededBytes: 5000,
  freedBytes: 5000 - shortByBytes,
  reached,
  shortByBytes,
  order: [],
  imagesBytesBefore: 0,
  imagesBytesAfter: 0,
  byKind: { image: 0, 'build-cache': 0, volume: 0 },
  dockerBytesBefore: 0,
  dockerBytesAfter: 0,
});

const series = (name: string, labels: Record<string, string> = {}) =>
  seriesKey(`${METRIC_PREFIX}${name}${Object.keys(labels).length ? `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}` : ''}`);

interface Case {
  what: string;
  outcomes: (Outcome | undefined)[];
  /** Series (without the prefix) -> value after all of them; series not named here are checked by the zero cases. */
  expect: Record<string, number>;
}

const refused = refusedOutcome(new MaxRemovalsExceededError(3, 1, report()));

const CASES: Case[] = [
  {
    what: 'an image-only cycle: removed and bytes as the report says',
    outcomes: [outcomeOf(report())],
    expect: {
      'runs_total{outcome="ok"}': 1,
      'removed_total{kind="images"}': 3,
      'freed_bytes_total{kind="images"}': 2900,
      'predicted_freed_bytes_total{kind="images"}': 3000,
      'incidents_total': 0,
      'space_target_met': 1,
      'space_target_short_bytes': 0,
    },
  },
  {
    what: 'every kind: containers, build cache (limit prune + evicted records), volumes, builder containers',
    outcomes: [
      outcomeOf(
        report({
          containers: { olderThanMs: 1, total: 2, results: [], counts: { removed: 2, skipped: 0, failed: 0, protected: 0, young: 0, active: 0 }, notes: [] },
          buildCache: { status: 'pruned', spaceReclaimed: 700, cachesDeleted: 4, queries: [] },
          cacheEviction: {
            results: [
              { id: 'a', description: 'RUN a', bytes: 100, status: 'pruned', reclaimed: 120 },
              { id: 'b', description: 'RUN b', bytes: 50, status: 'skipped', reclaimed: 0 },
            ],
            predicted: 150,
            reclaimed: 120,
            warnings: [],
          },
          volumes: {
            plan: { volumes: [], builders: [], predictedBytes: 800, unsized: 0 },
            results: [
              { kind: 'builder-container', name: 'buildx_buildkit_old0', status: 'removed' },
              { kind: 'volume', name: 'buildx_buildkit_old0_state', status: 'removed', bytes: 500 },
              { kind: 'volume', name: 'f019', status: 'gone', bytes: 300 },
              { kind: 'volume', name: 'held', status: 'skipped', bytes: 10 },
            ],
            bytes: { predicted: 800, unsized: 0, measured: 790 },
            sizeSource: 'system/df',
            notes: [],
          },
          byKind: [
            { kind: 'images', predicted: 3000, measured: 2900 },
            { kind: 'build-cache', predicted: 150, measured: 120 },
            { kind: 'volumes', predicted: 800, measured: 790 },
          ],
        }),
      ),
    ],
    expect: {
      'removed_total{kind="containers"}': 2,
      'removed_total{kind="build-cache"}': 5,
      'removed_total{kind="volumes"}': 2,
      'removed_total{kind="builder-containers"}': 1,
      'freed_bytes_total{kind="build-cache"}': 820,
      'predicted_freed_bytes_total{kind="build-cache"}': 150,
      'freed_bytes_total{kind="volumes"}': 790,
      'predicted_freed_bytes_total{kind="volumes"}': 800,
    },
  },
  {
    what: 'counters add up over cycles; an incident makes the cycle removals-failed',
    outcomes: [
      outcomeOf(report()),
      outcomeOf(
        report({
          counts: { images: 2, kept: 1, removed: 1, untagged: 0, skipped: 0, failed: 0, incidents: 1 },
          incidents: [{ imageId: ID('a'), call: `DELETE /images/${ID('a')}`, untagged: ['app:new'], deleted: [], text: 'untagged app:new' }],
          bytes: { predicted: 100, measured: 40 },
          byKind: [{ kind: 'images', predicted: 100, measured: 40 }],
        }),
      ),
    ],
    expect: {
      'runs_total{outcome="ok"}': 1,
      'runs_total{outcome="removals-failed"}': 1,
      'removed_total{kind="images"}': 4,
      'freed_bytes_total{kind="images"}': 2940,
      'predicted_freed_bytes_total{kind="images"}': 3100,
      'incidents_total': 1,
    },
  },
  {
    what: 'the engine lost mid-run (the per-kind rows never filled): the images\' prediction counts, nothing measured',
    outcomes: [outcomeOf(report({ engineLost: 'ECONNRESET', bytes: { predicted: 3000 }, byKind: [] }))],
    expect: { 'runs_total{outcome="engine-lost"}': 1, 'freed_bytes_total{kind="images"}': 0, 'predicted_freed_bytes_total{kind="images"}': 3000 },
  },
  {
    what: 'a dry run and a refused plan remove and free nothing',
    outcomes: [outcomeOf(report({ dryRun: true })), refused],
    expect: { 'runs_total{outcome="ok"}': 1, 'runs_total{outcome="refused"}': 1, 'removed_total{kind="images"}': 0, 'freed_bytes_total{kind="images"}': 0, 'predicted_freed_bytes_total{kind="images"}': 0 },
  },
  {
    what: 'a failed cycle (it threw) counts as error and leaves the target as it was',
    outcomes: [outcomeOf(report({ plan: { ...report().plan, eviction: eviction(false, 1200) } })), undefined],
    expect: { 'runs_total{outcome="error"}': 1, 'runs_total{outcome="ok"}': 1, 'space_target_met': 0, 'space_target_short_bytes': 1200 },
  },
  {
    what: 'min-free not reachable: target not met, short by what the plan says',
    outcomes: [outcomeOf(report({ plan: { ...report().plan, eviction: eviction(false, 1200) } }))],
    expect: { 'space_target_met': 0, 'space_target_short_bytes': 1200 },
  },
  {
    what: 'ensure-free short: measured free space decides (the plan thought it reached), outcome short-of-free',
    outcomes: [
      outcomeOf(report({ plan: { ...report().plan, eviction: eviction(true, 0) }, ensureFree: { wantedBytes: 10_000, path: '/var/lib/docker', freeBefore: 1000, freeAfter: 3900, reached: false, tried: 'evicted least recently used first: images 2.9kB' } })),
    ],
    expect: { 'runs_total{outcome="short-of-free"}': 1, 'space_target_met': 0, 'space_target_short_bytes': 6100 },
  },
  {
    what: 'a later cycle that reaches the target sets it back',
    outcomes: [outcomeOf(report({ plan: { ...report().plan, eviction: eviction(false, 1200) } })), outcomeOf(report({ plan: { ...report().plan, eviction: eviction(true, 0) } }))],
    expect: { 'space_target_met': 1, 'space_target_short_bytes': 0 },
  },
];

describe('watch metrics (prom-client, a registry per process)', () => {
  for (const [i, c] of CASES.entries()) {
    it(`${i + 1}. ${c.what}`, async () => {
      const metrics = new WatchMetrics(0, () => 0);
      for (const outcome of c.outcomes) metrics.recordCycle(cycleFigures(outcome));
      const values = await scrape(metrics);
      for (const [name, value] of Object.entries(c.expect)) assert.equal(values.get(seriesKey(`${METRIC_PREFIX}${name}`)), value, name);
    });
  }

  it(`${CASES.length + 1}. every series exists from the start at 0 (runs by outcome, removed and bytes by kind); the target counts as met`, async () => {
    const values = await scrape(new WatchMetrics(0, () => 0));
    for (const outcome of ['ok', 'removals-failed', 'refused', 'engine-lost', 'short-of-free', 'error']) assert.equal(values.get(series('runs_total', { outcome })), 0, outcome);
    for (const kind of ['images', 'containers', 'build-cache', 'volumes', 'builder-containers']) assert.equal(values.get(series('removed_total', { kind })), 0, kind);
    for (const kind of ['images', 'build-cache', 'volumes']) {
      assert.equal(values.get(series('freed_bytes_total', { kind })), 0, kind);
      assert.equal(values.get(series('predicted_freed_bytes_total', { kind })), 0, kind);
    }
    assert.equal(values.get(series('space_target_met')), 1);
    assert.ok([...values.keys()].every((k) => k.startsWith(METRIC_PREFIX)), 'every metric has the prefix');
  });

  it(`${CASES.length + 2}. seconds since the last good cycle: from the process start, then from each good cycle`, async () => {
    let now = 5_000;
    const metrics = new WatchMetrics(1_000, () => now);
    assert.equal((await scrape(metrics)).get(series('seconds_since_last_success')), 4);
    metrics.goodCycle(6_000);
    now = 8_500;
    assert.equal((await scrape(metrics)).get(series('seconds_since_last_success')), 2.5);
  });

  it(`${CASES.length + 3}. engine call latency: a histogram by method, endpoint and outcome`, async () => {
    const metrics = new WatchMetrics(0, () => 0);
    metrics.observeEngineCall({ method: 'DELETE', endpoint: '/images/{name}', seconds: 0.02, outcome: 'answered' });
    metrics.observeEngineCall({ method: 'DELETE', endpoint: '/images/{name}', seconds: 3, outcome: 'answered' });
    metrics.observeEngineCall({ method: 'GET', endpoint: '/info', seconds: 120, outcome: 'timeout' });
    const values = await scrape(metrics);
    const del = { method: 'DELETE', endpoint: '/images/{name}', outcome: 'answered' };
    assert.equal(values.get(series('engine_call_duration_seconds_count', del)), 2);
    assert.equal(values.get(series('engine_call_duration_seconds_sum', del)), 3.02);
    assert.equal(values.get(series('engine_call_duration_seconds_bucket', { le: '0.025', ...del })), 1);
    assert.equal(values.get(series('engine_call_duration_seconds_bucket', { le: '5', ...del })), 2);
    assert.equal(values.get(series('engine_call_duration_seconds_count', { method: 'GET', endpoint: '/info', outcome: 'timeout' })), 1);
  });

  it(`${CASES.length + 4}. two watch processes' registries stay apart (no global registry)`, async () => {
    const a = new WatchMetrics(0, () => 0);
    const b = new WatchMetrics(0, () => 0);
    a.recordCycle(cycleFigures(outcomeOf(report())));
    assert.equal((await scrape(a)).get(series('removed_total', { kind: 'images' })), 3);
    assert.equal((await scrape(b)).get(series('removed_total', { kind: 'images' })), 0);
    const { register } = await import('prom-client');
    assert.equal((await register.getMetricsAsJSON()).filter((m) => m.name.startsWith(METRIC_PREFIX)).length, 0);
  });
});
