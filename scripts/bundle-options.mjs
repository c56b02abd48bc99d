// esbuild options every bundle of this project shares (GitHub Action, Azure
// task, the cleaner's container CLI): one self-contained CommonJS file per
// front, loadable by Node 20 and 24 with no node_modules beside it.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Modules a dependency loads that no code path of this tool reaches, left out of every bundle:
 * esbuild gets, in their place, a module that throws, naming what is missing, if it is ever
 * called. dockerode loads its BuildKit session (gRPC: @grpc/grpc-js, @grpc/proto-loader) as it
 * loads, and its BuildKit progress decoder (protobufjs) in followProgress(): this tool builds no
 * image and follows no build (both also read .proto files beside dockerode, which no bundle has).
 * @actions/http-client loads undici for getAgentDispatcher() (a fetch dispatcher through a proxy),
 * which @actions/core never calls.
 */
const LEFT_OUT = [
  {
    importer: 'dockerode',
    module: './session',
    what: "dockerode's BuildKit session (buildImage with version 2, over gRPC)",
    stub: 'module.exports = function withSession() { throw leftOut(); };',
  },
  {
    importer: 'dockerode',
    module: './buildkit',
    what: "dockerode's BuildKit progress decoder (followProgress, protobufjs)",
    stub: 'module.exports = { followProgress() { throw leftOut(); } };',
  },
  {
    importer: '@actions/http-client',
    module: 'undici',
    what: "undici's ProxyAgent (@actions/http-client's getAgentDispatcher through a proxy)",
    stub: 'exports.ProxyAgent = class ProxyAgent { constructor() { throw leftOut(); } };',
  },
];
const unreachableModules = {
  name: 'unreachable-modules',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${LEFT_OUT.map((l) => l.module.replace(/[./]/g, '\\$&')).join('|')})$`) }, (args) => {
      const leftOut = LEFT_OUT.find((l) => l.module === args.path && args.importer.replace(/\\/g, '/').includes(`/node_modules/${l.importer}/`));
      return leftOut ? { path: `${leftOut.importer} ${leftOut.module}`, namespace: 'left-out' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => {
      const { what, stub } = LEFT_OUT.find((l) => `${l.importer} ${l.module}` === args.path);
      const message = `docker-image-cleanup: ${what} is left out of this bundle, as no code path of the tool uses it: this call is a bug, please report it`;
      return { contents: `function leftOut() { return new Error(${JSON.stringify(message)}); }\n${stub}\n`, loader: 'js' };
    });
  },
};

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
  // A build that adds its own plugins lists these first: [...nodeBundleOptions.plugins, own].
  plugins: [unreachableModules],
};

/**
 * One bundle for all the steps of a front (pre, main, post), so what they share is shipped
 * once: the entry `steps:` (an esbuild plugin) is a module that exports the run() of each
 * <dir>/<step>.ts under the step's name. The sources export run() (for tools that call it,
 * such as @github/local-action); the file the runner or agent starts for a step is
 * stepStarter(), two lines that load the bundle and start that step.
 */
export function stepsEntry(dir, steps) {
  return {
    name: 'steps-entry',
    setup(build) {
      build.onResolve({ filter: /^steps:$/ }, () => ({ path: 'steps', namespace: 'steps' }));
      build.onLoad({ filter: /.*/, namespace: 'steps' }, () => ({
        contents: steps.map((step) => `export { run as ${step} } from ${JSON.stringify(`./${step}`)};`).join('\n'),
        resolveDir: dir,
        loader: 'ts',
      }));
    },
  };
}

/** The file that starts one step: `node <it>` loads the shared bundle beside it and runs that step. */
export function stepStarter(bundleFile, step) {
  return `'use strict';\n// The ${step} step: everything is in ${bundleFile}, shared by the steps.\nvoid require(${JSON.stringify(`./${bundleFile}`)}).${step}();\n`;
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
