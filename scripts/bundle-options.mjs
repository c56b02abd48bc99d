// esbuild options every bundle of this project shares (GitHub Action, Azure
// task, the cleaner's container CLI): one self-contained CommonJS file per
// entry, loadable by Node 20 and 24 with no node_modules beside it.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const nodeBundleOptions = {
  bundle: true,
  platform: 'node',
  // The fronts declare node24 / Node24+Node20_1; node20 keeps bundles loadable by the tests on Node 20.
  target: 'node20',
  format: 'cjs',
  // Optional native add-ons: ssh2 requires cpu-features and its sshcrypto.node inside
  // try/catch and falls back to pure JavaScript when they are missing.
  external: ['cpu-features', '*.node'],
  // ESM-only dependencies (@actions/core's tree, tinyglobby -> fdir) use import.meta.url;
  // in the CommonJS bundle it is the URL of the bundle file itself.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
};

/**
 * An esbuild plugin for entries named `<prefix>:<name>`: each is a module that imports
 * run() from <dir>/<name>.ts and starts it, so the sources export run() (for tools that
 * call it, such as @github/local-action) while the bundle starts itself under `node`.
 */
export function selfStartingEntries(prefix, dir) {
  const filter = new RegExp(`^${prefix}:`);
  return {
    name: 'self-starting-entries',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path.slice(prefix.length + 1), namespace: prefix }));
      build.onLoad({ filter: /.*/, namespace: prefix }, (args) => ({
        contents: `import { run } from ${JSON.stringify(`./${args.path}`)};\nvoid run();\n`,
        resolveDir: dir,
        loader: 'ts',
      }));
    },
  };
}

/**
 * The licence text of every package esbuild put into a bundle (from its metafile), one
 * block per name@version in a stable order: what a bundle that ships without
 * node_modules must carry beside it.
 */
export function bundledLicences(metafile, root) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'));
    if (!match || packages.has(match[1])) continue;
    const dir = path.join(root, match[1]);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const licenceFile = readdirSync(dir)
      .sort()
      .find((f) => /^(licen[sc]e|copying)(\..*)?$/i.test(f));
    packages.set(match[1], {
      name: pkg.name,
      version: pkg.version,
      license: typeof pkg.license === 'string' ? pkg.license : JSON.stringify(pkg.license ?? 'UNKNOWN'),
      text: licenceFile ? readFileSync(path.join(dir, licenceFile), 'utf8').trim() : '(no licence file in the package)',
    });
  }
  const text = [...new Map([...packages.values()].map((p) => [`${p.name}@${p.version}`, p])).values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1))
    .map((p) => `${p.name}@${p.version} (${p.license})\n\n${p.text}\n`)
    .join(`\n${'-'.repeat(72)}\n\n`);
  return { text, count: packages.size };
}
