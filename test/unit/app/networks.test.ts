// The networks step: which networks networks-older-than lets go (pure, table-driven), and
// the races no local engine shows on demand (gone, joined or refused between the re-check
// and the call), through the use case's row with a few-line fake of the port.
import { strict as assert } from 'node:assert';
import { chooseNetworks } from '../../../src/app/networks';
import { MaxRemovalsExceededError, runCleanup } from '../../../src/app/cleanup';
import type { NetworkRecord } from '../../../src/engine/port';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { renderText } from '../../../src/report/text';
import { renderMarkdown } from '../../../src/report/markdown';
import { toJson } from '../../../src/report/json';
import { FakeEngine } from '../../support/fake-engine';
import { DAY, HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

const network = (name: string, options: Partial<NetworkRecord> & { ageHours?: number } = {}): NetworkRecord => ({
  id: `id-${name}`,
  name,
  driver: 'bridge',
  scope: 'local',
  labels: {},
  created: NOW - (options.ageHours ?? 48) * HOUR,
  users: [],
  ...options,
});
const protectLabels = parseSettings({ 'protect-label': 'keep' }).protectLabels;

describe('networks: the choice', () => {
  const cases: { name: string; network: NetworkRecord; leaving?: string[]; action: 'keep' | 'remove'; reason: RegExp }[] = [
    { name: 'an old unused user-defined network goes', network: network('ci_default'), action: 'remove', reason: /^user-defined network no container joins, unused for 2d/ },
    { name: "dockerd's bridge stays", network: network('bridge'), action: 'keep', reason: /engine's own/ },
    { name: 'host stays', network: network('host', { driver: 'host' }), action: 'keep', reason: /engine's own/ },
    { name: 'none stays', network: network('none', { driver: 'null' }), action: 'keep', reason: /engine's own/ },
    { name: "Podman's podman stays", network: network('podman'), action: 'keep', reason: /engine's own/ },
    { name: "swarm's ingress stays", network: network('ingress', { scope: 'swarm', driver: 'overlay' }), action: 'keep', reason: /engine's own/ },
    { name: 'a swarm-scoped network stays', network: network('app_net', { scope: 'swarm', driver: 'overlay' }), action: 'keep', reason: /^swarm-scoped network/ },
    { name: 'one a stopped container joins stays', network: network('job', { users: [{ id: 'c1', name: 'job-1' }] }), action: 'keep', reason: /^joined by job-1$/ },
    { name: 'one only a leaving container joins goes', network: network('job', { users: [{ id: 'c1', name: 'job-1' }] }), leaving: ['c1'], action: 'remove', reason: /^user-defined network/ },
    { name: 'a protected label keeps it', network: network('pinned', { labels: { keep: 'yes' } }), action: 'keep', reason: /^protected label$/ },
    { name: 'one created within the grace period stays', network: network('fresh', { ageHours: 2 }), action: 'keep', reason: /^used 2h ago, within networks-older-than$/ },
    { name: 'one joined or left recently stays (its last event counts)', network: network('busy', { lastEvent: NOW - HOUR }), action: 'keep', reason: /^used 1h ago/ },
    { name: 'one whose age the engine does not tell stays', network: network('ageless', { created: undefined }), action: 'keep', reason: /tells neither/ },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i + 1}. ${c.name}`, () => {
      const [d] = chooseNetworks([c.network], { olderThanMs: DAY, protectLabels, now: NOW, leaving: new Set(c.leaving) });
      assert.equal(d!.action, c.action, d!.reason);
      assert.match(d!.reason, c.reason);
    });
  }
});

describe('networks: the step in the row', () => {
  const engineWith = (...networks: NetworkRecord[]) => {
    const engine = new FakeEngine(snapshot([1, 2, 3].map((n) => image({ tags: [`app:ci-${n}`], ageHours: 100 - n }))));
    for (const n of networks) engine.networks.set(n.id, n);
    return engine;
  };
  const run = (raw: RawSettings, engine: FakeEngine) => runCleanup(parseSettings({ 'min-age': '0', 'networks-older-than': '1d', ...raw }), { engine, clock: () => NOW });

  it('1. off by default: not one network call', async () => {
    const engine = engineWith(network('ci_default'));
    const report = await runCleanup(parseSettings({ 'min-age': '0' }), { engine, clock: () => NOW });
    assert.equal(report.networks, undefined);
    assert.ok(!engine.calls.some((c) => c.includes('network')), engine.calls.join(', '));
  });

  it('2. a dry run lists what would go and why, removes nothing, and every report shows it', async () => {
    const engine = engineWith(network('ci_default'), network('bridge'), network('fresh', { ageHours: 1 }));
    const report = await run({ 'dry-run': true }, engine);
    assert.deepEqual(report.networks!.results, [{ id: 'id-ci_default', name: 'ci_default', status: 'planned' }]);
    assert.equal(engine.networks.size, 3);
    assert.ok(!engine.calls.some((c) => c.startsWith('remove network') || c.startsWith('inspect network')));
    assert.match(renderText(report), /Networks unused for longer than 1d: 1 to remove, 1 kept\n {2}ci_default: planned \(user-defined network no container joins, unused for 2d\)\n {2}fresh: keep/);
    assert.match(renderMarkdown(report), /### Networks\n\nNetworks unused for longer than 1d: 1 to remove, 1 kept\n\n\| Network \| Outcome \| Why \|/);
    assert.equal((toJson(report) as { networks: { counts: { removed: number } } }).networks.counts.removed, 1);
  });

  it('3. a real run removes them after everything else, each re-checked right before its call', async () => {
    const engine = engineWith(network('ci_default'), network('old_e2e'));
    const report = await run({ keep: 1 }, engine);
    assert.deepEqual(report.networks!.results.map((r) => `${r.name} ${r.status}`), ['ci_default removed', 'old_e2e removed']);
    assert.equal(engine.networks.size, 0);
    const calls = engine.calls.filter((c) => /network|^remove sha/.test(c));
    assert.deepEqual(calls.slice(-4), ['inspect network id-ci_default', 'remove network id-ci_default', 'inspect network id-old_e2e', 'remove network id-old_e2e']);
    const lastImage = engine.calls.map((c, i) => (c.startsWith('remove sha256') ? i : -1)).reduce((a, b) => Math.max(a, b));
    assert.ok(lastImage > 0 && engine.calls.indexOf('remove network id-ci_default') > lastImage, 'after the images');
  });

  it('4. gone, joined since listing, refused by the engine: gone, skipped with why, never forced', async () => {
    const engine = engineWith(network('gone'), network('joined'), network('refused'));
    engine.containers.set('c9', { id: 'c9', name: 'svc', image: 'app:ci-3', imageId: 'x', state: 'running', created: NOW, labels: {} });
    engine.beforeRemoveNetwork = (id) => {
      if (id === 'id-refused') engine.networks.get(id)!.users.push({ id: 'c9', name: 'svc' });
    };
    const listNetworks = engine.listNetworks.bind(engine);
    engine.listNetworks = async () => {
      const listed = await listNetworks();
      engine.networks.delete('id-gone');
      engine.networks.get('id-joined')!.users.push({ id: 'c9', name: 'svc' });
      return listed;
    };
    const report = await run({ keep: 10 }, engine);
    assert.deepEqual(
      report.networks!.results.map((r) => [r.name, r.status, r.note]),
      [
        ['gone', 'gone', undefined],
        ['joined', 'skipped', 'joined by svc since listing'],
        ['refused', 'skipped', 'network refused has active endpoints'],
      ],
    );
    assert.deepEqual(report.networks!.counts, { removed: 1, skipped: 2, failed: 0, kept: 0 });
    assert.ok(engine.networks.has('id-joined') && engine.networks.has('id-refused'));
  });

  it('5. a run refused by max-removals removes no network', async () => {
    const engine = engineWith(network('ci_default'));
    await assert.rejects(run({ keep: 0, 'max-removals': 1 }, engine), MaxRemovalsExceededError);
    assert.equal(engine.networks.size, 1);
    assert.ok(!engine.calls.some((c) => c.startsWith('remove')));
  });

  it('6. a failing call is reported for that network; the others still go', async () => {
    const engine = engineWith(network('broken'), network('fine'));
    const remove = engine.removeNetwork.bind(engine);
    engine.removeNetwork = async (id) => {
      if (id === 'id-broken') throw new Error('DELETE /networks/id-broken: 500 server error');
      return remove(id);
    };
    const report = await run({ keep: 10 }, engine);
    assert.deepEqual(report.networks!.results.map((r) => `${r.name} ${r.status}`), ['broken failed', 'fine removed']);
    assert.equal(report.networks!.counts.failed, 1);
  });
});
