import { cleanupOutcome, EXIT, exitCodeOf, type OutcomeKind } from '../app/outcome';
import { parseDuration } from '../domain/units';
import { defaultStateDir } from '../app/session';
import { openSession } from '../compose';
import { EngineUnreachableError, type EnginePort } from '../engine/port';
import type { Settings } from '../settings/settings';
import type { UsageStore } from '../usage/store';
import { formatCycleLine, summarize, type MaintainedReport } from '../watch/cycle';
import { cycleFigures } from '../watch/figures';
import { WatchMetrics } from '../watch/metrics';
import { startHealthServer, touchHealthFile, type HealthServer, type HealthState } from '../watch/health';
import { watchLoop, type CycleSummary, type WatchTimer } from '../watch/loop';
import { stoppableEngine } from '../watch/stoppable-engine';
import { UsageError, type CliArgs } from './args';
import type { CliIo } from './io';

export const DEFAULT_INTERVAL = '1h';

export interface WatchCliDeps {
  /** Default: the one-shot run's session (engine adapter and usage store), kept for every cycle. */
  engine?: EnginePort;
  usage?: UsageStore;
  timer?: WatchTimer;
  /** Default: aborted on SIGTERM/SIGINT of this process. */
  signal?: AbortSignal;
  /** Called once the health server listens (tests with --health-port 0). */
  onHealthServer?: (server: HealthServer) => void;
}

export interface WatchConfig {
  intervalMs: number;
  once: boolean;
  healthFile?: string;
  healthPort?: number;
  healthAddress: string;
}

/** Validates the watch flags; UsageError (exit 2) for bad ones. */
export function watchConfig(args: CliArgs): WatchConfig {
  const text = args.watch.interval ?? DEFAULT_INTERVAL;
  let intervalMs: number;
  try {
    intervalMs = parseDuration(text);
  } catch {
    throw new UsageError(`Invalid interval "${text}": expected a duration such as 30s, 5m, 1h`);
  }
  if (intervalMs < 1000) throw new UsageError(`Invalid interval "${text}": expected at least 1s`);
  let healthPort: number | undefined;
  if (args.watch.healthPort !== undefined) {
    healthPort = /^\d+$/.test(args.watch.healthPort) ? Number(args.watch.healthPort) : NaN;
    if (!(healthPort >= 0 && healthPort <= 65535)) throw new UsageError(`Invalid health-port "${args.watch.healthPort}": expected a port number 0-65535`);
  }
  if (args.watch.healthFile !== undefined && args.watch.healthFile.trim() === '') throw new UsageError('Invalid health-file "": expected a path');
  return {
    intervalMs,
    once: args.watch.once,
    healthFile: args.watch.healthFile,
    healthPort,
    healthAddress: args.watch.healthAddress ?? '127.0.0.1',
  };
}

/**
 * `docker-image-cleanup watch`: the one-shot run as a loop. The settings are
 * parsed once; every cycle is runCleanup(settings, deps) on the same engine
 * adapter. Returns the exit code: with --once the one-shot run's codes; else 0
 * after a signal (a long-lived cleaner never exits on a failed cycle).
 */
export async function runWatch(args: CliArgs, settings: Settings, io: CliIo, deps: WatchCliDeps = {}): Promise<number> {
  const config = watchConfig(args);
  const serving = config.healthPort !== undefined && !config.once;
  const now = deps.timer?.now ?? Date.now;
  const state: HealthState = { startedAt: now(), cycles: 0 };
  // /metrics beside the health endpoint: one registry for this process.
  const metrics = serving ? new WatchMetrics(state.startedAt, now) : undefined;
  // One session for the process: the adapter (and its caches) and the usage store carry over between cycles.
  const session = deps.engine ? { engine: deps.engine, usage: deps.usage } : openSession(settings, defaultStateDir(), { onCallTimed: metrics?.observeEngineCall });
  const { engine, usage } = session;
  const controller = new AbortController();
  const signal = deps.signal ?? controller.signal;
  const removeHandlers = deps.signal ? () => {} : onTerminationSignals(controller, io);

  let server: HealthServer | undefined;
  try {
    if (serving) {
      server = await startHealthServer({
        port: config.healthPort!,
        host: config.healthAddress,
        intervalMs: config.intervalMs,
        state: () => state,
        now: deps.timer?.now,
        metrics: metrics && (() => metrics.exposition()),
      });
      deps.onHealthServer?.(server);
    }
    let lastError: unknown;
    let lastKind: OutcomeKind | undefined;
    const result = await watchLoop({
      intervalMs: config.intervalMs,
      once: config.once,
      signal,
      timer: deps.timer,
      runCycle: async (cycle, cycleSignal): Promise<CycleSummary> => {
        state.cycles = cycle;
        const gated = stoppableEngine(engine, cycleSignal);
        try {
          const outcome = await cleanupOutcome(settings, { engine: gated, usage, signal: cycleSignal });
          const figures = cycleFigures(outcome);
          metrics?.recordCycle(figures);
          state.target = figures.target;
          lastKind = outcome.kind;
          const summary: CycleSummary = summarize(outcome.report as MaintainedReport);
          if (figures.target?.met === false) summary.targetNotMet = figures.target.message;
          return outcome.kind === 'refused' ? { ...summary, refused: outcome.message } : summary;
        } catch (error) {
          lastError = error;
          metrics?.recordCycle(cycleFigures(undefined));
          throw error;
        }
      },
      log: (line) => io.stdout(args.json ? `${JSON.stringify(line)}\n` : formatCycleLine(line)),
      onGoodCycle: async (at) => {
        state.lastGoodAt = at;
        metrics?.goodCycle(at);
        if (config.healthFile) await touchHealthFile(config.healthFile, at);
      },
      onError: (message) => io.stderr(`docker-image-cleanup: ${message}\n`),
    });
    if (!config.once) return EXIT.ok;
    const last = result.last;
    if (!last) return EXIT.ok; // stopped before the cycle
    if (!last.ok) {
      // An unreachable engine (or any failed cycle) is exit 2, as for a one-shot run.
      io.stderr(`docker-image-cleanup: ${lastError instanceof EngineUnreachableError ? lastError.message : last.error}\n`);
      return EXIT.badInput;
    }
    // As a one-shot run: refused 3, engine lost 4, ensure-free short 6, a failed removal 1.
    if (lastKind && lastKind !== 'ok') return exitCodeOf(lastKind);
    return (last.summary?.failed ?? 0) > 0 ? EXIT.removalsFailed : EXIT.ok;
  } finally {
    removeHandlers();
    await server?.close();
  }
}

/** SIGTERM/SIGINT: finish the removal in flight, start nothing new; a second signal exits at once. */
function onTerminationSignals(controller: AbortController, io: CliIo): () => void {
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.stderr(`docker-image-cleanup: ${name} again: exiting now\n`);
      process.exit(name === 'SIGINT' ? 130 : 143);
    }
    io.stderr(`docker-image-cleanup: ${name}: stopping after the removal in flight\n`);
    controller.abort();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
