import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineCallTiming } from '../engine/connection';
import { BYTE_KINDS, CYCLE_OUTCOMES, REMOVED_KINDS, type CycleFigures } from './figures';

/** Every metric's name starts with this. */
export const METRIC_PREFIX = 'docker_image_cleanup_';

/** Engine calls take milliseconds (a list) to minutes (a big delete on a slow disk; the deadline is 120 s by default). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * The Prometheus metrics of one watch process, in a registry of its own (never
 * prom-client's global one: two cleaners in one process, or the tests, stay apart).
 * Fed by the cycles' figures and by the engine adapter's call timings; read by
 * the health server's /metrics.
 */
export class WatchMetrics {
  readonly registry = new Registry();
  private lastGoodAt: number | undefined;
  private readonly runs: Counter<'outcome'>;
  private readonly removed: Counter<'kind'>;
  private readonly freed: Counter<'kind'>;
  private readonly predicted: Counter<'kind'>;
  private readonly incidents: Counter;
  private readonly latency: Histogram<'method' | 'endpoint' | 'outcome'>;
  private readonly targetMet: Gauge;
  private readonly targetShort: Gauge;

  /** `startedAt` stands in for the last good cycle before the first (as for the health endpoint). */
  constructor(
    private readonly startedAt: number,
    private readonly now: () => number = Date.now,
  ) {
    const registers = [this.registry];
    this.runs = new Counter({ name: `${METRIC_PREFIX}runs_total`, help: 'Watch cycles, by how they ended.', labelNames: ['outcome'], registers });
    this.removed = new Counter({ name: `${METRIC_PREFIX}removed_total`, help: 'Things removed, by kind (images, containers, build-cache records, volumes, builder-containers).', labelNames: ['kind'], registers });
    this.freed = new Counter({ name: `${METRIC_PREFIX}freed_bytes_total`, help: 'Bytes freed as the engine measured them, by kind.', labelNames: ['kind'], registers });
    this.predicted = new Counter({ name: `${METRIC_PREFIX}predicted_freed_bytes_total`, help: 'Bytes the plan predicted the removals free, by kind.', labelNames: ['kind'], registers });
    this.incidents = new Counter({ name: `${METRIC_PREFIX}incidents_total`, help: 'Engine calls that untagged or deleted what the plan did not name.', registers });
    this.latency = new Histogram({
      name: `${METRIC_PREFIX}engine_call_duration_seconds`,
      help: 'Engine API calls, from the request until the answer starts.',
      labelNames: ['method', 'endpoint', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const metrics = this;
    new Gauge({
      name: `${METRIC_PREFIX}seconds_since_last_success`,
      help: 'Seconds since the last good cycle (since the process start before the first).',
      registers,
      collect() {
        this.set(Math.max(0, metrics.now() - (metrics.lastGoodAt ?? metrics.startedAt)) / 1000);
      },
    });
    this.targetMet = new Gauge({ name: `${METRIC_PREFIX}space_target_met`, help: '1 when the last cycle reached the space target (or none is set), 0 when it could not.', registers });
    this.targetShort = new Gauge({ name: `${METRIC_PREFIX}space_target_short_bytes`, help: 'Bytes the last cycle was short of the space target (0 when met).', registers });
    // Every series from the start, so a rate or an alert sees the first increase.
    for (const outcome of CYCLE_OUTCOMES) this.runs.inc({ outcome }, 0);
    for (const kind of REMOVED_KINDS) this.removed.inc({ kind }, 0);
    for (const kind of BYTE_KINDS) {
      this.freed.inc({ kind }, 0);
      this.predicted.inc({ kind }, 0);
    }
    this.targetMet.set(1);
    this.targetShort.set(0);
  }

  /** One cycle's figures. */
  recordCycle(figures: CycleFigures): void {
    this.runs.inc({ outcome: figures.outcome });
    for (const kind of REMOVED_KINDS) if (figures.removed[kind] > 0) this.removed.inc({ kind }, figures.removed[kind]);
    for (const kind of BYTE_KINDS) {
      if (figures.freedBytes[kind]) this.freed.inc({ kind }, figures.freedBytes[kind]);
      if (figures.predictedBytes[kind]) this.predicted.inc({ kind }, figures.predictedBytes[kind]);
    }
    if (figures.incidents > 0) this.incidents.inc(figures.incidents);
    if (figures.outcome !== 'error') {
      this.targetMet.set(figures.target?.met === false ? 0 : 1);
      this.targetShort.set(figures.target?.shortBytes ?? 0);
    }
  }

  /** A cycle ran to the end (any outcome but `error`), as the health endpoint counts it. */
  goodCycle(at: number): void {
    this.lastGoodAt = at;
  }

  /** The engine adapter's hook (DockerodeEngineOptions.onCallTimed). */
  readonly observeEngineCall = (call: EngineCallTiming): void => {
    this.latency.observe({ method: call.method, endpoint: call.endpoint, outcome: call.outcome }, call.seconds);
  };

  /** The text exposition, for GET /metrics. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
