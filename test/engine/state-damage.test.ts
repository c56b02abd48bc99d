/**
 * What outlives one run, damaged (#12 defects 9 and 10), against real engines:
 * a details cache file or a usage record (file and engine store) that is
 * garbage, the wrong shape, or well-formed with wrong content is reported and
 * never widens what is removed; and a details cache entry of an image removed
 * by one run cannot defeat the grace period when the image comes back and its
 * tag event has left the engine's 256-event buffer.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { runCleanup, type CleanupReport } from '../../src/app/cleanup';
import { openSession } from '../../src/compose';
import { buildArchive, loadArchive, loadImages, type ImageSpec } from '../../src/demo/image-factory';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { USAGE_LABEL, USAGE_MARKER_LABEL, USAGE_RECORD_REFERENCE } from '../../src/usage/engine-store';
import { createContainer, listTags, resetEngine } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const DAY = 86_400_000;
const base = { id: 'state-base', bytes: 1_000 };

/** A protected base, five builds of app (keep 1 leaves ci-5), ci-2 under a container. */
function agent(now: number): ImageSpec[] {
  return [
    { tags: ['node:22-alpine'], created: new Date(now - 90 * DAY), layers: [base] },
    ...[1, 2, 3, 4, 5].map((n) => ({ tags: [`app:ci-${n}`], created: new Date(now - (10 - n) * DAY), layers: [base, { id: `state-app-${n}`, bytes: 2_000 }] })),
  ];
}
const KEPT = ['app:ci-2', 'app:ci-5', 'node:22-alpine'];
const REMOVED = ['app:ci-1', 'app:ci-3', 'app:ci-4'];

/** Rewrites the one details cache file in the state folder. */
function damageCache(state: string, damage: (text: string) => string): void {
  const files = fs.readdirSync(state).filter((f) => /^image-details-\w+\.json$/.test(f));
  assert.equal(files.length, 1, `one details cache file in ${files.join(', ')}`);
  const file = path.join(state, files[0]);
  fs.writeFileSync(file, damage(fs.readFileSync(file, 'utf8')));
}

const CACHE_DAMAGE: { name: string; damage: (text: string) => string; warning: RegExp }[] = [
  { name: 'garbage', damage: () => '\u0000{"version": 2, "entries": [[', warning: /details cache \S+ is not JSON; ignored, images are inspected afresh/ },
  { name: 'the wrong shape', damage: () => JSON.stringify({ version: 2, entries: { a: 1 } }), warning: /details cache \S+ has the wrong shape; ignored/ },
  {
    name: 'well-formed with its layers emptied',
    damage: (text) => {
      const body = JSON.parse(text);
      for (const [, details] of body.entries) Object.assign(details, { layers: [], layerSizes: [] });
      return JSON.stringify(body);
    },
    warning: /details cache: \d+ entries disagreed with the engine's image list; inspected afresh/,
  },
];

for (const target of enginesOf('engine/state-damage')) {
  describe(`damaged state on ${target.name} (#12)`, function () {
    this.timeout(180_000);
    let docker: Docker;
    let state: string;
    let seededAt: number;
    before(() => {
      docker = target.docker();
    });
    beforeEach(async () => {
      await resetEngine(docker);
      seededAt = Date.now();
      await loadImages(docker, agent(seededAt));
      await createContainer(docker, 'app:ci-2', { name: 'job' });
      state = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-state-'));
    });
    afterEach(() => fs.rmSync(state, { recursive: true, force: true }));

    /** A run as the CLI makes it: details cache and usage record in the state folder. */
    async function run(raw: RawSettings = {}): Promise<CleanupReport> {
      const settings = parseSettings({ host: target.host(), keep: 1, 'min-age': '0s', protect: ['node:*'], 'usage-file': path.join(state, 'usage.json'), ...raw });
      const session = openSession(settings, state);
      return runCleanup(settings, { engine: session.engine, usage: session.usage });
    }

    function assertNothingProtectedLost(report: CleanupReport, tags: string[]): void {
      assert.equal(report.counts.failed, 0, JSON.stringify(report.results.filter((r) => r.status === 'failed')));
      assert.deepEqual(report.incidents, []);
      for (const t of KEPT) assert.ok(tags.includes(t), `${t} kept (${tags.join(' ')})`);
      for (const t of REMOVED) assert.ok(!tags.includes(t), `${t} removed as planned (${tags.join(' ')})`);
    }

    for (const c of CACHE_DAMAGE) {
      it(`a details cache file that is ${c.name}: a warning, the plan of a fresh inspect, nothing protected lost`, async () => {
        const dry = await run({ 'dry-run': true, 'usage-store': 'none' });
        const planned = dry.plan.decisions.filter((d) => d.action === 'remove').map((d) => d.imageId).sort();
        damageCache(state, c.damage);
        const report = await run({ 'usage-store': 'none' });
        assert.ok(report.warnings.some((w) => c.warning.test(w)), report.warnings.join('\n'));
        assert.deepEqual(report.plan.decisions.filter((d) => d.action === 'remove').map((d) => d.imageId).sort(), planned);
        assert.equal(report.bytes.predicted, dry.bytes.predicted, 'the damage changed no byte figure');
        assertNothingProtectedLost(report, await listTags(docker));
      });
    }

    const RECORD_DAMAGE: { store: 'file' | 'engine'; name: string; plant: () => Promise<void>; warning: RegExp }[] = [
      {
        store: 'file',
        name: 'garbage',
        plant: async () => fs.writeFileSync(path.join(state, 'usage.json'), '{"version":1,"images":{"sha'),
        warning: /usage record \S+ is damaged \(.*\); starting a new one/,
      },
      {
        store: 'file',
        name: 'hostile (updatedAt 1e300, lastRunAt in the future)',
        plant: async () => {
          // A real record of this engine, then its times pushed out of range.
          await run({ 'dry-run': false, keep: 99 });
          const file = path.join(state, 'usage.json');
          const record = JSON.parse(fs.readFileSync(file, 'utf8'));
          record.updatedAt = 1e300;
          record.lastRunAt = Date.now() + 365 * DAY;
          fs.writeFileSync(file, JSON.stringify(record));
        },
        warning: /usage record \S+(: \d+ times in the future set to now| is damaged)/,
      },
      {
        store: 'engine',
        name: 'garbage (label and layer)',
        plant: async () =>
          loadImages(docker, [
            {
              tags: [USAGE_RECORD_REFERENCE],
              created: new Date('2020-01-01T00:00:00Z'),
              labels: { [USAGE_MARKER_LABEL]: 'v1', [USAGE_LABEL]: 'bm90IGd6aXA=' },
              layers: [{ id: 'state-garbage-record', files: { 'usage-record.json': '{"version":1,"images":[' } }],
            },
          ]),
        warning: /usage record .* (is damaged|is unreadable)/,
      },
    ];

    for (const d of RECORD_DAMAGE) {
      it(`a usage record (${d.store} store) that is ${d.name}: a warning, nothing protected lost, and a sound record written`, async () => {
        await d.plant();
        const report = await run({ 'usage-store': d.store });
        assert.ok(report.warnings.some((w) => d.warning.test(w)), report.warnings.join('\n'));
        assertNothingProtectedLost(report, await listTags(docker));
        // The next run reads what this one wrote without complaint.
        const next = await run({ 'usage-store': d.store, 'dry-run': true });
        assert.deepEqual(next.warnings.filter((w) => /usage record/.test(w)), [], next.warnings.join('\n'));
      });
    }

    if (target.store !== 'podman') {
      // Podman keeps its events in a file: no 256-event buffer to fall out of.
      it('defect 9: an image removed by run 1, loaded again and tagged, its tag event pushed out of the engine buffer by 330 newer events: run 2 with --min-age 30s (more if that took longer) ten seconds after the tag keeps it', async () => {
        const seeded = agent(seededAt);
        const first = await run({ 'usage-store': 'none' });
        const id = first.plan.decisions.find((d) => d.references.includes('docker.io/library/app:ci-1'))!.imageId;
        assert.equal(first.results.find((r) => r.imageId === id)?.status, 'removed', 'run 1 removed it (and cached its details)');
        // The same image again (same config and layers: the same ID), loaded without a name, then tagged.
        await loadArchive(docker, await buildArchive([{ ...seeded[1], tags: [] }]));
        assert.equal((await docker.getImage(id).inspect()).Id, id, 'the image is back under its ID');
        await docker.getImage(id).tag({ repo: 'app', tag: 'ci-1' });
        const taggedAt = Date.now();
        for (let k = 0; k < 165; k++) {
          await docker.getImage('app:ci-5').tag({ repo: 'noise', tag: String(k) });
          await docker.getImage(`noise:${k}`).remove();
        }
        const events = await recentEvents(docker, taggedAt - 1_000);
        assert.ok(!events.some((e) => e.Action === 'tag' && /app:ci-1/.test(e.Actor?.Attributes?.name ?? '')), 'the tag event is out of the engine buffer');
        await new Promise((r) => setTimeout(r, Math.max(0, taggedAt + 10_000 - Date.now())));
        // 30 s, or longer when the 330 calls above took long on a loaded machine (CI: over 30 s once on
        // dockerd 28.5): the tag must be within min-age when run 2 starts, else removing it is right.
        const minAge = Math.max(30, Math.ceil((Date.now() - taggedAt) / 1000) + 20);
        const second = await run({ 'usage-store': 'none', 'min-age': `${minAge}s` });
        const result = second.results.find((r) => r.imageId === id);
        assert.ok((await listTags(docker)).includes('app:ci-1'), `kept (run 2 with --min-age ${minAge}s, ${second.startedAt - taggedAt} ms after the tag): ${JSON.stringify(result)}`);
        // Planned from a cached arrival, the fresh re-check stopped it; or the plan knew better already.
        if (result) assert.match(result.note ?? '', /tagged \d+ s ago, within min-age/, JSON.stringify(result));
        assert.equal(second.counts.failed, 0);
      });
    }
  });
}

async function recentEvents(docker: Docker, since: number): Promise<any[]> {
  const stream = (await docker.getEvents({ since: (since / 1000).toFixed(3), until: (Date.now() / 1000 + 1).toFixed(3) } as unknown as Docker.GetEventsOptions)) as unknown as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}
