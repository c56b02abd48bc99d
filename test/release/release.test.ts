// `npm run release -- X.Y.Z` in a throwaway repository made from this checkout's files
// (tracked and new, as they are now): it must bump every version, rebuild dist/ and the
// .vsix, commit, tag vX.Y.Z and move the major tag, and refuse what it must. This
// checkout's own repository is never touched (checked at the end).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

describe('release script (npm run release -- X.Y.Z) in a temporary repository', function () {
  this.timeout(300_000);
  let repo: string;
  let current: string;
  const tagsHere = () => sh(ROOT, 'git', 'tag', '--list').stdout;
  let tagsBefore: string;

  function sh(cwd: string, command: string, ...args: string[]) {
    return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}` } });
  }
  function ok(cwd: string, command: string, ...args: string[]): string {
    const r = sh(cwd, command, ...args);
    assert.equal(r.status, 0, `${command} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim();
  }
  const release = (...args: string[]) => sh(repo, 'npm', 'run', '--silent', 'release', '--', ...args);
  const json = (file: string) => JSON.parse(fs.readFileSync(path.join(repo, file), 'utf8'));

  before(() => {
    tagsBefore = tagsHere();
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-release-'));
    const files = ok(ROOT, 'git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z').split('\0').filter((f) => f && fs.existsSync(path.join(ROOT, f)));
    for (const file of files) fs.cpSync(path.join(ROOT, file), path.join(repo, file), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
    ok(repo, 'git', 'init', '--quiet', '--initial-branch', 'main');
    ok(repo, 'git', 'config', 'user.email', 'release-test@example.invalid');
    ok(repo, 'git', 'config', 'user.name', 'release test');
    ok(repo, 'git', 'add', '--all');
    ok(repo, 'git', 'commit', '--quiet', '-m', 'before the release');
    current = json('package.json').version;
    ok(repo, 'git', 'tag', `v${current.split('.')[0]}`); // the major tag, to be moved
  });
  after(() => fs.rmSync(repo, { recursive: true, force: true }));

  const refusals: { args: string[]; message: RegExp }[] = [
    { args: ['1.2'], message: /MAJOR\.MINOR\.PATCH/ },
    { args: ['v9.0.0'], message: /MAJOR\.MINOR\.PATCH/ },
    { args: [], message: /MAJOR\.MINOR\.PATCH/ },
    { args: ['0.0.1'], message: /not newer than the current version/ },
  ];
  for (const [i, c] of refusals.entries()) {
    it(`${i + 1}. refuses ${JSON.stringify(c.args.join(' '))} and changes nothing`, () => {
      const r = release(...c.args);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, c.message);
      assert.equal(ok(repo, 'git', 'status', '--porcelain'), '');
    });
  }

  it('5. refuses a working tree with uncommitted changes', () => {
    fs.appendFileSync(path.join(repo, 'README.md'), '\nunsaved\n');
    const r = release('9.8.7');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /uncommitted changes/);
    ok(repo, 'git', 'checkout', '--', 'README.md');
  });

  it('6. the next minor: every version bumped, dist/ and the .vsix rebuilt, committed, tagged, the major tag moved', () => {
    const [major, minor] = current.split('.').map(Number) as [number, number];
    const next = `${major}.${minor + 1}.0`;
    const majorTagBefore = ok(repo, 'git', 'rev-parse', `v${major}^{commit}`);
    const r = release(next);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(json('package.json').version, next);
    assert.equal(json('package-lock.json').version, next);
    assert.equal(json('package-lock.json').packages[''].version, next);
    assert.deepEqual(json('tasks/DockerImageCleanupV1/task.json').version, { Major: major, Minor: minor + 1, Patch: 0 });
    assert.equal(json('vss-extension.json').version, next);
    assert.ok(fs.readFileSync(path.join(repo, 'deploy/kubernetes/daemonset.yaml'), 'utf8').includes(`/docker-image-cleanup:${next}\n`));
    assert.ok(fs.existsSync(path.join(repo, 'vsix', `docker-image-cleanup.docker-image-cleanup-${next}.vsix`)));
    assert.equal(ok(repo, 'git', 'status', '--porcelain'), '', 'everything committed');
    assert.equal(ok(repo, 'git', 'log', '-1', '--format=%s'), `Release ${next}`);
    const head = ok(repo, 'git', 'rev-parse', 'HEAD');
    assert.equal(ok(repo, 'git', 'rev-parse', `v${next}^{commit}`), head);
    assert.equal(ok(repo, 'git', 'cat-file', '-t', `v${next}`), 'tag', 'an annotated tag');
    assert.notEqual(majorTagBefore, head);
    assert.equal(ok(repo, 'git', 'rev-parse', `v${major}^{commit}`), head, `v${major} moved to the release`);
    assert.equal(sh(repo, 'bash', 'actions/check-dist.sh').status, 0, 'dist/ is a fresh build');
    assert.ok(r.stdout.includes(`git push origin HEAD v${next} && git push --force origin v${major}`), r.stdout);
  });

  it('7. a version whose tag exists is refused', () => {
    ok(repo, 'git', 'tag', 'v99.0.0');
    const again = release('99.0.0');
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /v99\.0\.0 exists already/);
  });

  it('8. this checkout got no tag', () => {
    assert.equal(tagsHere(), tagsBefore);
  });
});
