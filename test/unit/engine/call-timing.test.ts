// The deadline wrapper times every Engine API call for watch mode's latency histogram:
// paths become low-cardinality endpoint labels, and each call's outcome is named.
import { strict as assert } from 'node:assert';
import { endpointOf, withDeadlines, type EngineCallTiming } from '../../../src/engine/connection';

describe('engine call timing (the deadline wrapper)', () => {
  const paths: [path: string, endpoint: string][] = [
    ['/v1.41/images/json?all=false', '/images/json'],
    ['/images/sha256:' + 'a'.repeat(64) + '/json', '/images/{name}/json'],
    ['/v1.45/images/registry.example:5000/team/app:ci-1/json', '/images/{name}/json'],
    ['/images/docker.io/library/app:ci-1/history', '/images/{name}/history'],
    ['/images/app:ci-1?noprune=1', '/images/{name}'],
    ['/images/sha256:' + 'b'.repeat(64) + '?', '/images/{name}'],
    ['/images/app/tag?repo=x&tag=y', '/images/{name}/tag'],
    ['/images/load?quiet=1', '/images/load'],
    ['/containers/json?all=true', '/containers/json'],
    ['/containers/0123abcd/json', '/containers/{name}/json'],
    ['/containers/0123abcd?v=false', '/containers/{name}'],
    ['/containers/create?name=lock', '/containers/create'],
    ['/volumes/buildx_buildkit_old0_state', '/volumes/{name}'],
    ['/volumes?filters=x', '/volumes'],
    ['/build/prune?all=1', '/build/prune'],
    ['/system/df?type=volume', '/system/df'],
    ['/events?since=1&until=2', '/events'],
    ['/v1.24/_ping', '/_ping'],
    ['', '/'],
  ];
  for (const [i, [path, endpoint]] of paths.entries()) {
    it(`${i + 1}. ${path || '(empty)'} -> ${endpoint}`, () => assert.equal(endpointOf(path), endpoint));
  }

  /** A modem whose dial answers as scripted, after `ms`. */
  function modem(answer: { err?: unknown; data?: unknown; ms?: number; never?: boolean }) {
    return {
      dial(_options: unknown, callback: (err: unknown, data?: unknown) => void) {
        if (!answer.never) setTimeout(() => callback(answer.err ?? null, answer.data), answer.ms ?? 0);
      },
    };
  }

  async function call(answer: Parameters<typeof modem>[0], timeoutMs = 1000): Promise<{ timing: EngineCallTiming; err: unknown }> {
    const timings: EngineCallTiming[] = [];
    const docker = { modem: modem(answer) };
    withDeadlines(docker, 'unix:///test.sock', timeoutMs, (t) => timings.push(t));
    const err = await new Promise((resolve) => (docker.modem as any).dial({ method: 'DELETE', path: '/images/app:1?noprune=1' }, (e: unknown) => resolve(e)));
    assert.equal(timings.length, 1, 'told once per call');
    return { timing: timings[0]!, err };
  }

  const outcomes: [what: string, answer: Parameters<typeof modem>[0], outcome: EngineCallTiming['outcome'], timeoutMs?: number][] = [
    ['an answer', { data: [], ms: 30 }, 'answered'],
    ['a 409 is an answer too', { err: Object.assign(new Error('conflict'), { statusCode: 409 }) }, 'answered'],
    ['a refused connection is lost', { err: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }, 'lost'],
    ['no answer within the deadline is a timeout', { never: true }, 'timeout', 40],
    ['any other failure is an error', { err: new Error('socket hang up') }, 'error'],
  ];
  for (const [i, [what, answer, outcome, timeoutMs]] of outcomes.entries()) {
    it(`${paths.length + i + 1}. ${what}: ${outcome}`, async () => {
      const { timing } = await call(answer, timeoutMs);
      assert.equal(timing.outcome, outcome);
      assert.equal(timing.method, 'DELETE');
      assert.equal(timing.endpoint, '/images/{name}');
      assert.ok(timing.seconds >= 0 && timing.seconds < 5, String(timing.seconds));
    });
  }

  it(`${paths.length + outcomes.length + 1}. the time is the call's: at least the span the engine took, on the same clock`, async () => {
    // The modem times itself from dial to answer (timers may fire early on the wall clock): the wrapper's span encloses it.
    let took = 0;
    const docker = {
      modem: {
        dial(_options: unknown, callback: (err: unknown, data?: unknown) => void) {
          const started = process.hrtime.bigint();
          setTimeout(() => {
            took = Number(process.hrtime.bigint() - started) / 1e9;
            callback(null, []);
          }, 30);
        },
      },
    };
    const timings: EngineCallTiming[] = [];
    withDeadlines(docker, 'unix:///test.sock', 1000, (t) => timings.push(t));
    await new Promise((resolve) => (docker.modem as any).dial({ method: 'DELETE', path: '/images/app:1' }, resolve));
    assert.ok(took > 0);
    assert.ok(timings[0]!.seconds >= took, `${timings[0]!.seconds} s timed, the engine took ${took} s`);
  });

  it(`${paths.length + outcomes.length + 2}. an observer that throws never fails the engine call`, async () => {
    const docker = { modem: modem({ data: 'ok' }) };
    withDeadlines(docker, 'unix:///test.sock', 1000, () => {
      throw new Error('metrics broke');
    });
    const data = await new Promise((resolve, reject) => (docker.modem as any).dial({ path: '/info' }, (e: unknown, d: unknown) => (e ? reject(e) : resolve(d))));
    assert.equal(data, 'ok');
  });
});
