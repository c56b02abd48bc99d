import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';

/**
 * Touches the health file after a good cycle: writes the time (and so updates
 * the mtime a liveness probe checks), creating its directory when missing.
 */
export async function touchHealthFile(file: string, at: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${new Date(at).toISOString()}\n`);
}

/**
 * Healthy while the last good cycle is younger than `intervals` intervals (3 by
 * default). Before the first good cycle the process start stands in for it, so
 * a fresh cleaner gets the same time to finish its first cycle.
 */
export function isHealthy(lastGoodAt: number | undefined, now: number, intervalMs: number, startedAt?: number, intervals = 3): boolean {
  const reference = lastGoodAt ?? startedAt;
  return reference !== undefined && now - reference < intervals * intervalMs;
}

export interface HealthState {
  startedAt: number;
  lastGoodAt?: number;
  cycles: number;
  /** The last good cycle's space target, when a space rule is set. */
  target?: { met: boolean; message?: string };
}

/** ok; stale: no good cycle for 3 intervals; target-not-met: cycles run, but the space rules' target could not be reached. */
export type HealthStateName = 'ok' | 'stale' | 'target-not-met';

/** The liveness path: only `stale` fails it (a cleaner short of space is alive; restarting it frees nothing). */
export const LIVENESS_PATH = '/livez';
export const METRICS_PATH = '/metrics';

/** 507 Insufficient Storage: the cleaner runs, the disk is still short of the target. */
const STATUS: Record<HealthStateName, number> = { ok: 200, 'target-not-met': 507, stale: 503 };

/** The state to report; stale wins (an old target result says nothing about now). */
export function healthStateOf(state: HealthState, now: number, intervalMs: number): HealthStateName {
  if (!isHealthy(state.lastGoodAt, now, intervalMs, state.startedAt)) return 'stale';
  return state.target?.met === false ? 'target-not-met' : 'ok';
}

/** The HTTP status of a state on a path: the liveness path answers 200 for every state but stale. */
export function healthStatus(name: HealthStateName, path: string): number {
  return path === LIVENESS_PATH && name !== 'stale' ? 200 : STATUS[name];
}

export interface HealthServer {
  /** The port really bound (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * A tiny HTTP endpoint. /metrics: the Prometheus text exposition (when `metrics`
 * is given). Every other path: a small JSON body with the state; 200 ok, 507
 * target-not-met, 503 stale (no good cycle for 3 intervals, see isHealthy), except
 * /livez, which answers 200 unless stale.
 */
export async function startHealthServer(options: {
  port: number;
  host?: string;
  intervalMs: number;
  state: () => HealthState;
  now?: () => number;
  metrics?: () => Promise<{ contentType: string; text: string }>;
}): Promise<HealthServer> {
  const now = options.now ?? Date.now;
  const server = http.createServer((req, res) => {
    // Only the path matters; no URL parsing that a malformed request line could make throw.
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === METRICS_PATH && options.metrics) return void serveMetrics(options.metrics, req, res);
    const state = options.state();
    const name = healthStateOf(state, now(), options.intervalMs);
    const body = JSON.stringify({
      state: name,
      healthy: name !== 'stale',
      cycles: state.cycles,
      lastGoodCycle: state.lastGoodAt === undefined ? null : new Date(state.lastGoodAt).toISOString(),
      target: state.target?.met === false ? (state.target.message ?? 'not met') : null,
    });
    res.writeHead(healthStatus(name, path), { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

async function serveMetrics(metrics: () => Promise<{ contentType: string; text: string }>, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  try {
    const { contentType, text } = await metrics();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  } catch (error) {
    const text = `metrics: ${error instanceof Error ? error.message : String(error)}\n`;
    res.writeHead(500, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}
