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
}

export interface HealthServer {
  /** The port really bound (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * A tiny HTTP endpoint: every path answers 200 while the last good cycle is
 * younger than 3 intervals (see isHealthy), else 503, with a small JSON body.
 */
export async function startHealthServer(options: {
  port: number;
  host?: string;
  intervalMs: number;
  state: () => HealthState;
  now?: () => number;
}): Promise<HealthServer> {
  const now = options.now ?? Date.now;
  const server = http.createServer((req, res) => {
    const state = options.state();
    const healthy = isHealthy(state.lastGoodAt, now(), options.intervalMs, state.startedAt);
    const body = JSON.stringify({
      healthy,
      cycles: state.cycles,
      lastGoodCycle: state.lastGoodAt === undefined ? null : new Date(state.lastGoodAt).toISOString(),
    });
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
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
