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

/**
 * The engine's own window between its in-use check and its delete, widened: right before the
 * tool's DELETE of `imageId`, another job creates a container from it (not started), and the
 * delete goes on forced, as the engine's check-then-delete would carry it out had the container
 * come a moment later. The container is left on a deleted image: an incident the tool must find
 * (dockerd; Podman's forced delete removes the container too).
 */
export async function containerInsideDelete(
  targetHost: string,
  docker: import('dockerode'),
  imageId: string,
  name = 'late-job',
): Promise<EngineProxy & { planted: () => string | undefined }> {
  let planted: string | undefined;
  const proxy = await engineProxy(targetHost, (req): ProxyMode => {
    if (req.method !== 'DELETE' || planted || decodeURIComponent(/\/images\/([^?]+)/.exec(req.url ?? '')?.[1] ?? '') !== imageId) return 'forward';
    return {
      before: async () => {
        const container = await docker.createContainer({ name, Image: imageId, Cmd: ['/bin/busybox', 'true'], HostConfig: { NetworkMode: 'none' } });
        planted = container.id;
      },
      path: `${req.url}${req.url!.includes('?') ? '&' : '?'}force=1`,
    };
  });
  return { ...proxy, planted: () => planted };
}
