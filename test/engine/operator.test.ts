import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { main, type CliIo } from '../../src/cli/main';
import { loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { imageIds, listTags, resetEngine } from '../support/engine';
import { engineProxy } from '../support/proxy';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('engine/operator');

/**
 * What an operator sees from the CLI against the real dockerd: the words, the
 * exit codes, and that no failure path prints a stack trace. Faults the engine
 * cannot be asked for (a 500, a daemon dying mid-run) come from a proxy in
 * front of the real socket that forwards everything else.
 */

const DAY = 24 * 3_600_000;
const BUSYBOX: LayerSpec = { id: 'busybox', busybox: true };
const ago = (ms: number) => new Date(Date.now() - ms);

function builds(repo: string, n: number): ImageSpec[] {
  return Array.from({ length: n }, (_, i) => ({ tags: [`${repo}:ci-${i + 1}`], created: ago((n - i) * DAY), layers: [BUSYBOX, { id: `${repo}-${i + 1}`, bytes: 2000 }] }));
}

const dangling = (n: number): ImageSpec[] => Array.from({ length: n }, (_, i) => ({ tags: [], created: ago(3 * DAY), layers: [BUSYBOX, { id: `leftover-${i}`, bytes: 1000 }] }));

interface Run {
  code: number;
  out: string;
  err: string;
}

/** The CLI in process, as a pipe sees it (no TTY), with a clock the test may drive. */
async function cli(argv: string[], io: Partial<CliIo> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main([...argv, '--usage-store', 'none'], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTty: false, ...io });
  return { code, out, err };
}

const STACK_LINE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

describe(`real engine: what an operator sees (CLI): ${ENGINE.name}`, function () {
  this.timeout(180_000);
  let docker: Docker;
  let host: string;
  let stateDir: string;
  const savedState = process.env.XDG_STATE_HOME;

  before(() => {
    docker = ENGINE.docker();
    host = ENGINE.host();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-operator-'));
    process.env.XDG_STATE_HOME = stateDir;
  });
  after(() => {
    if (savedState === undefined) delete process.env.XDG_STATE_HOME;
    else process.env.XDG_STATE_HOME = savedState;
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await resetEngine(docker);
  });

  it("1. --repositories 'nomatch/**' leaves dangling images alone and says the pattern matches nothing", async () => {
    await loadImages(docker, [...builds('app', 3), ...dangling(3)]);
    const before = await imageIds(docker);
    const r = await cli(['--host', host, '--min-age', '0', '--keep', '1', '--repositories', 'nomatch/**']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(await imageIds(docker), before);
    assert.match(r.out, /Nothing to remove\./);
    assert.match(r.out, /warning: repositories "nomatch\/\*\*" matches no repository: nothing is removed on its account/);
    assert.match(r.out, /<none>.*untagged: in no repository of the scope \(repositories\)/);
  });

  it('2. a mistyped --current on a real run warns at the top and in the warnings', async () => {
    await loadImages(docker, builds('app', 3));
    const r = await cli(['--host', host, '--min-age', '0', '--keep', '5', '--current', 'app:ci-33', '--protect', 'nodee:*']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out.split('\n')[0]!, /^WARNING: current "app:ci-33" matches no image/);
    assert.match(r.out, /warning: protect "nodee:\*" matches no image: it protects nothing/);
  });

  it('3. a refused run prints the plan it refused, its counts, and suggests --dry-run; nothing is removed', async () => {
    await loadImages(docker, builds('app', 6));
    const r = await cli(['--host', host, '--min-age', '0', '--keep', '1', '--max-removals', '2']);
    assert.equal(r.code, 3);
    assert.match(r.out, /^REFUSED: refusing to remove 5 images: max-removals is 2; nothing was removed/);
    assert.match(r.out, /app:ci-1 +would be removed/);
    assert.match(r.out, /Images: 6 seen, 5 to remove/);
    assert.match(r.err, /run with --dry-run to see it whole/);
    assert.equal((await listTags(docker)).length, 6);
  });

  it('4. progress without a TTY: a line per 10% on a long run, then the total time; the report ends with a Time line', async () => {
    await loadImages(docker, builds('app', 24));
    const r = await cli(['--host', host, '--min-age', '0', '--keep', '2']);
    assert.equal(r.code, 0, r.err);
    const lines = r.err.trim().split('\n');
    assert.ok(lines.length >= 8 && lines.length <= 11, r.err);
    for (const l of lines.slice(0, -1)) assert.match(l, /^removing \d+\/22 \(\d+%\), \d+\.\ds$/);
    assert.match(lines[lines.length - 1]!, /^removed 22\/22 in \d+\.\ds$/);
    assert.match(r.out, /^Time: \d+\.\d+s$/m);
  });

  it('5. a short run prints no progress lines', async () => {
    await loadImages(docker, builds('app', 4));
    const r = await cli(['--host', host, '--min-age', '0', '--keep', '2']);
    assert.equal(r.err, '');
  });

  describe('failures: one line naming what failed and what to do; --json answers in JSON', () => {
    const cases: { name: string; argv: (h: string) => string[]; code: number; err: RegExp; kind?: string }[] = [
      { name: '6. bad input', argv: () => ['--keep', '-1'], code: 2, err: /keep.*-1/, kind: 'bad-input' },
      { name: '7. an unknown flag', argv: () => ['--kepe', '2'], code: 2, err: /kepe/, kind: 'bad-input' },
      { name: '8. an unreachable engine', argv: () => ['--host', 'unix:///nonexistent/docker.sock'], code: 2, err: /cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker\.sock/, kind: 'engine-unreachable' },
    ];
    for (const c of cases) {
      it(`${c.name}: exit ${c.code}, stderr one line, --json a JSON error on stdout`, async () => {
        const plain = await cli(c.argv(host));
        assert.equal(plain.code, c.code);
        assert.equal(plain.out, '');
        assert.match(plain.err, c.err);
        assert.equal(plain.err.trim().split('\n').length, 1, plain.err);
        const json = await cli([...c.argv(host), '--json']);
        assert.equal(json.code, c.code);
        const answer = JSON.parse(json.out);
        assert.equal(answer.error.kind, c.kind);
        assert.match(answer.error.message, c.err);
        assert.equal(answer.exitCode, c.code);
      });
    }

    it('9. the daemon answers 500: one line, no stack trace; --debug shows the details', async () => {
      await loadImages(docker, builds('app', 3));
      const proxy = await engineProxy(host, (req) => (req.url?.includes('/images/json') ? 'fail-500' : 'forward'));
      try {
        const r = await cli(['--host', proxy.host, '--min-age', '0', '--keep', '1']);
        assert.equal(r.code, 2);
        assert.equal(r.out, '');
        assert.match(r.err, /^docker-image-cleanup: the engine failed a request \(HTTP 500: injected fault\); nothing further was attempted\. Check the engine .* and run again\n$/);
        assert.doesNotMatch(r.err, STACK_LINE);
        const debug = await cli(['--host', proxy.host, '--min-age', '0', '--keep', '1', '--debug']);
        assert.match(debug.err, STACK_LINE);
        assert.match(debug.err, /engine answer: HTTP 500 \{"message":"injected fault"\}/);
        const json = await cli(['--host', proxy.host, '--min-age', '0', '--json']);
        assert.equal(JSON.parse(json.out).error.kind, 'failed');
      } finally {
        await proxy.close();
      }
      assert.equal((await listTags(docker)).length, 3);
    });

    it('10. the engine dies mid-run: one line per failure, no stack trace', async () => {
      await loadImages(docker, builds('app', 6));
      let dead = false;
      const proxy = await engineProxy(host, (req) => {
        if (req.method === 'DELETE') dead = true;
        return dead ? 'drop' : 'forward';
      });
      try {
        const r = await cli(['--host', proxy.host, '--min-age', '0', '--keep', '1']);
        assert.notEqual(r.code, 0);
        assert.doesNotMatch(r.err + r.out, STACK_LINE);
        assert.match(r.err, /^docker-image-cleanup: .*(lost the connection to the engine|socket hang up|ECONNRESET)/m);
      } finally {
        await proxy.close();
      }
    });
  });
});
