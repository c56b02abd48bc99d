import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { resetEngine } from '../support/engine';
import { docPages, ROOT } from '../support/markdown';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('readme-commands/readme');

/**
 * Every documented command that runs the CLI, copy-pasted: the shell blocks are
 * read from README.md and docs/*.md, each line that runs `npx docker-image-cleanup` (or the
 * bare command) runs as written from the checkout, with the test engine as
 * DOCKER_HOST (the only thing swapped in), against an engine seeded like a small agent.
 */

const PAGES = docPages().map((page) => ({ page, markdown: fs.readFileSync(path.join(ROOT, page), 'utf8') }));
const DAY = 24 * 3_600_000;

/** Lines of ```bash / ```sh blocks, with `\` continuations joined. */
export function shellCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/^```(?:bash|sh|shell)\n([\s\S]*?)^```/gm)) {
    const joined = block[1]!.replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) if (line.trim()) commands.push(line.trim());
  }
  return commands;
}

/** The CLI as a command of its own (not `npm install … docker-image-cleanup`, nor an image name in `docker run`). */
const RUNS_CLI = /^(npx )?docker-image-cleanup(\s|$)/;

const BUSYBOX: LayerSpec = { id: 'busybox', busybox: true };
function agent(): ImageSpec[] {
  const node: ImageSpec = { tags: ['node:20-alpine'], created: new Date(Date.now() - 90 * DAY), layers: [BUSYBOX, { id: 'node-20', bytes: 5000 }] };
  const builds = [3286, 3287, 3288, 3289, 3290, 3291].map((n, i) => ({
    tags: [`fooproject:ci-${n}`],
    created: new Date(Date.now() - (6 - i) * DAY),
    layers: [...node.layers, { id: `fooproject-${n}`, bytes: 2000 }],
  }));
  return [node, ...builds, { tags: [], created: new Date(Date.now() - 5 * DAY), layers: [BUSYBOX, { id: 'leftover', bytes: 1000 }] }];
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs one documented line through bash; a watch without --once is stopped with SIGTERM after its first cycle. */
function run(command: string, env: NodeJS.ProcessEnv): Promise<Finished> {
  const longRunning = / watch /.test(command) && !/--once/.test(command);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`timed out: ${command}\n${out}\n${err}`));
    }, 90_000);
    child.stdout.on('data', (d) => {
      out += d;
      // One good cycle logged: stop it the way a DaemonSet or systemd does.
      // Only the CLI's own process: npx passes its exit code on.
      if (longRunning && /cycle 1 ok/.test(out)) for (const pid of cliProcesses(child.pid!)) process.kill(pid, 'SIGTERM');
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

/** The node processes of a process group that run the CLI's bin (npx runs it as a child). */
function cliProcesses(group: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (pgrp === group && /bin\/docker-image-cleanup(\.js)?\0/.test(cmdline + '\0') && /node/.test(cmdline.split('\0')[0]!)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

describe(`README and docs/ commands, copy-pasted against the test engine: ${ENGINE.name}`, function () {
  this.timeout(180_000);
  const documented = PAGES.flatMap(({ page, markdown }) => shellCommands(markdown).filter((c) => RUNS_CLI.test(c)).map((command) => ({ page, command })));
  const commands = documented.map((d) => d.command);
  let docker: Docker;
  let env: NodeJS.ProcessEnv;
  let stateDir: string;

  before(() => {
    docker = ENGINE.docker();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-readme-'));
    env = { ...process.env, DOCKER_HOST: ENGINE.host(), XDG_STATE_HOME: stateDir, CI: 'true' };
  });
  after(() => {
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('1. the docs have CLI commands to run (the extraction finds the usage and fleet examples)', () => {
    assert.ok(commands.length >= 5, commands.join('\n'));
    assert.ok(commands.some((c) => / watch .*--once/.test(c)));
    // Every CLI line is runnable as written: npx from the checkout, no placeholders.
    for (const c of commands) {
      assert.match(c, /^npx docker-image-cleanup/, `not runnable after npm ci (use npx): ${c}`);
      assert.doesNotMatch(c.replace(/#.*$/, ''), /\.\.\.|…|<[a-z ]+>/, `placeholder in: ${c}`);
    }
  });

  for (const [i, { page, command }] of documented.entries()) {
    it(`${i + 2}. ${page}: ${command}`, async () => {
      await resetEngine(docker);
      await loadImages(docker, agent());
      const r = await run(command, env);
      const log = `\n--- stdout\n${r.out}\n--- stderr\n${r.err}`;
      assert.equal(r.code, 0, `exit ${r.code ?? r.signal}${log}`);
      assert.doesNotMatch(r.err, /^\s+at /m, `a stack trace${log}`);
    });
  }
});
