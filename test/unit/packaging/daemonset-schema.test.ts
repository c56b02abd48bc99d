// deploy/kubernetes/daemonset.yaml against the Kubernetes API's OpenAPI schemas, offline:
// kubernetes-models ships each kind's schema with an ajv validator. (fleet.test.ts runs
// the DaemonSet's container args against the real engine.)
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as yaml from 'js-yaml';

const ROOT = path.resolve(__dirname, '../../../..');
const MODELS = path.join(ROOT, 'node_modules', 'kubernetes-models');
// kubernetes-models is ESM-only and exports its kinds for `import` alone; this suite compiles to CommonJS.
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [field: string]: unknown;
}
type Model = new (data: unknown) => { validate(): void };

/** The kubernetes-models class of a manifest: `v1` -> v1/Kind.js, `apps/v1` -> apps/v1/Kind.js. */
async function modelOf(manifest: Pick<Manifest, 'apiVersion' | 'kind'>): Promise<Model> {
  const file = path.join(MODELS, ...manifest.apiVersion.split('/'), `${manifest.kind}.js`);
  assert.ok(fs.existsSync(file), `kubernetes-models has no ${manifest.apiVersion} ${manifest.kind}`);
  const module = await importModule(pathToFileURL(file).href);
  return module[manifest.kind] as Model;
}

async function problems(manifest: Manifest): Promise<string | undefined> {
  const Model = await modelOf(manifest);
  try {
    new Model(manifest).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const DOCUMENTS = (yaml.loadAll(fs.readFileSync(path.join(ROOT, 'deploy', 'kubernetes', 'daemonset.yaml'), 'utf8')) as Manifest[]).filter(Boolean);

describe('deploy/kubernetes/daemonset.yaml against the Kubernetes API schemas (kubernetes-models, offline)', () => {
  it('1. holds a Namespace, a ServiceAccount and a DaemonSet', () => {
    assert.deepEqual(DOCUMENTS.map((d) => `${d.apiVersion} ${d.kind}`), ['v1 Namespace', 'v1 ServiceAccount', 'apps/v1 DaemonSet']);
  });

  for (const [i, manifest] of DOCUMENTS.entries()) {
    it(`${i + 2}. ${manifest.apiVersion} ${manifest.kind} ${manifest.metadata.name} is valid`, async () => {
      assert.equal(await problems(manifest), undefined);
    });
  }

  // The validator must catch what a schema check is for, or a pass above says nothing.
  const broken: { what: string; change: (ds: any) => void; error: RegExp }[] = [
    { what: 'a grace period as a string', change: (ds) => (ds.spec.template.spec.terminationGracePeriodSeconds = '60'), error: /terminationGracePeriodSeconds must be integer/ },
    { what: 'an unknown pull policy', change: (ds) => (ds.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes'), error: /imagePullPolicy must be equal to one of the allowed values/ },
    { what: 'a container without a name', change: (ds) => delete ds.spec.template.spec.containers[0].name, error: /containers\/0 must have required property '?name/ },
    { what: 'a DaemonSet without a selector', change: (ds) => delete ds.spec.selector, error: /spec must have required property '?selector/ },
  ];
  for (const [i, c] of broken.entries()) {
    it(`${i + 5}. the same DaemonSet with ${c.what} is rejected`, async () => {
      const ds = structuredClone(DOCUMENTS.find((d) => d.kind === 'DaemonSet')!);
      c.change(ds);
      assert.match((await problems(ds)) ?? 'valid', c.error);
    });
  }
});
