#!/usr/bin/env node
// Bundles the CLI (src/cli) into one self-contained CommonJS file for the
// cleaner's own image: build/cli.cjs (not committed; the Dockerfile copies it).
//
//   node deploy/build-cli.mjs              writes build/cli.cjs
//   node deploy/build-cli.mjs --outfile F  writes F
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--outfile');
const outfile = path.resolve(outIndex >= 0 ? args[outIndex + 1] : path.join(root, 'build', 'cli.cjs'));
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

await esbuild.build({
  absWorkingDir: root,
  stdin: {
    // The same as bin/docker-image-cleanup.js, against the sources.
    contents: "require('./src/cli/main').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });",
    resolveDir: root,
    sourcefile: 'cli-entry.js',
    loader: 'js',
  },
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Optional native add-ons of ssh2 (loaded in try/catch, pure-JS fallback).
  external: ['cpu-features', '*.node'],
  // ESM-only dependencies use import.meta.url; in the bundle it is the bundle's own URL.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "#!/usr/bin/env node\nvar __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [
    {
      // main.ts reads the version from ../../../package.json (right for lib/src/cli); bake it in.
      name: 'package-version',
      setup(build) {
        build.onResolve({ filter: /package\.json$/ }, (a) => (a.importer.endsWith(path.join('src', 'cli', 'main.ts')) ? { path: 'package.json', namespace: 'version' } : undefined));
        build.onLoad({ filter: /.*/, namespace: 'version' }, () => ({ contents: JSON.stringify({ version }), loader: 'json' }));
      },
    },
  ],
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
});
console.log(`build-cli: ${path.relative(root, outfile)} ${(readFileSync(outfile).length / 1e6).toFixed(2)} MB`);
