// The npm package as a user gets it: `npm pack` (which builds lib/ in its prepack script),
// the tarball installed into an empty folder with its registry dependencies, then
// `npx docker-image-cleanup` there: --version, and a dry run against the real test engine.
// The pack runs in a copy of the sources, so this checkout's lib/ (which the running suite
// loads) is never rebuilt under it. Every step runs on the Node that runs the suite: scripts/test.sh
// runs it on Node 24 and again on Node 20, the lowest its `engines` accept.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { loadImages, type ImageSpec } from '../../src/demo/image-factory';
import { resetEngine } from '../support/engine';
import { engineOf } from '../support/suite-engines';

/** The engine this suite runs on (test/support/suite-engines.ts says why one). */
const ENGINE = engineOf('package/npm-package');

const ROOT = path.resolve(__dirname, '../../..');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const DAY = 24 * 3_600_000;

describe('npm package (npm pack -> install the tarball into an empty folder -> npx)', function () {
  this.timeout(300_000);
  let work: string;
  let packed: { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] };
  let consumer: string;
  // This Node first on PATH: npm, npx and the installed bin all run on it.
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, npm_config_update_notifier: 'false' };
  const npm = (cwd: string, ...args: string[]) => {
    const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8' });
    assert.equal(r.status, 0, `npm ${args.join(' ')} in ${cwd}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const npx = (...args: string[]) => spawnSync('npx', ['--no-install', 'docker-image-cleanup', ...args], { cwd: consumer, env, encoding: 'utf8' });

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-npm-package-'));
    // What prepack needs to build: the sources, their tsconfig, and the dev tools (node_modules).
    const source = path.join(work, 'source');
    fs.mkdirSync(source);
    for (const entry of ['package.json', 'tsconfig.json', 'README.md', 'LICENSE', 'bin', 'src']) {
      fs.cpSync(path.join(ROOT, entry), path.join(source, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir');
    [packed] = JSON.parse(npm(source, 'pack', '--json', '--pack-destination', work));
    consumer = path.join(work, 'consumer');
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, 'package.json'), '{"name":"consumer","private":true}\n');
    npm(consumer, 'install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, packed.filename));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('1. the tarball holds the bin, the compiled core and CLI, README, LICENSE: no sources, tests, bundles or demo', () => {
    const files = packed.files.map((f) => f.path).sort();
    console.log(`      npm pack: ${packed.filename}, ${files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'bin/docker-image-cleanup.js', 'bin/runner-hook.sh', 'lib/src/cli/main.js', 'lib/src/index.js']) {
      assert.ok(files.includes(needed), `${needed} in the tarball`);
    }
    const unexpected = files.filter((f) => !/^(package\.json|README\.md|LICENSE|bin\/[\w-]+\.js|bin\/runner-hook\.sh|lib\/src\/(?!demo\/)[\w/-]+\.js)$/.test(f));
    assert.deepEqual(unexpected, []);
    assert.ok(packed.size < 500_000, `${packed.size} bytes packed`);
  });

  it('2. installing the tarball runs no build: lib/ arrives compiled, with the registry dependencies beside it', () => {
    const installed = path.join(consumer, 'node_modules', 'docker-image-cleanup');
    assert.ok(fs.existsSync(path.join(installed, 'lib', 'src', 'cli', 'main.js')));
    assert.ok(!fs.existsSync(path.join(installed, 'src')), 'no TypeScript sources');
    for (const dep of Object.keys(PACKAGE.dependencies)) assert.ok(fs.existsSync(path.join(consumer, 'node_modules', dep, 'package.json')), `${dep} installed`);
  });

  it('3. npx docker-image-cleanup --version prints the package version', () => {
    const r = npx('--version');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), PACKAGE.version);
  });

  describe(`against the test engine: ${ENGINE.name}`, () => {
    let docker: Docker;
    before(async () => {
      docker = ENGINE.docker();
      await resetEngine(docker);
    });

    it('4. npx docker-image-cleanup --dry-run plans the removals and removes nothing', async () => {
      const builds: ImageSpec[] = Array.from({ length: 3 }, (_, i) => ({
        tags: [`app:ci-${i + 1}`],
        created: new Date(Date.now() - (3 - i) * DAY),
        layers: [{ id: 'base', bytes: 20_000 }, { id: `app-${i + 1}`, bytes: 20_000 }],
      }));
      await loadImages(docker, builds);
      const r = npx('--dry-run', '--keep', '1', '--min-age', '0', '--usage-store', 'none', '--host', ENGINE.host());
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /DRY RUN/);
      assert.match(r.stdout, /app:ci-1/);
      assert.match(r.stdout, /2 to remove/);
      const tags = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []).sort();
      assert.deepEqual(tags, ['app:ci-1', 'app:ci-2', 'app:ci-3']);
    });
  });
});
