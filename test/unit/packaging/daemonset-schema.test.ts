// deploy/kubernetes/daemonset.yaml and servicemonitor.yaml against the Kubernetes API's OpenAPI
// schemas, offline: kubernetes-models (and @kubernetes-models/prometheus-operator for the
// ServiceMonitor) ship each kind's schema with an ajv validator. (fleet.test.ts runs the
// DaemonSet's container args against the real engine.)
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as yaml from 'js-yaml';

const ROOT = path.resolve(__dirname, '../../../..');
const MODELS = path.join(ROOT, 'node_modules', 'kubernetes-models');
/** API groups whose models come from a package of their own. */
const GROUP_MODELS: Record<string, string> = { 'monitoring.coreos.com': path.join(ROOT, 'node_modules', '@kubernetes-models', 'prometheus-operator') };
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
  const group = manifest.apiVersion.split('/')[0]!;
  const file = path.join(GROUP_MODELS[group] ?? MODELS, ...manifest.apiVersion.split('/'), `${manifest.kind}.js`);
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

const load = (file: string) => (yaml.loadAll(fs.readFileSync(path.join(ROOT, 'deploy', 'kubernetes', file), 'utf8')) as Manifest[]).filter(Boolean);
const DOCUMENTS = load('daemonset.yaml');
const MONITORING = load('servicemonitor.yaml');

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

  describe('metrics: the scrape annotations and the ServiceMonitor reach the port the cleaner serves', () => {
    const ds = DOCUMENTS.find((d) => d.kind === 'DaemonSet') as any;
    const pod = ds.spec.template;
    const container = pod.spec.containers[0];
    const args: string[] = container.args.map(String);
    const flag = (name: string) => args[args.indexOf(name) + 1];
    const metricsPort = container.ports.find((p: any) => p.name === 'metrics');

    it('9. the cleaner serves on 0.0.0.0 at the container port named metrics, which the annotations name with /metrics', () => {
      assert.equal(flag('--health-address'), '0.0.0.0');
      assert.equal(Number(flag('--health-port')), metricsPort.containerPort);
      assert.deepEqual(pod.metadata.annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metricsPort.containerPort), 'prometheus.io/path': '/metrics' });
    });

    it('10. servicemonitor.yaml holds a Service and a ServiceMonitor in the DaemonSet\'s namespace', () => {
      assert.deepEqual(MONITORING.map((d) => `${d.apiVersion} ${d.kind}`), ['v1 Service', 'monitoring.coreos.com/v1 ServiceMonitor']);
      for (const d of MONITORING) assert.equal((d.metadata as any).namespace, (ds.metadata as any).namespace);
    });

    for (const [i, manifest] of MONITORING.entries()) {
      it(`${11 + i}. ${manifest.apiVersion} ${manifest.kind} ${manifest.metadata.name} is valid`, async () => {
        assert.equal(await problems(manifest), undefined);
      });
    }

    it('13. the Service selects the cleaner pods and their metrics port; the ServiceMonitor selects the Service and scrapes that port at /metrics', () => {
      const [service, monitor] = MONITORING as any[];
      for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(pod.metadata.labels[k], v, `pod label ${k}`);
      const port = service.spec.ports.find((p: any) => p.targetPort === metricsPort.name || p.targetPort === metricsPort.containerPort);
      assert.ok(port, 'a Service port targets the metrics port');
      for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(service.metadata.labels[k], v, `service label ${k}`);
      assert.deepEqual(monitor.spec.namespaceSelector.matchNames, [service.metadata.namespace]);
      assert.deepEqual(monitor.spec.endpoints.map((e: any) => [e.port, e.path]), [[port.name, '/metrics']]);
    });

    it('14. the ServiceMonitor validator rejects a malformed scrape interval (so a pass above says something)', async () => {
      const monitor = structuredClone(MONITORING[1]!) as any;
      monitor.spec.endpoints[0].interval = 'every minute';
      assert.match((await problems(monitor)) ?? 'valid', /interval must match pattern/);
    });
  });
});
