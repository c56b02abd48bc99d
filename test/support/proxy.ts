import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * What the proxy does with one request: forward it, fail it with a 500, drop the
 * connection, or run `before` (another job acting on the real engine at that very
 * moment) and then forward it, to `path` if given.
 */
export type ProxyMode = 'forward' | 'fail-500' | 'drop' | { before?: () => Promise<unknown>; path?: string };

export interface EngineProxy {
  /** `unix://…` for the tool's --host. */
  host: string;
  close: () => Promise<void>;
}

/**
 * A unix-socket HTTP proxy in front of a real engine's socket (`unix://` host): faults and
 * timings the engine cannot be asked for (a 500, a daemon dying mid-run, another job's change
 * landing right before one call) on top of everything else the real engine answers.
 */
export async function engineProxy(targetHost: string, decide: (req: http.IncomingMessage) => ProxyMode): Promise<EngineProxy> {
  const target = new URL(targetHost).pathname;
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dic-proxy-')), 'docker.sock');
  const sockets = new Set<net.Socket>();
  const server = http.createServer(async (req, res) => {
    const mode = decide(req);
    if (mode === 'drop') return req.socket.destroy();
    if (mode === 'fail-500') {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ message: 'injected fault' }));
    }
    let url = req.url;
    if (typeof mode === 'object') {
      req.pause(); // the body waits for the forward
      try {
        await mode.before?.();
      } catch (error) {
        res.writeHead(502, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ message: `the test's own step before this call failed: ${(error as Error).message}` }));
      }
      url = mode.path ?? url;
    }
    const upstream = http.request({ socketPath: target, method: req.method, path: url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
    req.resume();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    host: `unix://${socketPath}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
