/**
 * Replays a trace under one policy: each job's images arrive on the simulated
 * engine, its containers run, then the policy's post-job step runs; hourly
 * timers run between jobs. Deterministic: the trace and the policy are the only inputs.
 */
import type { Policy, CleanupContext } from './policies';
import { SimEngine } from './sim-engine';
import type { Trace } from './trace';

export interface Figures {
  trace: string;
  policy: string;
  /** Bytes of layers fetched again after a policy removed them. */
  bytesFetchedAgain: number;
  /** Seconds lost getting removed content back: bytes fetched again over the bandwidth, plus rebuilds. */
  secondsLost: number;
  /** Cleanups after which the images still used more than the budget... */
  overBudget: number;
  /** ...out of this many cleanups. */
  cleanups: number;
  /** Images deleted... */
  removals: number;
  /** ...and the bytes they freed. */
  bytesFreed: number;
  /** Bytes on disk at the end. */
  finalBytes: number;
}

const HOUR = 3_600_000;

/** `engine`: where the trace runs (given: the caller looks at it afterwards). */
export async function replay(trace: Trace, policy: Policy, engine = new SimEngine()): Promise<Figures> {
  const figures: Figures = { trace: trace.name, policy: policy.name, bytesFetchedAgain: 0, secondsLost: 0, overBudget: 0, cleanups: 0, removals: 0, bytesFreed: 0, finalBytes: 0 };
  const ctx = (now: number): CleanupContext => ({ engine, now, budgetBytes: trace.budgetBytes, bandwidthBytesPerSecond: trace.bandwidthBytesPerSecond });
  const count = (removed: number) => {
    figures.cleanups++;
    figures.removals += removed;
    if (engine.diskBytes() > trace.budgetBytes) figures.overBudget++;
  };
  let nextTick = trace.jobs.length > 0 ? Math.ceil(trace.jobs[0]!.at / HOUR) * HOUR : 0;
  for (const job of trace.jobs) {
    for (; policy.tick && nextTick <= job.at; nextTick += HOUR) count(await policy.tick(ctx(nextTick)));
    const snapshot = engine.snapshot(job.at);
    const start = { startedAt: job.at, imageIds: snapshot.images.map((i) => i.id), references: snapshot.images.flatMap((i) => i.tags) };
    const used = job.uses.map((use) => engine.arrive(use, job.at));
    engine.stopContainers();
    count(await policy.afterJob(ctx(job.at + job.durationMs), { start, used }));
    engine.endJob();
  }
  figures.bytesFetchedAgain = engine.costs.bytesFetchedAgain;
  figures.secondsLost = Math.round(engine.costs.bytesFetchedAgain / trace.bandwidthBytesPerSecond + engine.costs.rebuildSeconds);
  figures.bytesFreed = engine.costs.bytesFreed;
  figures.finalBytes = engine.diskBytes();
  return figures;
}
