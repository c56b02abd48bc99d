#!/usr/bin/env node
// Cuts a release in this checkout: one version for the npm package, the Azure task and
// extension, and the Kubernetes example's image tag; rebuilds the Action's dist/ and the
// .vsix; commits; tags vX.Y.Z and moves the major tag (v1) to it. Pushes nothing.
//
//   npm run release -- 1.2.0
//   git push origin HEAD v1.2.0 && git push --force origin v1     (printed at the end)
//
// The tag's workflow (.github/workflows/release.yml) then builds the release assets.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const version = process.argv[2] ?? '';
const [major, minor, patch] = version.split('.').map(Number);
const run = (command, args, options = {}) => execFileSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });
const git = (...args) => run('git', args).trim();

if (!/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(version)) fail(`the version must be MAJOR.MINOR.PATCH (e.g. 1.2.0), not '${version}'`);
const current = JSON.parse(read('package.json')).version;
if (compare(version, current) <= 0) fail(`${version} is not newer than the current version ${current}`);
if (git('status', '--porcelain') !== '') fail('the working tree has uncommitted changes; commit or stash them first');
if (git('tag', '--list', `v${version}`) !== '') fail(`the tag v${version} exists already`);

// 1. The version, everywhere it is written (npm also updates package-lock.json).
run('npm', ['version', version, '--no-git-tag-version'], { stdio: ['ignore', 'ignore', 'inherit'] });
edit('tasks/DockerImageCleanupV1/task.json', /("Major":\s*)\d+(,\s*"Minor":\s*)\d+(,\s*"Patch":\s*)\d+/, `$1${major}$2${minor}$3${patch}`);
edit('vss-extension.json', /("version":\s*")[^"]+(")/, `$1${version}$2`);
edit('deploy/kubernetes/daemonset.yaml', /(image: \S+\/docker-image-cleanup:)\S+/, `$1${version}`);

// 2. What is built from it: the Action's committed bundles and the extension package.
run('node', ['actions/build.mjs'], { stdio: ['ignore', 'inherit', 'inherit'] });
run('node', ['tasks/build.mjs'], { stdio: ['ignore', 'inherit', 'inherit'] });
run('bash', ['tasks/package.sh', 'vsix'], { stdio: ['ignore', 'inherit', 'inherit'] });

// 3. Commit, tag, move the major tag.
git('add', '--all', 'package.json', 'package-lock.json', 'tasks/DockerImageCleanupV1/task.json', 'vss-extension.json', 'deploy', 'dist');
git('commit', '--quiet', '-m', `Release ${version}`);
git('tag', '--annotate', `v${version}`, '-m', `docker-image-cleanup ${version}`);
git('tag', '--force', `v${major}`, `v${version}^{commit}`);
console.log(`release: ${version} committed, tagged v${version}, v${major} moved to it; vsix/ holds the extension package`);
console.log(`release: publish with  git push origin HEAD v${version} && git push --force origin v${major}`);

function read(file) {
  return readFileSync(path.join(root, file), 'utf8');
}

/** Replaces the first match in a file, keeping its formatting; the pattern must match. */
function edit(file, pattern, replacement) {
  const text = read(file);
  if (!pattern.test(text)) fail(`${file}: no version found (${pattern})`);
  writeFileSync(path.join(root, file), text.replace(pattern, replacement));
}

function compare(a, b) {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

function fail(message) {
  console.error(`release: ${message}`);
  process.exit(1);
}
