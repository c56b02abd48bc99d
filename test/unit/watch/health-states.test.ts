// The health endpoint's three states and their status codes, and /metrics beside it on the same port.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { healthStateOf, healthStatus, LIVENESS_PATH, startHealthServer, type HealthState, type HealthStateName } from '../../../src/watch/health';

const INTERVAL = 1000;

describe('health states: ok, target-not-met, stale', () => {
  const states: [what: string, state: HealthState, now: number, name: HealthStateName][] = [
    ['a fresh good cycle, no space rule', { startedAt: 0, lastGoodAt: 9500, cycles: 1 }, 10_000, 'ok'],
    ['a fresh good cycle that met the target', { startedAt: 0, lastGoodAt: 9500, cycles: 1, target: { met: true } }, 10_000, 'ok'],
    ['a fresh good cycle short of the target', { startedAt: 0, lastGoodAt: 9500, cycles: 1, target: { met: false, message: 'min-free: short by 1kB' } }, 10_000, 'target-not-met'],
    ['no good cycle for 3 intervals, even short of the target', { startedAt: 0, lastGoodAt: 6000, cycles: 4, target: { met: false } }, 10_000, 'stale'],
    ['before the first cycle, within 3 intervals of the start', { startedAt: 9000, cycles: 0 }, 10_000, 'ok'],
  ];
  for (const [i, [what, state, now, name]] of states.entries()) {
    it(`${i + 1}. ${what} -> ${name}`, () => assert.equal(healthStateOf(state, now, INTERVAL), name));
  }

  const codes: [name: HealthStateName, path: string, status: number][] = [
    ['ok', '/', 200],
    ['ok', LIVENESS_PATH, 200],
    ['target-not-met', '/healthz', 507],
    ['target-not-met', LIVENESS_PATH, 200],
    ['stale', '/healthz', 503],
    ['stale', LIVENESS_PATH, 503],
  ];
  for (const [i, [name, path, status]] of codes.entries()) {
    it(`${states.length + i + 1}. ${name} on ${path} -> ${status}`, () => assert.equal(healthStatus(name, path), status));
  }

  it(`${states.length + codes.length + 1}. over HTTP: the state field, the target's message, /livez alive while short, /metrics on the same port`, async () => {
    const state: HealthState = { startedAt: 0, lastGoodAt: 9500, cycles: 2, target: { met: false, message: 'ensure-free 20GB: only 3GB free' } };
    const server = await startHealthServer({ port: 0, intervalMs: INTERVAL, state: () => state, now: () => 10_000, metrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', text: 'docker_image_cleanup_runs_total{outcome="ok"} 2\n' }) });
    try {
      const health = await get(server.port, '/healthz');
      assert.equal(health.status, 507);
      assert.deepEqual(JSON.parse(health.body), { state: 'target-not-met', healthy: true, cycles: 2, lastGoodCycle: new Date(9500).toISOString(), target: 'ensure-free 20GB: only 3GB free' });
      assert.equal((await get(server.port, LIVENESS_PATH)).status, 200);
      assert.equal((await get(server.port, `${LIVENESS_PATH}?probe=kubelet`)).status, 200, 'a query string changes nothing');
      // A request line no URL parser takes still gets an answer, and the server lives on.
      assert.match(await raw(server.port, 'GET //[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 507 /);
      const metrics = await get(server.port, '/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
      assert.equal(metrics.body, 'docker_image_cleanup_runs_total{outcome="ok"} 2\n');
      state.target = { met: true };
      assert.equal((await get(server.port, '/')).status, 200);
    } finally {
      await server.close();
    }
  });
});

function get(port: number, path: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
      })
      .on('error', reject);
  });
}

function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
    socket.on('data', (c) => (answer += c));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
