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
import { nodeBundleOptions } from '../scripts/bundle-options.mjs';

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
  ...nodeBundleOptions,
  banner: { js: `#!/usr/bin/env node\n${nodeBundleOptions.banner.js}` },
  plugins: [
    ...nodeBundleOptions.plugins,
    {
      // main.ts reads the version from ../../../package.json (right for lib/src/cli); bake it in.
      name: 'package-version',
      setup(build) {
        build.onResolve({ filter: /package\.json$/ }, (a) => (a.importer.endsWith(path.join('src', 'cli', 'main.ts')) ? { path: 'package.json', namespace: 'version' } : undefined));
        build.onLoad({ filter: /.*/, namespace: 'version' }, () => ({ contents: JSON.stringify({ version }), loader: 'json' }));
      },
    },
  ],
});
console.log(`build-cli: ${path.relative(root, outfile)} ${(readFileSync(outfile).length / 1e6).toFixed(2)} MB`);
