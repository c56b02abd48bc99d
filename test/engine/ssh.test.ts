/**
 * ssh:// engines against a real sshd, as the docker CLI uses them: Debian's openssh-server
 * (scripts/engine.sh sshd fetches it into a cache; nothing is installed) on 127.0.0.1 with
 * a host key and a client key generated here, the client key only in an ssh-agent this
 * suite starts (SSH_AUTH_SOCK), and a forced command on that key that runs what the client
 * asks for, `docker system dial-stdio`, against the test engine. The CLI runs as a user
 * runs it, with DOCKER_HOST=ssh://root@127.0.0.1:PORT.
 *
 * As root (CI, this machine) sshd needs its privilege-separation user `sshd` and the folder
 * /run/sshd, which a system without openssh-server lacks: sshd runs in a private mount
 * namespace (unshare) where /etc/passwd is a copy with that user and /run a fresh tmpfs, so
 * the system's files stay as they are. As another user, sshd runs as that user directly.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { loadImages } from '../../src/demo/image-factory';
import { listTags, resetEngine } from '../support/engine';
import { freePort } from '../support/net';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('engine/ssh');

const ROOT = path.resolve(__dirname, '../../..');
const DAY = 86_400_000;


async function waitFor(what: string, ready: () => boolean | Promise<boolean>, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not come up in 10 s:\n${log()}`);
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

describe(`ssh:// engine through a real sshd and the SSH agent (as the docker CLI): ${ENGINE.name}`, function () {
  this.timeout(180_000);
  let docker: Docker;
  let dir: string;
  let bin: string;
  let libs: string;
  let port: number;
  let sshd: ChildProcess | undefined;
  let agent: ChildProcess | undefined;
  let agentSocket: string;
  const commandsLog = () => path.join(dir, 'commands.log');
  const sshdLog = () => path.join(dir, 'sshd.log');
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  const tool = (file: string) => path.join(bin, file);
  const run = (file: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(tool(file), args, { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: libs, ...env } });
    assert.equal(r.status, 0, `${file} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    docker = ENGINE.docker();
    const engineSocket = (ENGINE.host()).replace(/^unix:\/\//, '');
    const dockerCli = spawnSync('bash', ['-c', 'command -v docker'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(dockerCli, 'the docker CLI (Debian docker.io) runs `docker system dial-stdio` on the ssh side');
    const sshdBin = execFileSync('bash', [path.join(ROOT, 'scripts/engine.sh'), 'sshd'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const cache = path.resolve(path.dirname(sshdBin), '..', '..');
    bin = path.join(cache, 'usr', 'bin');
    libs = [path.join(cache, 'lib/x86_64-linux-gnu'), path.join(cache, 'usr/lib/x86_64-linux-gnu')].join(':');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-ssh-'));
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dic-test', '-f', path.join(dir, 'client_key')]);
    // The key may only run the docker CLI's own remote command, against the test engine.
    const forced = `echo "$SSH_ORIGINAL_COMMAND" >> ${commandsLog()}; test "$SSH_ORIGINAL_COMMAND" = "docker system dial-stdio" && DOCKER_HOST=unix://${engineSocket} exec ${dockerCli} system dial-stdio`;
    fs.writeFileSync(path.join(dir, 'authorized_keys'), `command="${forced.replace(/"/g, '\\"')}",no-port-forwarding,no-pty ${read(path.join(dir, 'client_key.pub'))}`);
    port = await freePort();
    // The host is known, as after a first `ssh -p PORT user@127.0.0.1` the user accepted (HOME is dir).
    fs.mkdirSync(path.join(dir, '.ssh'));
    fs.writeFileSync(path.join(dir, '.ssh', 'known_hosts'), `[127.0.0.1]:${port} ${read(path.join(dir, 'host_key.pub')).split(' ').slice(0, 2).join(' ')}\n`);
    const user = os.userInfo().username;
    fs.writeFileSync(
      path.join(dir, 'sshd_config'),
      [
        'ListenAddress 127.0.0.1',
        `Port ${port}`,
        `HostKey ${path.join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AllowUsers ${user}`,
        'StrictModes no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        '',
      ].join('\n'),
    );
    const sshdArgs = [sshdBin, '-D', '-e', '-f', path.join(dir, 'sshd_config')];
    const out = fs.openSync(sshdLog(), 'a');
    if (process.getuid?.() === 0) {
      fs.writeFileSync(path.join(dir, 'passwd'), `${read('/etc/passwd').trimEnd()}\nsshd:x:65533:65534:sshd privilege separation:/run/sshd:/usr/sbin/nologin\n`);
      const script = [`mount --bind ${path.join(dir, 'passwd')} /etc/passwd`, 'mount -t tmpfs tmpfs /run', 'mkdir -m 755 /run/sshd', `exec ${sshdArgs.join(' ')}`].join(' && ');
      sshd = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { env: { ...process.env, LD_LIBRARY_PATH: libs }, stdio: ['ignore', out, out] });
    } else {
      sshd = spawn(sshdArgs[0]!, sshdArgs.slice(1), { env: { ...process.env, LD_LIBRARY_PATH: libs }, stdio: ['ignore', out, out] });
    }
    await waitFor('sshd', () => accepts(port), () => read(sshdLog()));
    // An agent of our own, holding the client key: the only place the key is offered from.
    agentSocket = path.join(dir, 'agent.sock');
    agent = spawn(tool('ssh-agent'), ['-D', '-a', agentSocket], { env: { ...process.env, LD_LIBRARY_PATH: libs }, stdio: 'ignore' });
    await waitFor('ssh-agent', () => fs.existsSync(agentSocket), () => '');
    run('ssh-add', ['-q', path.join(dir, 'client_key')], { SSH_AUTH_SOCK: agentSocket });
    assert.match(run('ssh-add', ['-l'], { SSH_AUTH_SOCK: agentSocket }), /dic-test \(ED25519\)/);
  });

  after(() => {
    sshd?.kill();
    agent?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await resetEngine(docker);
    fs.rmSync(commandsLog(), { force: true });
  });

  /** The CLI as a user runs it, with only DOCKER_HOST and the agent to find the engine. */
  function cli(args: string[], env: Record<string, string | undefined>): { code: number | null; stdout: string; stderr: string } {
    const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, XDG_STATE_HOME: path.join(dir, 'state'), DOCKER_HOST: `ssh://${os.userInfo().username}@127.0.0.1:${port}` };
    for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'docker-image-cleanup.js'), ...args], { encoding: 'utf8', env: childEnv, timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const builds = (n: number) => Array.from({ length: n }, (_, i) => ({ tags: [`app:ci-${i + 1}`], created: new Date(Date.now() - (n - i) * DAY), layers: [{ id: `ssh-app-${i + 1}`, bytes: 20_000 }] }));

  it('1. DOCKER_HOST=ssh://… with the key in the SSH agent: the run cleans the engine behind sshd; every channel ran docker system dial-stdio', async () => {
    await loadImages(docker, builds(3));
    const r = cli(['--keep', '1', '--min-age', '0s', '--usage-store', 'none'], { SSH_AUTH_SOCK: agentSocket });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${read(sshdLog())}`);
    assert.deepEqual(await listTags(docker), ['app:ci-3']);
    assert.match(r.stdout, /Images: 3 seen, 2 removed/);
    const commands = read(commandsLog()).trim().split('\n');
    assert.ok(commands.length >= 3, `several API calls over ssh: ${commands.length}`);
    assert.deepEqual([...new Set(commands)], ['docker system dial-stdio']);
    assert.match(read(sshdLog()), new RegExp(`Accepted publickey for ${os.userInfo().username} from 127\\.0\\.0\\.1 .*ED25519`));
  });

  const refused: { name: string; env: () => Record<string, string | undefined>; message: RegExp }[] = [
    {
      name: 'no SSH agent (SSH_AUTH_SOCK unset)',
      env: () => ({}),
      message: /^docker-image-cleanup: cannot reach the Docker engine at ssh:\/\/\S+@127\.0\.0\.1:\d+ \(DOCKER_HOST\): SSH login refused \(All configured authentication methods failed\): SSH_AUTH_SOCK is not set: keys come from the SSH agent, as for the docker CLI \(start ssh-agent and ssh-add the key\)$/,
    },
    {
      name: 'an agent socket that is not there',
      env: () => ({ SSH_AUTH_SOCK: path.join(dir, 'no-agent.sock') }),
      message: /^docker-image-cleanup: cannot reach the Docker engine at ssh:\/\/\S+ \(DOCKER_HOST\): the SSH agent at SSH_AUTH_SOCK=\S+no-agent\.sock does not answer \(.+\); start ssh-agent and point SSH_AUTH_SOCK at it$/,
    },
  ];
  for (const [i, c] of refused.entries()) {
    it(`${2 + i}. ${c.name}: exit 2, one line naming the endpoint and what to do; nothing removed`, async () => {
      await loadImages(docker, builds(3));
      const r = cli(['--keep', '0', '--min-age', '0s', '--usage-store', 'none'], c.env());
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      const lines = r.stderr.split('\n').filter((l) => l && !/DEP0170|--trace-deprecation/.test(l));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, c.message);
      assert.equal((await listTags(docker)).length, 3, 'nothing removed');
    });
  }

  /** A HOME whose known_hosts says what the test wants about 127.0.0.1's key. */
  function homeWith(knownHosts: string | undefined): string {
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    if (knownHosts !== undefined) {
      fs.mkdirSync(path.join(home, '.ssh'));
      fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), knownHosts);
    }
    return home;
  }

  const untrusted: { name: string; knownHosts: () => string | undefined }[] = [
    { name: 'an unknown host (no known_hosts)', knownHosts: () => undefined },
    { name: 'an unknown host (known_hosts lists others)', knownHosts: () => `build01 ${read(path.join(dir, 'host_key.pub')).split(' ').slice(0, 2).join(' ')}\n` },
    // What a machine in the middle presents: a key other than the one the user accepted.
    { name: 'a changed host key', knownHosts: () => `[127.0.0.1]:${port} ${read(path.join(dir, 'client_key.pub')).split(' ').slice(0, 2).join(' ')}\n` },
  ];
  for (const [i, c] of untrusted.entries()) {
    it(`${5 + i}. ${c.name}: refused before any API call, as OpenSSH without a terminal; exit 2, one line; nothing removed`, async () => {
      await loadImages(docker, builds(2));
      const r = cli(['--keep', '0', '--min-age', '0s', '--usage-store', 'none'], { SSH_AUTH_SOCK: agentSocket, HOME: homeWith(c.knownHosts()) });
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      const lines = r.stderr.split('\n').filter((l) => l && !/DEP0170|--trace-deprecation/.test(l));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^docker-image-cleanup: cannot reach the Docker engine at ssh:\/\/\S+ \(DOCKER_HOST\): the SSH host key is not one known_hosts lists for this host \(unknown host, or its key changed\); check it and accept it once with ssh, as the docker CLI needs \(files read: \S+home-\w+\/\.ssh\/known_hosts, /);
      assert.equal((await listTags(docker)).length, 2, 'nothing removed');
      assert.equal(read(commandsLog()), '', 'no command ran');
    });
  }

  it('4. an agent that holds another key: the login is refused with that said; nothing removed', async () => {
    await loadImages(docker, builds(2));
    const otherSocket = path.join(dir, 'other-agent.sock');
    const other = spawn(tool('ssh-agent'), ['-D', '-a', otherSocket], { env: { ...process.env, LD_LIBRARY_PATH: libs }, stdio: 'ignore' });
    try {
      await waitFor('second ssh-agent', () => fs.existsSync(otherSocket), () => '');
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'stranger_key')]);
      run('ssh-add', ['-q', path.join(dir, 'stranger_key')], { SSH_AUTH_SOCK: otherSocket });
      const r = cli(['--keep', '0', '--min-age', '0s', '--usage-store', 'none'], { SSH_AUTH_SOCK: otherSocket });
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /SSH login refused \(All configured authentication methods failed\): none of the keys the SSH agent at SSH_AUTH_SOCK=\S+other-agent\.sock holds was accepted; add the right one with ssh-add/);
      assert.equal((await listTags(docker)).length, 2, 'nothing removed');
      assert.equal(read(commandsLog()), '', 'no command ran');
    } finally {
      other.kill();
    }
  });
});
