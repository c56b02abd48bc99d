import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextError, endpointOptions, resolveEndpoint, sshFailure, tlsFailure } from '../../../src/engine/connection';

/** A DOCKER_CONFIG folder with contexts as `docker context create` writes them. */
function configDir(contexts: Record<string, { host: string; tls?: boolean; skip?: boolean }>, current?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-contexts-'));
  if (current !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: {}, currentContext: current }));
  for (const [name, c] of Object.entries(contexts)) {
    const id = createHash('sha256').update(name).digest('hex');
    fs.mkdirSync(path.join(dir, 'contexts', 'meta', id), { recursive: true });
    fs.writeFileSync(path.join(dir, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: c.host, SkipTLSVerify: c.skip ?? false } } }));
    if (c.tls) {
      const tls = path.join(dir, 'contexts', 'tls', id, 'docker');
      fs.mkdirSync(tls, { recursive: true });
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(tls, f), `${name} ${f}`);
    }
  }
  return dir;
}

describe('finding the engine as the docker CLI does', () => {
  const dir = configDir({ ci: { host: 'tcp://ci.example:2376', tls: true }, local: { host: 'unix:///run/ctx.sock' } }, 'local');
  const none = () => false;
  const cases: [string, string | undefined, NodeJS.ProcessEnv, string, string][] = [
    ['1. the host setting wins', 'unix:///set.sock', { DOCKER_HOST: 'tcp://env:2375', DOCKER_CONTEXT: 'ci', DOCKER_CONFIG: dir }, 'unix:///set.sock', 'host setting'],
    ['2. DOCKER_HOST before any context', undefined, { DOCKER_HOST: 'tcp://env:2375', DOCKER_CONTEXT: 'ci', DOCKER_CONFIG: dir }, 'tcp://env:2375', 'DOCKER_HOST'],
    ['3. DOCKER_CONTEXT before config.json', undefined, { DOCKER_CONTEXT: 'ci', DOCKER_CONFIG: dir }, 'tcp://ci.example:2376', 'context ci (DOCKER_CONTEXT)'],
    ['4. config.json currentContext (docker context use)', undefined, { DOCKER_CONFIG: dir }, 'unix:///run/ctx.sock', `context local (currentContext in ${path.join(dir, 'config.json')})`],
    ['5. the context "default" is no context', undefined, { DOCKER_CONTEXT: 'default', DOCKER_CONFIG: dir }, 'unix:///var/run/docker.sock', 'default socket'],
    ['6. ~/.docker when DOCKER_CONFIG is unset', undefined, { HOME: path.dirname(dir) }, 'unix:///var/run/docker.sock', 'default socket'],
  ];
  for (const [title, host, env, expected, source] of cases) {
    it(title, () => {
      const e = resolveEndpoint(host, env, none);
      assert.equal(e.host, expected);
      assert.equal(e.source, source);
    });
  }

  it("7. a context's TLS material: https with its ca, cert and key", () => {
    const e = resolveEndpoint(undefined, { DOCKER_CONTEXT: 'ci', DOCKER_CONFIG: dir }, none);
    const o = endpointOptions(e) as any;
    assert.deepEqual([o.protocol, o.host, o.port], ['https', 'ci.example', '2376']);
    assert.equal(String(o.ca), 'ci ca.pem');
    assert.equal(String(o.cert), 'ci cert.pem');
    assert.equal(String(o.key), 'ci key.pem');
  });

  it('8. a context that does not exist is an error naming it, where it was named, and the file', () => {
    assert.throws(
      () => resolveEndpoint(undefined, { DOCKER_CONTEXT: 'gone', DOCKER_CONFIG: dir }, none),
      (e: unknown) => e instanceof ContextError && /docker context "gone" \(DOCKER_CONTEXT\) cannot be read: .*contexts\/meta\/[0-9a-f]{64}\/meta\.json/.test(e.message),
    );
  });

  it('9. rootless: $XDG_RUNTIME_DIR/docker.sock when the system socket is absent', () => {
    const env = { XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/nonexistent' };
    assert.deepEqual(resolveEndpoint(undefined, env, (p) => p === '/run/user/1000/docker.sock'), { host: 'unix:///run/user/1000/docker.sock', source: 'rootless socket ($XDG_RUNTIME_DIR)' });
    assert.equal(resolveEndpoint(undefined, env, () => true).host, 'unix:///var/run/docker.sock', 'the system socket first when both exist');
  });

  it('10. ssh:// uses the SSH agent as the docker CLI does (SSH_AUTH_SOCK), and known_hosts to check the host', () => {
    const o = endpointOptions({ host: 'ssh://ci@build-7:2222', source: 'host setting' }, { SSH_AUTH_SOCK: '/tmp/agent.sock', HOME: '/nonexistent' }) as any;
    assert.deepEqual([o.protocol, o.host, o.port, o.username, o.sshOptions.agent], ['ssh', 'build-7', 2222, 'ci', '/tmp/agent.sock']);
    // no known_hosts under that HOME: the host's key is refused, whatever it is
    assert.equal(o.sshOptions.hostVerifier(Buffer.from('any key')), false);
  });

  it('11. DOCKER_TLS_VERIFY with DOCKER_CERT_PATH', () => {
    const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-certs-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(certs, f), f);
    const o = endpointOptions(resolveEndpoint(undefined, { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs }, none)) as any;
    assert.equal(o.protocol, 'https');
    assert.equal(String(o.ca), 'ca.pem');
  });
});

describe('TLS and SSH failures as one line saying what to do', () => {
  const tls: [string, { code: string; message: string }, string | undefined, RegExp | undefined][] = [
    ['1. another CA signed the daemon', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' }, '/h/.docker/contexts/tls/x/docker', /^its TLS certificate does not verify against \/h\/\.docker\/contexts\/tls\/x\/docker\/ca\.pem \(unable to verify the first certificate\); replace that ca\.pem with/],
    ['2. no ca.pem at all', { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }, undefined, /^its TLS certificate does not verify against the system's CAs .*give DOCKER_CERT_PATH or the context the ca\.pem/],
    ['3. the daemon wants a client certificate', { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'a\nlong\nopenssl text' }, '/certs', /^it refused this client's TLS certificate \(TLS alert: certificate required\); put a client certificate its CA signed in \/certs as cert\.pem and key\.pem$/],
    ['3b. the same alert as Node 24 names it', { code: 'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE', message: 'ssl/tls alert bad certificate' }, '/certs', /^it refused this client's TLS certificate \(TLS alert: bad certificate\);/],
    ['4. anything else is not a TLS failure', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, '/certs', undefined],
  ];
  for (const [name, err, dir, expected] of tls) {
    it(name, () => {
      const got = tlsFailure(err, dir);
      if (!expected) return assert.equal(got, undefined);
      assert.match(got!.message, expected);
      assert.ok(!got!.message.includes('\n'), 'one line');
    });
  }

  const ssh: [string, { level: string; message: string }, NodeJS.ProcessEnv, RegExp][] = [
    ['5. no agent', { level: 'client-authentication', message: 'All configured authentication methods failed' }, {}, /SSH_AUTH_SOCK is not set: keys come from the SSH agent/],
    ['6. the agent holds no accepted key', { level: 'client-authentication', message: 'All configured authentication methods failed' }, { SSH_AUTH_SOCK: '/a.sock' }, /none of the keys the SSH agent at SSH_AUTH_SOCK=\/a\.sock holds was accepted; add the right one with ssh-add/],
    ['7. the agent does not answer', { level: 'agent', message: 'Failed to connect to agent' }, { SSH_AUTH_SOCK: '/gone.sock' }, /^the SSH agent at SSH_AUTH_SOCK=\/gone\.sock does not answer/],
    ['8. anything else keeps its level', { level: 'client-socket', message: 'connect ECONNREFUSED' }, {}, /^SSH client-socket: connect ECONNREFUSED$/],
  ];
  for (const [name, err, env, expected] of ssh) it(name, () => assert.match(sshFailure(err, env).message, expected));
});
