/**
 * Docker contexts against the real dockerd: a context (as `docker context create` stores it)
 * whose endpoint is the test engine, named by DOCKER_CONTEXT or by config.json's currentContext.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { runCleanup } from '../../src/app/cleanup';
import { parseSettings } from '../../src/settings/parse';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { EngineUnreachableError } from '../../src/engine/port';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('engine/contexts');

function withEnv<T>(env: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) (v === undefined ? delete process.env[k] : (process.env[k] = v));
  return body().finally(() => {
    for (const [k, v] of Object.entries(saved)) (v === undefined ? delete process.env[k] : (process.env[k] = v));
  });
}

describe(`real engine: found through a docker context: ${ENGINE.name}`, function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    const host = ENGINE.host();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-docker-config-'));
    const id = createHash('sha256').update('agent-engine').digest('hex');
    fs.mkdirSync(path.join(dir, 'contexts', 'meta', id), { recursive: true });
    fs.writeFileSync(path.join(dir, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: 'agent-engine', Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  });

  it('1. DOCKER_CONTEXT names the context; its endpoint is the engine reached', async () => {
    await withEnv({ DOCKER_HOST: undefined, DOCKER_CONTEXT: 'agent-engine', DOCKER_CONFIG: dir }, async () => {
      const engine = new DockerodeEngine();
      const info = await engine.info();
      assert.equal(info.kind, 'docker');
      assert.equal(engine.host, `${ENGINE.host()} (context agent-engine (DOCKER_CONTEXT))`);
    });
  });

  it('2. config.json currentContext (docker context use) when DOCKER_CONTEXT is unset', async () => {
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ currentContext: 'agent-engine' }));
    try {
      await withEnv({ DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, DOCKER_CONFIG: dir }, async () => {
        const out: string[] = [];
        const code = await main(['--dry-run', '--usage-store', 'none'], { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), isTty: false } as any);
        assert.equal(code, 0, out.join(''));
        assert.match(out.join(''), /^DRY RUN/);
      });
    } finally {
      fs.rmSync(path.join(dir, 'config.json'));
    }
  });

  it('3. a context that does not exist: one line naming it, exit 2, nothing done', async () => {
    await withEnv({ DOCKER_HOST: undefined, DOCKER_CONTEXT: 'nowhere', DOCKER_CONFIG: dir }, async () => {
      assert.throws(() => new DockerodeEngine(), EngineUnreachableError);
      const err: string[] = [];
      const code = await main(['--dry-run', '--usage-store', 'none'], { stdout: () => {}, stderr: (t: string) => err.push(t), isTty: false } as any);
      assert.equal(code, 2);
      assert.match(err.join(''), /^docker-image-cleanup: cannot reach the Docker engine at context nowhere: docker context "nowhere" \(DOCKER_CONTEXT\) cannot be read: .*meta\.json.*\n$/);
    });
  });

  it("4. free-path left at its default measures the engine's DockerRootDir when it is visible here, and says so", async () => {
    const engine = new DockerodeEngine({ host: ENGINE.host() });
    const root = ((await engine.docker.info()) as { DockerRootDir: string }).DockerRootDir;
    assert.ok(fs.existsSync(root), `the test engine's data root ${root} is on this machine`);
    const report = await runCleanup(parseSettings({ 'min-free': '1B', 'dry-run': true, 'usage-store': 'none' }), { engine });
    assert.equal(report.freePath, `${root} (the engine's DockerRootDir)`);
    const explicit = await runCleanup(parseSettings({ 'min-free': '1B', 'dry-run': true, 'usage-store': 'none', 'free-path': os.tmpdir() }), { engine });
    assert.equal(explicit.freePath, os.tmpdir(), 'an explicit free-path is measured as given');
  });
});
