// Which Node each part runs on, checked where npm checks it: npm warns EBADENGINE for every
// installed package whose `engines.node` the running Node does not satisfy.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as semver from 'semver';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const PACKAGE = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };
const LOCK = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { version?: string; dev?: boolean; engines?: { node?: string } | string[] }>;
};

/** The lock's packages that declare a Node range: name@version, range, and whether only development installs it. */
const ranged = Object.entries(LOCK.packages).flatMap(([where, entry]) => {
  const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
  return where && range ? [{ name: `${where.replace(/^.*node_modules\//, '')}@${entry.version}`, range, devOnly: entry.dev === true }] : [];
});
const refusing = (node: string, packages: typeof ranged) => packages.filter((p) => !semver.satisfies(node, p.range)).map((p) => `${p.name} (${p.range})`);

describe('Node versions: what npm checks', () => {
  // scripts/test.sh and scripts/demo.sh run npm ci, the build and the suites on Node 24 (scripts/node.sh 24).
  const DEVELOPMENT_MAJOR = 24;

  it('1. scripts/test.sh and scripts/demo.sh switch to Node 24 before npm ci', () => {
    for (const script of ['scripts/test.sh', 'scripts/demo.sh']) {
      const text = read(script);
      const switched = text.indexOf(`scripts/node.sh ${DEVELOPMENT_MAJOR})`);
      const installs = text.search(/^\s*npm ci\b/m);
      assert.ok(switched >= 0 && installs > switched, `${script} takes Node ${DEVELOPMENT_MAJOR} before it runs npm ci`);
    }
  });

  it('2. every package in the lock accepts Node 24 from its first release: npm ci there prints no EBADENGINE', () => {
    assert.ok(ranged.length > 50, `${ranged.length} packages with a Node range`);
    assert.deepEqual(refusing(`${DEVELOPMENT_MAJOR}.0.0`, ranged), []);
  });

  it("3. every package the published package installs accepts the lowest Node of its own `engines`", () => {
    const lowest = semver.minVersion(PACKAGE.engines.node)!.version;
    assert.deepEqual(refusing(lowest, ranged.filter((p) => !p.devOnly)), [], `on Node ${lowest}`);
  });

  it("4. @types/node is the lowest Node of `engines`, so the compiler holds the code to that Node's API", () => {
    assert.equal(semver.minVersion(PACKAGE.devDependencies['@types/node']!)!.major, semver.minVersion(PACKAGE.engines.node)!.major);
  });

  it('5. the check itself: Node 20 is refused by what development installs (the reason development runs on Node 24)', () => {
    assert.notDeepEqual(refusing('20.19.0', ranged), []);
  });
});
