#!/usr/bin/env node
// Builds the Azure Pipelines task: type-checks tasks/*/src, bundles the three entries
// (main, pre, post) into one CommonJS file tasks/DockerImageCleanupV1/dist/index.js,
// writes dist/<entry>.js (two lines each, what task.json names: start that entry of it),
// and the third-party licences of everything bundled next to them.
//
//   node tasks/build.mjs            (after npm ci; `npm run build` is not required)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { bundledLicences, nodeBundleOptions, stepsEntry, stepStarter } from '../scripts/bundle-options.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const taskDir = path.join(root, 'tasks', 'DockerImageCleanupV1');
const dist = path.join(taskDir, 'dist');
const require = createRequire(path.join(root, 'package.json'));
const ENTRIES = ['main', 'pre', 'post'];

// 1. Type-check the task sources together with the core they import.
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tasks', 'tsconfig.json')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  console.error('build: type errors in the task sources');
  process.exit(1);
}

// 2. Bundle. Optional native add-ons stay external: ssh2 requires cpu-features and its
// sshcrypto.node inside try/catch and falls back to pure JavaScript without them.
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const BUNDLE = 'index.js';
const result = await esbuild.build({
  absWorkingDir: root,
  // src/<entry>.ts exports run(); one bundle exports all three, dist/<entry>.js starts one.
  entryPoints: ['steps:'],
  outfile: path.join(dist, BUNDLE),
  ...nodeBundleOptions,
  metafile: true,
  plugins: [...nodeBundleOptions.plugins, stepsEntry(path.join(taskDir, 'src'), ENTRIES)],
  // task-lib loads resource files with a computed require(); that is meant to stay dynamic.
  logOverride: { 'unsupported-require-call': 'silent' },
});

for (const entry of ENTRIES) writeFileSync(path.join(dist, `${entry}.js`), stepStarter(BUNDLE, entry));

// 3. Files the bundled modules read next to themselves at run time. azure-pipelines-task-lib
// >= 5.x embeds its messages (lib-resource.js); older versions read lib.json + Strings/.
const taskLibDir = path.dirname(require.resolve('azure-pipelines-task-lib/package.json'));
if (!existsSync(path.join(taskLibDir, 'lib-resource.js'))) {
  copyFileSync(path.join(taskLibDir, 'lib.json'), path.join(dist, 'lib.json'));
  const strings = path.join(taskLibDir, 'Strings');
  if (existsSync(strings)) copyDir(strings, path.join(dist, 'Strings'));
}

// 4. Licences of every package that ended up in a bundle.
const { text: licences, count: bundledPackages } = bundledLicences(result.metafile, root);
writeFileSync(path.join(dist, 'THIRD_PARTY_LICENSES.txt'), licences);

const size = readFileSync(path.join(dist, BUNDLE)).length;
console.log(`build: dist/${BUNDLE} ${(size / 1e6).toFixed(2)} MB, started by ${ENTRIES.map((e) => `dist/${e}.js`).join(', ')}`);
console.log(`build: ${bundledPackages} bundled packages, licences in dist/THIRD_PARTY_LICENSES.txt`);

function copyDir(from, to) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [src, dst] = [path.join(from, entry.name), path.join(to, entry.name)];
    if (entry.isDirectory()) copyDir(src, dst);
    else copyFileSync(src, dst);
  }
}
