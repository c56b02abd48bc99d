// deploy/systemd/ checked by systemd itself, offline: `systemd-analyze verify` (a missing
// ExecStart binary fails it; a misspelled key only warns, so its output is read too) and
// `systemd-analyze security --offline` (the exposure of the hardened services). No systemd runs
// here as PID 1, so the units are not started; their command lines are parsed as the CLI parses
// them. Without systemd-analyze on PATH, Debian's systemd package is fetched and unpacked (not
// installed), as scripts/engine.sh fetches engines; when that cannot be done the suite fails.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCliArgs } from '../../../src/cli/args';
import { watchConfig } from '../../../src/cli/watch';
import { defaultStateDir } from '../../../src/app/session';
import { parseSettings } from '../../../src/settings/parse';

const ROOT = path.resolve(__dirname, '../../../..');
const DIR = path.join(ROOT, 'deploy', 'systemd');
const SERVICES = ['docker-image-cleanup.service', 'docker-image-cleanup-once.service'];
const UNITS = [...SERVICES, 'docker-image-cleanup-once.timer'];
/** Where the units expect the CLI (`npm install -g` with the usual /usr/local prefix). */
const INSTALLED = '/usr/local/bin/docker-image-cleanup';
const read = (file: string) => fs.readFileSync(path.join(DIR, file), 'utf8');

interface Tool {
  bin: string;
  env: NodeJS.ProcessEnv;
}

/** systemd-analyze from PATH, or from Debian's packages unpacked into a cache (DIC_SYSTEMD_ANALYZE=fetch forces that). */
function systemdAnalyze(): Tool {
  const onPath = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
  if (onPath && process.env.DIC_SYSTEMD_ANALYZE !== 'fetch') return { bin: onPath, env: process.env };
  const cache = path.join(os.tmpdir(), 'docker-image-cleanup-systemd-analyze');
  const root = path.join(cache, 'root');
  const bin = path.join(root, 'usr', 'bin', 'systemd-analyze');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(cache, { recursive: true });
    // apt-get download writes the .deb files here; dpkg -x unpacks without running any maintainer script.
    const download = spawnSync('apt-get', ['download', 'systemd', 'libsystemd-shared'], { cwd: cache, encoding: 'utf8', timeout: 300_000 });
    assert.equal(download.status, 0, `systemd-analyze is not on PATH and Debian's systemd package could not be fetched: ${download.stderr || download.error}`);
    for (const deb of fs.readdirSync(cache).filter((f) => f.endsWith('.deb'))) {
      const unpack = spawnSync('dpkg', ['-x', path.join(cache, deb), root], { encoding: 'utf8' });
      assert.equal(unpack.status, 0, `dpkg -x ${deb}: ${unpack.stderr}`);
    }
  }
  const libs = fs.readdirSync(path.join(root, 'usr', 'lib')).map((d) => path.join(root, 'usr', 'lib', d, 'systemd')).filter((d) => fs.existsSync(path.join(d)));
  assert.ok(fs.existsSync(bin), `no systemd-analyze in Debian's systemd package under ${root}`);
  return { bin, env: { ...process.env, LD_LIBRARY_PATH: libs.join(':') } };
}

/** The units in a folder of their own, ExecStart pointing at this checkout's CLI (the installed path does not exist here). */
function stage(edit: (file: string, text: string) => string = (_f, t) => t): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-systemd-'));
  for (const unit of UNITS) fs.writeFileSync(path.join(dir, unit), edit(unit, read(unit).replaceAll(INSTALLED, path.join(ROOT, 'bin', 'docker-image-cleanup.js'))));
  return dir;
}

function run(tool: Tool, args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync(tool.bin, args, { cwd, env: { ...tool.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' }, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** verify's verdict: its exit status, and every line it printed (a warning is a problem too). */
function verify(tool: Tool, dir: string): string[] {
  const r = run(tool, ['verify', '--man=no', ...UNITS.map((u) => path.join(dir, u))], dir);
  const lines = r.output === '' ? [] : r.output.split('\n');
  return r.status === 0 ? lines : [`exit ${r.status}`, ...lines];
}

/** `Key=value` lines of a unit (the last wins, as systemd reads a single-valued key). */
function keys(unit: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of read(unit).split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) map.set(m[1]!, m[2]!);
  }
  return map;
}

describe('deploy/systemd units (systemd-analyze, offline)', function () {
  this.timeout(300_000);
  let tool: Tool;
  const staged: string[] = [];
  before(() => {
    tool = systemdAnalyze();
  });
  after(() => staged.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const stageFor = (edit?: (file: string, text: string) => string) => {
    const dir = stage(edit);
    staged.push(dir);
    return dir;
  };

  it('1. systemd-analyze verify accepts the watch service, the one-shot service and its timer without a single warning', () => {
    assert.deepEqual(verify(tool, stageFor()), []);
  });

  it('2. the check catches what it is for: a misspelled key (only a warning to systemd) and a missing ExecStart binary', () => {
    const misspelled = verify(tool, stageFor((f, t) => (f === SERVICES[0] ? t.replace('ProtectSystem=strict', 'ProtectSystme=strict') : t)));
    assert.ok(misspelled.some((l) => /Unknown key 'ProtectSystme'/.test(l)), misspelled.join('\n'));
    const missing = verify(tool, stageFor((f, t) => (f === SERVICES[1] ? t.replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/docker-image-cleanup') : t)));
    assert.ok(missing.some((l) => /\/nonexistent\/docker-image-cleanup is not executable/.test(l)), missing.join('\n'));
  });

  for (const [i, service] of SERVICES.entries()) {
    it(`${3 + i}. ${service}: hardened (a dynamic user in the docker group, read-only system, no new privileges), exposure 2.0 or less by systemd-analyze security`, () => {
      const k = keys(service);
      for (const [key, value] of Object.entries({ DynamicUser: 'yes', SupplementaryGroups: 'docker', StateDirectory: 'docker-image-cleanup', ProtectSystem: 'strict', ProtectHome: 'yes', NoNewPrivileges: 'yes', PrivateTmp: 'yes', CapabilityBoundingSet: '' })) {
        assert.equal(k.get(key), value, `${key}=${value}`);
      }
      // The CLI keeps its usage record under $XDG_STATE_HOME/docker-image-cleanup: that is the StateDirectory.
      assert.equal(defaultStateDir({ XDG_STATE_HOME: k.get('Environment')!.replace(/^XDG_STATE_HOME=/, '') }), `/var/lib/${k.get('StateDirectory')}`);
      const dir = stageFor();
      const r = run(tool, ['security', '--offline=true', path.join(dir, service)], dir);
      const exposure = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.output);
      assert.ok(exposure, r.output.slice(-500));
      assert.ok(Number(exposure[1]) <= 2.0, `exposure ${exposure[1]}`);
    });
  }

  it('5. the timer starts the one-shot service (same name), hourly, and catches up after downtime', () => {
    const k = keys('docker-image-cleanup-once.timer');
    assert.equal(k.get('Unit'), undefined, 'the timer starts the service of its own name');
    assert.ok(fs.existsSync(path.join(DIR, 'docker-image-cleanup-once.service')));
    assert.equal(k.get('OnCalendar'), 'hourly');
    assert.equal(k.get('Persistent'), 'true');
  });

  it('6. both command lines, with the example policy (docker-image-cleanup.env) expanded as systemd splits $CLEANUP_OPTS, parse as the CLI parses them', () => {
    const opts = /^CLEANUP_OPTS=(.*)$/m.exec(read('docker-image-cleanup.env'))![1]!;
    for (const service of SERVICES) {
      const words = keys(service).get('ExecStart')!.split(/\s+/);
      assert.equal(words[0], INSTALLED);
      const argv = words.slice(1).flatMap((w) => (w === '$CLEANUP_OPTS' ? opts.split(/\s+/) : [w]));
      const args = parseCliArgs(argv);
      assert.equal(args.command, service === SERVICES[0] ? 'watch' : 'cleanup');
      const settings = parseSettings(args.raw);
      assert.equal(settings.keep, 2);
      assert.equal(settings.maxRemovals, 500);
      if (args.command === 'watch') assert.equal(watchConfig(args).healthFile, '/var/lib/docker-image-cleanup/healthy');
    }
  });
});
