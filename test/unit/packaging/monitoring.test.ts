// deploy/kubernetes/prometheusrule.yaml and deploy/grafana/docker-image-cleanup.json, offline:
// the PrometheusRule against its schema (@kubernetes-models/prometheus-operator), its rules
// through promtool's own check and unit tests (Debian's promtool, scripts/engine.sh promtool),
// the dashboard's structure as Grafana imports it, and every query naming only metrics the
// watch process exports (read from a live WatchMetrics registry) and parsing as PromQL.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as yaml from 'js-yaml';
import { WatchMetrics } from '../../../src/watch/metrics';

const ROOT = path.resolve(__dirname, '../../../..');
const RULES = yaml.load(fs.readFileSync(path.join(ROOT, 'deploy/kubernetes/prometheusrule.yaml'), 'utf8')) as any;
const DASHBOARD = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/docker-image-cleanup.json'), 'utf8'));
const DAEMONSET = (yaml.loadAll(fs.readFileSync(path.join(ROOT, 'deploy/kubernetes/daemonset.yaml'), 'utf8')) as any[]).find((d) => d?.kind === 'DaemonSet');
const MONITOR = (yaml.loadAll(fs.readFileSync(path.join(ROOT, 'deploy/kubernetes/servicemonitor.yaml'), 'utf8')) as any[]).filter(Boolean);
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, any>>;

/** The names the /metrics exposition carries (a histogram's as _bucket, _sum and _count), plus Prometheus' own `up`. */
async function exportedNames(): Promise<Set<string>> {
  const names = new Set(['up']);
  for (const m of await new WatchMetrics(0).registry.getMetricsAsJSON()) {
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    else names.add(m.name);
  }
  return names;
}

/** The metric names a query reads: the tool's, or `up`. */
const metricsIn = (expr: string) => [...expr.matchAll(/\b(docker_image_cleanup_[a-z_]+)\b|\b(up)\s*\{/g)].map((m) => (m[1] ?? m[2])!);

let promtoolPath: string | undefined;
function promtool(...args: string[]): { status: number | null; output: string } {
  promtoolPath ??= execFileSync('bash', [path.join(ROOT, 'scripts/engine.sh'), 'promtool'], { encoding: 'utf8' }).trim();
  const r = spawnSync(promtoolPath, args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function tempFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-monitoring-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The PrometheusRule's groups as the plain rule file the docs tell a user without the operator to make. */
const ruleFile = () => tempFile('rules.yml', yaml.dump(RULES.spec));
const alerts = () => RULES.spec.groups.flatMap((g: any) => g.rules) as { alert: string; expr: string; for?: string }[];

describe('deploy/kubernetes/prometheusrule.yaml: the alerts', function () {
  this.timeout(120_000);

  it('1. is a valid monitoring.coreos.com/v1 PrometheusRule in the DaemonSet\'s namespace', async () => {
    const file = path.join(ROOT, 'node_modules/@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule.js');
    const { PrometheusRule } = await importModule(pathToFileURL(file).href);
    new PrometheusRule(RULES).validate();
    assert.equal(RULES.metadata.namespace, DAEMONSET.metadata.namespace);
    const broken = structuredClone(RULES);
    broken.spec.groups[0].rules[0].for = 'half an hour';
    assert.throws(() => new PrometheusRule(broken).validate(), /for must match pattern/, 'the validator catches a malformed duration');
  });

  it('2. passes promtool check rules', () => {
    const r = promtool('check', 'rules', ruleFile());
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, new RegExp(`SUCCESS: ${alerts().length} rules found`));
    const bad = promtool('check', 'rules', tempFile('bad.yml', yaml.dump({ groups: [{ name: 'x', rules: [{ alert: 'X', expr: 'rate(docker_image_cleanup_runs_total[5m' }] }] })));
    assert.notEqual(bad.status, 0, 'promtool rejects a broken expression (so the pass above says something)');
  });

  it('3. names only metrics the cleaner exports', async () => {
    const names = await exportedNames();
    for (const a of alerts()) {
      assert.ok(metricsIn(a.expr).length > 0, `${a.alert} reads a metric`);
      for (const m of metricsIn(a.expr)) assert.ok(names.has(m), `${a.alert}: ${m} is not exported`);
    }
  });

  it('4. the stale alert fires past three of the DaemonSet\'s intervals, as its liveness rule does', () => {
    const args: string[] = DAEMONSET.spec.template.spec.containers[0].args.map(String);
    assert.equal(args[args.indexOf('--interval') + 1], '1h');
    assert.match(alerts().find((a) => a.alert === 'DockerImageCleanupStale')!.expr, /> 3 \* 3600$/);
  });

  // promtool's unit tests: series in, which alerts fire when (the rules' `for:` included).
  const instance = 'node-a';
  const labels = (name: string, extra = '') => `${name}{instance="${instance}",job="docker-image-cleanup-metrics"${extra}}`;
  // A firing case names the summary it must render (the templates read $labels, $value and a query).
  const cases: { what: string; series: { series: string; values: string }[]; at: string; alert: string; fires: boolean; summary?: RegExp | string; description?: RegExp }[] = [
    { what: 'target short for 35 min', series: [{ series: labels('docker_image_cleanup_space_target_met'), values: '0x40' }, { series: labels('docker_image_cleanup_space_target_short_bytes'), values: '1073741824x40' }], at: '35m', alert: 'DockerImageCleanupTargetNotMet', fires: true, description: /^The cleaner on node-a is 1GiB short of its space target/ },
    { what: 'target short for 20 min only', series: [{ series: labels('docker_image_cleanup_space_target_met'), values: '0x40' }], at: '20m', alert: 'DockerImageCleanupTargetNotMet', fires: false },
    { what: 'target met', series: [{ series: labels('docker_image_cleanup_space_target_met'), values: '1x40' }], at: '35m', alert: 'DockerImageCleanupTargetNotMet', fires: false },
    { what: 'no good cycle for 3 h 10 min', series: [{ series: labels('docker_image_cleanup_seconds_since_last_success'), values: '10000+60x30' }], at: '20m', alert: 'DockerImageCleanupStale', fires: true, summary: 'Docker image cleanup on node-a has not completed a cycle for 3h 6m 40s' },
    { what: 'last good cycle 1 h ago', series: [{ series: labels('docker_image_cleanup_seconds_since_last_success'), values: '3600x30' }], at: '20m', alert: 'DockerImageCleanupStale', fires: false },
    { what: 'an incident counted', series: [{ series: labels('docker_image_cleanup_incidents_total'), values: '0 0 0 1 1 1 1 1 1 1' }], at: '8m', alert: 'DockerImageCleanupIncident', fires: true },
    { what: 'no incident', series: [{ series: labels('docker_image_cleanup_incidents_total'), values: '0x10' }], at: '8m', alert: 'DockerImageCleanupIncident', fires: false },
    { what: 'scrapes failing for 20 min', series: [{ series: labels('up'), values: '0x30' }], at: '20m', alert: 'DockerImageCleanupDown', fires: true },
    { what: 'scrapes answered', series: [{ series: labels('up'), values: '1x30' }], at: '20m', alert: 'DockerImageCleanupDown', fires: false },
  ];
  it(`5. promtool test rules: ${cases.length} cases fire or stay quiet as they should, with their annotations rendered`, () => {
    const rules = ruleFile();
    const fired = (c: (typeof cases)[number]) => {
      // promtool compares annotations too: they are rendered here from the rule's templates
      // by promtool itself (a first pass that only lists them), then checked below.
      const rendered = renderedAnnotations(rules, c);
      if (c.summary) assert.ok(typeof c.summary === 'string' ? rendered.summary === c.summary : c.summary.test(rendered.summary), `${c.what}: summary "${rendered.summary}"`);
      if (c.description) assert.match(rendered.description, c.description, c.what);
      assert.doesNotMatch(`${rendered.summary} ${rendered.description}`, /<no value>|\{\{/, `${c.what}: a template did not render`);
      return [{ exp_labels: { ...alertLabels(c.alert), instance, job: 'docker-image-cleanup-metrics' }, exp_annotations: rendered }];
    };
    const tests = cases.map((c) => ({
      name: c.what,
      interval: '1m',
      input_series: c.series,
      alert_rule_test: [{ eval_time: c.at, alertname: c.alert, exp_alerts: c.fires ? fired(c) : [] }],
    }));
    const r = promtool('test', 'rules', tempFile('tests.yml', yaml.dump({ rule_files: [rules], evaluation_interval: '1m', tests })));
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /SUCCESS/);
    // One case turned around must fail, or the harness above proves nothing.
    const wrong = [{ ...tests[0]!, alert_rule_test: [{ ...tests[0]!.alert_rule_test[0]!, exp_alerts: [] }] }];
    assert.notEqual(promtool('test', 'rules', tempFile('wrong.yml', yaml.dump({ rule_files: [rules], evaluation_interval: '1m', tests: wrong }))).status, 0);
  });
});

/**
 * The annotations promtool renders for a firing case: a test that expects none fails and prints
 * what it got; the summary and description are read from that printout.
 */
function renderedAnnotations(rules: string, c: { what: string; series: unknown; at: string; alert: string }): Record<string, string> {
  const probe = { name: c.what, interval: '1m', input_series: c.series, alert_rule_test: [{ eval_time: c.at, alertname: c.alert, exp_alerts: [] }] };
  const r = promtool('test', 'rules', tempFile('probe.yml', yaml.dump({ rule_files: [rules], evaluation_interval: '1m', tests: [probe] })));
  const got = r.output.slice(r.output.indexOf('got:'));
  const m = /Annotations:\{description="((?:[^"\\]|\\.)*)", summary="((?:[^"\\]|\\.)*)"\}/.exec(got);
  assert.ok(m, `${c.what}: the alert did not fire:\n${r.output}`);
  return { description: JSON.parse(`"${m[1]}"`), summary: JSON.parse(`"${m[2]}"`) };
}

function alertLabels(alert: string): Record<string, string> {
  return alerts().find((a) => a.alert === alert) ? (RULES.spec.groups[0].rules.find((r: any) => r.alert === alert).labels ?? {}) : {};
}

describe('deploy/grafana/docker-image-cleanup.json: the dashboard', function () {
  this.timeout(120_000);
  const panels: any[] = DASHBOARD.panels;
  const targets = panels.flatMap((p) => p.targets.map((t: any) => ({ panel: p.title, ...t })));
  const variables: any[] = DASHBOARD.templating.list;

  it('1. has what Grafana\'s import needs: title, uid, numeric schemaVersion, panels with unique ids and grid positions inside 24 columns', () => {
    assert.equal(typeof DASHBOARD.title, 'string');
    assert.match(DASHBOARD.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.equal(typeof DASHBOARD.schemaVersion, 'number');
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
    for (const p of panels) {
      assert.ok(['stat', 'timeseries', 'bargauge', 'table', 'gauge'].includes(p.type), `${p.title}: panel type ${p.type}`);
      const g = p.gridPos;
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `${p.title}: gridPos ${JSON.stringify(g)}`);
      assert.ok(p.targets.length > 0, `${p.title}: no query`);
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, `${p.title}: reads the chosen Prometheus`);
    }
  });

  it('2. asks for its Prometheus and its nodes (a datasource variable; instance from the cleaner\'s own series)', () => {
    assert.deepEqual(variables.map((v) => [v.name, v.type]), [['datasource', 'datasource'], ['instance', 'query']]);
    assert.equal(variables[0].query, 'prometheus');
    assert.match(variables[1].query.query, /^label_values\(docker_image_cleanup_[a-z_]+, instance\)$/);
    for (const t of targets) assert.match(t.expr, /instance=~"\$instance"/, `${t.panel}: filters by the chosen nodes`);
  });

  it('3. every query names only metrics the cleaner exports, and the dashboard covers each the issue asks for', async () => {
    const names = await exportedNames();
    const used = new Set<string>();
    for (const t of targets) {
      const metrics = metricsIn(t.expr);
      assert.ok(metrics.length > 0, `${t.panel}: ${t.expr}`);
      for (const m of metrics) {
        assert.ok(names.has(m), `${t.panel}: ${m} is not exported`);
        used.add(m);
      }
    }
    for (const m of ['space_target_met', 'freed_bytes_total', 'incidents_total', 'engine_call_duration_seconds_bucket', 'seconds_since_last_success']) {
      assert.ok(used.has(`docker_image_cleanup_${m}`), `no panel shows docker_image_cleanup_${m}`);
    }
  });

  it('4. every query parses as PromQL (promtool, with Grafana\'s variables filled in)', () => {
    const filled = (expr: string) => expr.replaceAll('$instance', '.*').replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1d');
    const rules = targets.map((t, i) => ({ record: `dashboard:query_${i}`, expr: filled(t.expr) }));
    const r = promtool('check', 'rules', tempFile('dashboard.yml', yaml.dump({ groups: [{ name: 'dashboard', rules }] })));
    assert.equal(r.status, 0, r.output);
  });

  it('5. the ServiceMonitor sets instance to the node\'s name, which the dashboard and the alerts name', () => {
    const monitor = MONITOR.find((d) => d.kind === 'ServiceMonitor');
    assert.deepEqual(monitor.spec.endpoints[0].relabelings, [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'instance' }]);
  });
});
