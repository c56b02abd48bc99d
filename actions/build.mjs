#!/usr/bin/env node
// Builds the GitHub Action: type-checks actions/src together with the core it
// imports, bundles the three steps (pre, main, post) into one CommonJS file
// dist/index.cjs, writes dist/<step>.cjs (two lines each: start that step of it),
// and the licences of everything bundled.
// The output depends only on the sources and node_modules, so
// actions/check-dist.sh can rebuild it elsewhere and compare.
//
//   node actions/build.mjs                 writes dist/
//   node actions/build.mjs --outdir DIR    writes DIR (check-dist.sh)
//   node actions/build.mjs --no-typecheck  bundle only
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { bundledLicences, nodeBundleOptions, stepsEntry, stepStarter } from '../scripts/bundle-options.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const STEPS = ['pre', 'main', 'post'];

const args = process.argv.slice(2);
const outIndex = args.indexOf('--outdir');
const outdir = path.resolve(outIndex >= 0 ? args[outIndex + 1] : path.join(root, 'dist'));
if (outIndex >= 0 && !args[outIndex + 1]) fail('--outdir needs a directory');

// 1. Type-check (esbuild only strips types).
if (!args.includes('--no-typecheck')) {
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'actions', 'tsconfig.json')], {
    stdio: 'inherit',
  });
  if (tsc.status !== 0) fail('type errors in the Action sources');
}

// 2. Bundle: one self-contained file for the three steps, which share nearly all of it.
// actions/src/<step>.ts exports run() (what @github/local-action calls); the runner starts
// dist/<step>.cjs with plain `node`, which starts that run() of the bundle.
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const BUNDLE = 'index.cjs';
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['steps:'],
  outfile: path.join(outdir, BUNDLE),
  ...nodeBundleOptions,
  charset: 'utf8',
  metafile: true,
  plugins: [...nodeBundleOptions.plugins, stepsEntry(path.join(root, 'actions', 'src'), STEPS)],
});
for (const step of STEPS) writeFileSync(path.join(outdir, `${step}.cjs`), stepStarter(BUNDLE, step));

// 3. Licences of every package that ended up in a bundle, in a stable order.
const { text: licences, count: bundledPackages } = bundledLicences(result.metafile, root);
writeFileSync(path.join(outdir, 'licenses.txt'), licences);

const rel = path.relative(root, outdir) || '.';
const size = readFileSync(path.join(outdir, BUNDLE)).length;
console.log(`build:action: ${rel}/${BUNDLE} ${(size / 1e6).toFixed(2)} MB, started by ${STEPS.map((s) => `${rel}/${s}.cjs`).join(', ')}`);
console.log(`build:action: ${bundledPackages} bundled packages, licences in ${rel}/licenses.txt`);

function fail(message) {
  console.error(`build:action: ${message}`);
  process.exit(1);
}
