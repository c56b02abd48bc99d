// The fronts' bundles (scripts/bundle-options.mjs): one shared bundle per front, started by a
// two-line file per step, and without the modules no code path reaches (dockerode's BuildKit
// session and progress decoder, @actions/http-client's proxy agent), each of which throws,
// naming itself, if it is ever called.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as esbuild from 'esbuild';
import * as yaml from 'js-yaml';

const ROOT = path.resolve(__dirname, '../../../..');
const DIST = path.join(ROOT, 'dist');
/** Packages no bundle may carry: nothing this tool runs reaches them. */
const UNREACHABLE = /^(@grpc\/|protobufjs|@protobufjs\/|undici)/;

describe('bundles: one per front, without what no code path reaches', () => {
  it("1. the Action's dist/ is one bundle, started by a two-line file per step that action.yml names", () => {
    assert.deepEqual(fs.readdirSync(DIST).sort(), ['index.cjs', 'licenses.txt', 'main.cjs', 'post.cjs', 'pre.cjs']);
    const runs = (yaml.load(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { runs: Record<string, string> }).runs;
    for (const step of ['pre', 'main', 'post']) {
      assert.equal(runs[step], `dist/${step}.cjs`);
      const starter = fs.readFileSync(path.join(DIST, `${step}.cjs`), 'utf8');
      assert.match(starter, new RegExp(`^void require\\("\\./index\\.cjs"\\)\\.${step}\\(\\);$`, 'm'));
      assert.ok(starter.length < 200, `${step}.cjs is ${starter.length} bytes`);
    }
    assert.ok(fs.statSync(path.join(DIST, 'index.cjs')).size > 500_000, 'the bundle holds the core');
  });

  it("2. the Action's licences name no package that no code path reaches", () => {
    const packages = [...fs.readFileSync(path.join(DIST, 'licenses.txt'), 'utf8').matchAll(/^(\S+)@\d\S* \(/gm)].map((m) => m[1]!);
    assert.ok(packages.includes('dockerode') && packages.includes('@actions/core'), packages.join(', '));
    assert.deepEqual(packages.filter((p) => UNREACHABLE.test(p)), []);
  });

  describe('a bundle of dockerode and @actions/http-client with the shared options', () => {
    let dir: string;
    let bundled: { Docker: new (options: object) => any; HttpClient: new (agent: string) => any };
    let inputs: string[];

    before(async function () {
      this.timeout(60_000);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-bundle-'));
      const outfile = path.join(dir, 'bundle.cjs');
      // An ES module: Node 20.19 and newer load it with require().
      const { nodeBundleOptions } = require(path.join(ROOT, 'scripts', 'bundle-options.mjs')) as { nodeBundleOptions: esbuild.BuildOptions };
      const result = await esbuild.build({
        ...nodeBundleOptions,
        absWorkingDir: ROOT,
        // @actions/core's own HTTP client (ESM only), which loads undici.
        stdin: { contents: "export { default as Docker } from 'dockerode'; export { HttpClient } from '@actions/http-client';", resolveDir: ROOT, loader: 'js' },
        outfile,
        metafile: true,
      });
      inputs = Object.keys(result.metafile!.inputs);
      bundled = require(outfile);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('3. holds none of @grpc/*, protobufjs or undici, and dockerode loads', () => {
      assert.ok(inputs.some((i) => i.includes('node_modules/dockerode/')), 'dockerode is bundled');
      assert.deepEqual(inputs.filter((i) => /node_modules\/(@grpc\/|protobufjs|@protobufjs\/|undici\/)/.test(i)), []);
      assert.equal(typeof new bundled.Docker({ socketPath: path.join(dir, 'no.sock') }).listImages, 'function');
    });

    it('4. each left-out module throws, naming itself, if it is ever called', async () => {
      const docker = new bundled.Docker({ socketPath: path.join(dir, 'no.sock') });
      const leftOut = (what: RegExp) => ({ message: new RegExp(`^docker-image-cleanup: ${what.source} is left out of this bundle, as no code path of the tool uses it`) });
      assert.throws(() => docker.followProgress(Readable.from([]), () => undefined), leftOut(/dockerode's BuildKit progress decoder \(followProgress, protobufjs\)/));
      await assert.rejects(docker.buildImage(Readable.from([]), { version: '2' }), leftOut(/dockerode's BuildKit session \(buildImage with version 2, over gRPC\)/));
      const proxy = process.env.https_proxy;
      process.env.https_proxy = 'http://127.0.0.1:9';
      try {
        assert.throws(() => new bundled.HttpClient('test').getAgentDispatcher('https://registry.invalid/'), leftOut(/undici's ProxyAgent \(@actions\/http-client's getAgentDispatcher through a proxy\)/));
      } finally {
        if (proxy === undefined) delete process.env.https_proxy;
        else process.env.https_proxy = proxy;
      }
    });
  });
});
