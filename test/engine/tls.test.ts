/**
 * A TLS docker context against a real TLS dockerd: a CA, a server and a client certificate
 * made here with openssl, a dockerd 20.10 serving the Engine API on 127.0.0.1 with
 * --tlsverify (scripts/engine.sh tls-reset NAME), and a docker context as `docker context
 * create` stores it (contexts/meta + contexts/tls under a temporary HOME) made current in
 * config.json (`docker context use`). The CLI runs as a user runs it, with no DOCKER_HOST.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { loadImages } from '../../src/demo/image-factory';
import { listTags, resetEngine } from '../support/engine';
import { freePort } from '../support/net';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('engine/tls');

const ROOT = path.resolve(__dirname, '../../..');
const DAY = 86_400_000;
const CONTEXT = 'tls-ci';

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
}

/** A CA (self-signed) in `dir`/<name>.pem and its key. */
function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`], dir);
}

/** A certificate signed by the CA `ca`, for the server (127.0.0.1) or a client. */
function makeCert(dir: string, ca: string, name: string, ext: string): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial', '-out', `${name}-cert.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
}


describe(`a TLS docker context against a real dockerd with --tlsverify of its own: ${ENGINE.name}`, function () {
  this.timeout(180_000);
  const name = `${process.env.DIC_TEST_ENGINE ?? 'test'}-tls`;
  let dir: string;
  let certs: string;
  let home: string;
  let tlsHost: string;
  let docker: Docker;
  const contextId = createHash('sha256').update(CONTEXT).digest('hex');
  const tlsDir = () => path.join(home, '.docker', 'contexts', 'tls', contextId, 'docker');

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-tls-'));
    certs = path.join(dir, 'certs');
    fs.mkdirSync(certs);
    makeCa(certs, 'ca');
    makeCert(certs, 'ca', 'server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    makeCert(certs, 'ca', 'client', 'extendedKeyUsage=clientAuth\n');
    makeCa(certs, 'other-ca');
    const port = await freePort();
    const out = execFileSync('bash', [path.join(ROOT, 'scripts/engine.sh'), 'tls-reset', name, certs, String(port)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n');
    const unix = out.find((l) => l.startsWith('unix://'))!;
    tlsHost = out.find((l) => l.startsWith('tcp://'))!;
    assert.equal(tlsHost, `tcp://127.0.0.1:${port}`);
    // The harness talks to the same daemon over its unix socket.
    docker = new Docker({ socketPath: unix.slice('unix://'.length) });

    // `docker context create tls-ci --docker host=tcp://…,ca=…,cert=…,key=…` and `docker context use tls-ci`.
    home = path.join(dir, 'home');
    const meta = path.join(home, '.docker', 'contexts', 'meta', contextId);
    fs.mkdirSync(meta, { recursive: true });
    fs.writeFileSync(path.join(meta, 'meta.json'), JSON.stringify({ Name: CONTEXT, Metadata: {}, Endpoints: { docker: { Host: tlsHost, SkipTLSVerify: false } } }));
    fs.writeFileSync(path.join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: CONTEXT }));
  });

  after(() => {
    execFileSync('bash', [path.join(ROOT, 'scripts/engine.sh'), 'stop', name], { stdio: 'ignore' });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The context's TLS folder holds these files from the certificates made above (ca.pem, cert.pem, key.pem). */
  function contextTls(files: Record<string, string>): void {
    fs.rmSync(tlsDir(), { recursive: true, force: true });
    fs.mkdirSync(tlsDir(), { recursive: true });
    for (const [as, from] of Object.entries(files)) fs.copyFileSync(path.join(certs, from), path.join(tlsDir(), as));
  }

  beforeEach(async () => {
    await resetEngine(docker);
    await loadImages(docker, [1, 2, 3].map((n) => ({ tags: [`app:ci-${n}`], created: new Date(Date.now() - (4 - n) * DAY), layers: [{ id: `tls-app-${n}`, bytes: 20_000 }] })));
  });

  /** The CLI as a user runs it: HOME with the context, no DOCKER_HOST or DOCKER_CONTEXT. */
  function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_STATE_HOME: path.join(dir, 'state') };
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'docker-image-cleanup.js'), ...args], { encoding: 'utf8', env, timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const contextNamed = `\\(context ${CONTEXT} \\(currentContext in ${path.join(os.tmpdir(), 'dic-tls-')}\\w+/home/\\.docker/config\\.json\\)\\)`;

  it('1. the current context (config.json) with its tls/ folder: the run reaches the TLS engine and cleans it', async () => {
    contextTls({ 'ca.pem': 'ca.pem', 'cert.pem': 'client-cert.pem', 'key.pem': 'client-key.pem' });
    const r = cli(['--keep', '1', '--min-age', '0s', '--usage-store', 'none']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /Engine: docker 20\.10/);
    assert.match(r.stdout, /Images: 3 seen, 2 removed/);
    assert.deepEqual(await listTags(docker), ['app:ci-3']);
  });

  const failures: { name: string; files: Record<string, string>; message: RegExp }[] = [
    {
      name: 'a ca.pem of another CA',
      files: { 'ca.pem': 'other-ca.pem', 'cert.pem': 'client-cert.pem', 'key.pem': 'client-key.pem' },
      message: /its TLS certificate does not verify against \S+\/contexts\/tls\/[0-9a-f]{64}\/docker\/ca\.pem \([^)]+\); replace that ca\.pem with the CA that signed the daemon's certificate$/,
    },
    {
      name: 'no client certificate',
      files: { 'ca.pem': 'ca.pem' },
      message: /it refused this client's TLS certificate \(TLS alert: [a-z ]+\); put a client certificate its CA signed in \S+\/contexts\/tls\/[0-9a-f]{64}\/docker as cert\.pem and key\.pem$/,
    },
  ];
  for (const [i, c] of failures.entries()) {
    it(`${2 + i}. ${c.name}: exit 2, one line naming the endpoint, its context and what to do; nothing removed`, async () => {
      contextTls(c.files);
      const r = cli(['--keep', '0', '--min-age', '0s', '--usage-store', 'none']);
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`^docker-image-cleanup: cannot reach the Docker engine at ${tlsHost.replace(/\./g, '\\.')} ${contextNamed}: `));
      assert.match(lines[0]!, c.message);
      assert.equal((await listTags(docker)).length, 3, 'nothing removed');
    });
  }
});
