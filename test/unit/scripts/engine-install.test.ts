import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * scripts/engine.sh's package step, with apt-get replaced by a script that
 * records its calls and holds "the lock" for its first answers (the system's
 * apt is never touched). PATH holds only the tools the script uses, so
 * dockerd, podman and busybox all look missing.
 */
const ENGINE_SH = path.resolve(__dirname, '..', '..', '..', '..', 'scripts', 'engine.sh');
const TOOLS = ['id', 'grep', 'seq', 'sleep', 'cksum', 'cut', 'cat', 'mkdir', 'rm', 'dirname', 'sort', 'pkill', 'umount', 'tail'];

function sandbox(lockedAnswers: number): { bin: string; calls: () => string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-apt-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const tool of TOOLS) {
    const real = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (real.startsWith('/')) fs.symlinkSync(real, path.join(bin, tool));
  }
  const log = path.join(dir, 'calls');
  fs.writeFileSync(
    path.join(bin, 'apt-get'),
    `#!/bin/bash\nn=$(/usr/bin/cat "${log}" 2>/dev/null | /usr/bin/wc -l)\necho "$*" >> "${log}"\n` +
      `if [ "$n" -lt ${lockedAnswers} ]; then echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2; exit 100; fi\nexit 0\n`,
    { mode: 0o755 },
  );
  return { bin, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []) };
}

function engineSh(args: string[], bin: string) {
  // The sleep between lock checks is real (5 s): keep the locked answers few.
  return spawnSync('/bin/bash', [ENGINE_SH, ...args], { encoding: 'utf8', env: { PATH: bin, DIC_ENGINE_DIR: path.join(bin, '..', 'engines') }, timeout: 60_000 });
}

/** busybox is looked for at /bin/busybox, outside the sandbox's PATH. */
const BUSYBOX = fs.existsSync('/bin/busybox') ? '' : ' busybox-static';

describe('scripts/engine.sh installs what the command needs', function () {
  this.timeout(60_000);

  it('1. another apt holds the lock: it says so, waits and retries instead of failing', () => {
    const { bin, calls } = sandbox(1);
    const r = engineSh(['install'], bin);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /engine: another apt or dpkg holds the lock \(\/var\/lib\/dpkg\/lock-frontend\); waiting for it \(up to 10 minutes\)/);
    assert.equal(r.stderr.match(/waiting for it/g)?.length, 1, 'said once, not per retry');
    assert.deepEqual(calls(), ['update -qq', 'update -qq', `install -y -qq docker.io${BUSYBOX} podman`]);
  });

  it('2. any other apt failure fails at once with apt\'s message', () => {
    const { bin } = sandbox(0);
    fs.writeFileSync(path.join(bin, 'apt-get'), '#!/bin/bash\necho "E: Unable to locate package docker.io" >&2; exit 100\n');
    const r = engineSh(['install'], bin);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Unable to locate package docker\.io/);
    assert.doesNotMatch(r.stderr, /waiting/);
  });

  const commands: { args: string[]; packages: string }[] = [
    { args: ['start', 'h16-apt'], packages: `docker.io${BUSYBOX}` },
    { args: ['reset', 'h16-apt'], packages: `docker.io${BUSYBOX}` },
    { args: ['podman-start', 'h16-apt'], packages: `podman${BUSYBOX}` },
  ];
  for (const [i, c] of commands.entries()) {
    it(`${i + 3}. ${c.args[0]} asks apt for ${c.packages} only (the demo needs no podman)`, () => {
      const { bin, calls } = sandbox(0);
      // The engine itself cannot start in this sandbox (apt installed nothing): only the package step matters.
      engineSh(c.args, bin);
      assert.deepEqual(calls().filter((l) => l.startsWith('install')), [`install -y -qq ${c.packages}`]);
    });
  }
});
