// A logging proxy on a unix socket for the benchmarks: every Engine API call
// the tool makes goes through it, and it records the endpoint, the status and
// how long the engine took, so the bench can say where the time goes per endpoint.
import * as fs from 'node:fs';
import * as http from 'node:http';

export interface ApiCall {
  endpoint: string;
  status: number;
  /** ms since the proxy started, when the request arrived. */
  startMs: number;
  ms: number;
}

export interface EndpointFigures {
  calls: number;
  /** Sum of the calls' durations (calls in flight overlap, so this exceeds wall time). */
  total_s: number;
  median_ms: number;
  max_ms: number;
  /** Wall time during which at least one call of this endpoint was in flight. */
  busy_s: number;
}

/** `GET /images/{name}/json`: names, IDs and the API version prefix taken out. */
export function endpointOf(method: string, url: string): string {
  const p = (url.split('?')[0] ?? '').replace(/^\/v[0-9.]+\//, '/');
  const image = /^\/images\/(.+?)(\/json|\/history|\/tag|\/get|\/push)?$/.exec(p);
  if (image && !['json', 'prune', 'load', 'create', 'search', 'get'].includes(image[1]!)) return `${method} /images/{name}${image[2] ?? ''}`;
  const container = /^\/containers\/([^/]+)(\/.*)?$/.exec(p);
  if (container && container[1] !== 'json' && container[1] !== 'prune' && container[1] !== 'create') return `${method} /containers/{id}${container[2] ?? ''}`;
  return `${method} ${p}`;
}

export class ApiProxy {
  readonly calls: ApiCall[] = [];
  private readonly agent: http.Agent;
  private readonly server: http.Server;
  private readonly t0 = process.hrtime.bigint();

  private constructor(
    readonly target: string,
    readonly socket: string,
  ) {
    // One socket per call in flight, kept open: the proxy itself should cost the engine nothing.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
    this.server = http.createServer((req, res) => {
      const start = this.now();
      const upstream = http.request({ socketPath: target, path: req.url, method: req.method, headers: req.headers, agent: this.agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // Node sends the head with the first body byte: a stream that is quiet at first (GET /events,
        // the removals' watch) would open only at its first event, and the tool waits up to 2 s for that.
        res.flushHeaders();
        answer.pipe(res);
        answer.on('end', () =>
          this.calls.push({ endpoint: endpointOf(req.method ?? 'GET', req.url ?? '/'), status: answer.statusCode ?? 0, startMs: start, ms: this.now() - start }),
        );
      });
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      req.pipe(upstream);
    });
  }

  /** Listens on `socket`, forwarding to the engine's unix socket `target`. */
  static async start(target: string, socket: string): Promise<ApiProxy> {
    fs.rmSync(socket, { force: true });
    const proxy = new ApiProxy(target, socket);
    await new Promise<void>((resolve) => proxy.server.listen(socket, resolve));
    return proxy;
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  /** Forgets the calls so far (one proxy serves several measured runs). */
  reset(): void {
    this.calls.length = 0;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections?.();
    this.agent.destroy();
    fs.rmSync(this.socket, { force: true });
  }

  private now(): number {
    return Number(process.hrtime.bigint() - this.t0) / 1e6;
  }
}

/** Per endpoint: calls, summed and wall time, median and slowest call. */
export function byEndpoint(calls: readonly ApiCall[]): Record<string, EndpointFigures> {
  const groups = new Map<string, ApiCall[]>();
  for (const c of calls) groups.set(c.endpoint, [...(groups.get(c.endpoint) ?? []), c]);
  const out: Record<string, EndpointFigures> = {};
  for (const [endpoint, list] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    const ms = list.map((c) => c.ms).sort((a, b) => a - b);
    out[endpoint] = {
      calls: list.length,
      total_s: round(ms.reduce((s, x) => s + x, 0) / 1000),
      median_ms: round(ms[Math.floor(ms.length / 2)]!, 1),
      max_ms: round(ms[ms.length - 1]!, 1),
      busy_s: round(busy(list) / 1000),
    };
  }
  return out;
}

export interface EndpointSpan {
  endpoint: string;
  calls: number;
  /** When its first call was sent and its last answered, s since the proxy started (the run's start). */
  first_s: number;
  last_s: number;
}

/** Per endpoint, in the order first called: where a run's time went. */
export function timeline(calls: readonly ApiCall[]): EndpointSpan[] {
  const spans = new Map<string, EndpointSpan>();
  for (const c of calls) {
    const span = spans.get(c.endpoint) ?? { endpoint: c.endpoint, calls: 0, first_s: Infinity, last_s: 0 };
    span.calls++;
    span.first_s = Math.min(span.first_s, c.startMs / 1000);
    span.last_s = Math.max(span.last_s, (c.startMs + c.ms) / 1000);
    spans.set(c.endpoint, span);
  }
  return [...spans.values()].sort((a, b) => a.first_s - b.first_s).map((s) => ({ ...s, first_s: round(s.first_s), last_s: round(s.last_s) }));
}

/** Length of the union of the calls' intervals. */
function busy(calls: readonly ApiCall[]): number {
  const spans = calls.map((c) => [c.startMs, c.startMs + c.ms] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of spans) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
