/**
 * The watch loop: one cleanup cycle per interval, state kept between cycles by
 * the caller's closure (the engine adapter and its caches), one log line per
 * cycle, failing cycles retried with exponential backoff capped at the
 * interval, and a clean stop on a signal: the cycle in flight finishes its
 * current removal, no new cycle starts. Time is injected so tests run fast.
 */

/** What one good cycle did, for its log line. */
export interface CycleSummary {
  removed: number;
  untagged: number;
  kept: number;
  skipped: number;
  /** Removals (images, containers) that failed; the cycle itself still counts as good. */
  failed: number;
  bytesPredicted: number;
  bytesMeasured?: number;
  containersRemoved?: number;
  buildCacheReclaimed?: number;
  /** The first few failure notes, for the log. */
  errors?: string[];
  /** Stopped by a signal before every planned removal was attempted. */
  interrupted?: boolean;
  /** The plan exceeded max-removals: nothing removed (the cleaner is alive, the policy needs a look). */
  refused?: string;
  /** The space target (ensure-free, min-free, …) could not be reached: by how much and why. */
  targetNotMet?: string;
}

/** One structured line per cycle. */
export interface CycleLogLine extends Partial<CycleSummary> {
  time: string;
  cycle: number;
  ok: boolean;
  durationMs: number;
  /** Why the cycle failed (engine restarting, socket gone). */
  error?: string;
  /** Consecutive failed cycles, when failing. */
  failures?: number;
  /** When the next cycle starts; absent when none will. */
  nextInMs?: number;
}

export interface WatchTimer {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realTimer: WatchTimer = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    }),
};

export interface WatchOptions {
  intervalMs: number;
  /** One cycle, then return (cron). */
  once?: boolean;
  /** First retry delay after a failed cycle; doubles per failure, capped at the interval. Default min(5s, interval). */
  backoffBaseMs?: number;
  /** One cycle. Throwing marks the cycle failed (it is retried); it is not the loop's end. */
  runCycle: (cycle: number, signal: AbortSignal) => Promise<CycleSummary>;
  log: (line: CycleLogLine) => void;
  /** After each good cycle (health file, health endpoint). Errors are reported through onError. */
  onGoodCycle?: (at: number) => Promise<void> | void;
  onError?: (message: string) => void;
  /** Aborted on SIGTERM/SIGINT: no new cycle starts after it. */
  signal: AbortSignal;
  timer?: WatchTimer;
}

export interface WatchResult {
  cycles: number;
  good: number;
  failed: number;
  /** The last cycle's outcome (what `--once` exits with). */
  last?: { ok: boolean; summary?: CycleSummary; error?: string };
  lastGoodAt?: number;
  stoppedBySignal: boolean;
}

/** Delay before retry number `failures` (1 = first failure): base * 2^(failures-1), capped at the interval. */
export function backoffDelay(failures: number, baseMs: number, intervalMs: number): number {
  if (failures <= 0) return intervalMs;
  const exp = Math.min(failures - 1, 52);
  return Math.min(intervalMs, baseMs * 2 ** exp);
}

export async function watchLoop(options: WatchOptions): Promise<WatchResult> {
  const timer = options.timer ?? realTimer;
  const { intervalMs, signal } = options;
  const base = options.backoffBaseMs ?? Math.min(5000, intervalMs);
  const result: WatchResult = { cycles: 0, good: 0, failed: 0, stoppedBySignal: false };
  let failures = 0;

  while (!signal.aborted) {
    const cycle = ++result.cycles;
    const started = timer.now();
    let summary: CycleSummary | undefined;
    let error: string | undefined;
    try {
      summary = await options.runCycle(cycle, signal);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const finished = timer.now();
    const durationMs = Math.max(0, finished - started);
    const ok = summary !== undefined;
    if (ok) {
      failures = 0;
      result.good++;
      result.lastGoodAt = finished;
    } else {
      failures++;
      result.failed++;
    }
    result.last = { ok, summary, error };
    const delay = ok ? Math.max(0, intervalMs - durationMs) : backoffDelay(failures, base, intervalMs);
    const more = !options.once && !signal.aborted;
    options.log({
      time: new Date(finished).toISOString(),
      cycle,
      ok,
      durationMs,
      ...(summary ?? {}),
      ...(ok ? {} : { error, failures }),
      ...(more ? { nextInMs: delay } : {}),
    });
    if (ok && options.onGoodCycle) {
      try {
        await options.onGoodCycle(finished);
      } catch (e) {
        options.onError?.(`health: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (!more) break;
    await timer.sleep(delay, signal);
  }
  result.stoppedBySignal = signal.aborted;
  return result;
}
