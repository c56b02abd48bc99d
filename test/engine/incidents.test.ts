/**
 * Incidents after detection, on real engines (#27): a container left on an image the run
 * deleted is an incident in the report, the text report, the outcome, the usage record and
 * the next run's warnings; an image deleted between the listing and its inspect is gone,
 * not a failure. The engine's own window between its in-use check and its delete cannot be
 * hit on demand, so a proxy in front of the real socket widens it: right before the run's
 * DELETE of one image it creates a container from that image (another job) and forces the
 * delete, which the engine then carries out as its check-then-delete would have.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCleanup } from '../../src/app/cleanup';
import { outcomeOf, exitCodeOf } from '../../src/app/outcome';
import { openSession } from '../../src/compose';
import { loadImages, type ImageSpec } from '../../src/demo/image-factory';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { renderText } from '../../src/report/text';
import { parseSettings, type RawSettings } from '../../src/settings/parse';
import { listTags, freshEngineEachTest } from '../support/engine';
import { containerInsideDelete, engineProxy, type ProxyMode } from '../support/proxy';
import { enginesOf } from '../support/suite-engines';

const DAY = 86_400_000;
const builds = (n: number): ImageSpec[] =>
  Array.from({ length: n }, (_, i) => ({ tags: [`app:ci-${i + 1}`], created: new Date(Date.now() - (n - i) * DAY), layers: [{ id: 'incident-base', bytes: 1_000 }, { id: `incident-app-${i + 1}`, bytes: 3_000 }] }));

for (const target of enginesOf('engine/incidents')) {
  describe(`incidents on ${target.name} (#27)`, function () {
    this.timeout(180_000);
    const on = freshEngineEachTest(target, 'dic-incidents-');

    const settingsFor = (host: string, raw: RawSettings = {}) =>
      parseSettings({ host, keep: 1, 'min-age': '0s', 'usage-store': 'file', 'usage-file': path.join(on.dir, 'usage.json'), ...raw });

    if (target.store !== 'podman') {
      it('an incident: a container created from an image while the engine deleted it is reported (report, text, outcome), recorded, and warned again by the next run', async () => {
        await loadImages(on.docker, builds(3));
        const victim = (await on.docker.getImage('app:ci-1').inspect()).Id;
        const proxy = await containerInsideDelete(target.host(), on.docker, victim);
        let report;
        try {
          const settings = settingsFor(proxy.host);
          report = await runCleanup(settings, openSession(settings));
        } finally {
          await proxy.close();
        }
        const planted = proxy.planted();
        assert.ok(planted, 'the proxy planted the container before the delete of app:ci-1');
        // The engine really lost the image under the container.
        await assert.rejects(on.docker.getImage(victim).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
        assert.equal((await on.docker.getContainer(planted).inspect()).Image, victim);

        assert.equal(report.counts.incidents, 1, report.warnings.join('\n'));
        const [incident] = report.incidents;
        assert.equal(incident!.imageId, victim);
        assert.deepEqual(incident!.deleted, [victim]);
        assert.match(incident!.text, /^container late-job \(created\) was created from \w{12} while the engine deleted it/);
        assert.ok(report.warnings.includes(`INCIDENT: ${incident!.text}`), report.warnings.join('\n'));
        const text = renderText(report);
        assert.match(text, /, 1 INCIDENTS \(the engine untagged or deleted what the plan did not name; see the warnings\)/);
        assert.ok(text.includes(`warning: INCIDENT: ${incident!.text}`), text);
        const outcome = outcomeOf(report);
        assert.equal(outcome.kind, 'removals-failed');
        assert.equal(exitCodeOf(outcome.kind), 1);
        assert.match(outcome.message!, /^1 incident\(s\): the engine untagged or deleted what the plan did not name: container late-job/);

        // The usage record keeps it, under the image it cost.
        const record = JSON.parse(fs.readFileSync(path.join(on.dir, 'usage.json'), 'utf8'));
        const removed = Object.entries(record.removed as Record<string, { incident?: string }>).filter(([, r]) => r.incident);
        assert.equal(removed.length, 1, JSON.stringify(record.removed));
        assert.equal(removed[0]![1].incident, incident!.text);

        // The next run, straight to the engine, says it again; it has nothing new to report.
        const settings = settingsFor(target.host());
        const next = await runCleanup(settings, openSession(settings));
        assert.ok(next.warnings.includes(`usage record (file ${path.join(on.dir, 'usage.json')}): the previous run had an incident: ${incident!.text}`), next.warnings.join('\n'));
        assert.equal(next.counts.incidents, 0);
        assert.deepEqual(await listTags(on.docker), ['app:ci-3']);
      });
    }

    it('an image deleted between the listing and its inspect counts as gone: no failure, left out of the snapshot and the plan', async () => {
      await loadImages(on.docker, builds(3));
      const victim = (await on.docker.getImage('app:ci-2').inspect()).Id;
      let inspects = 0;
      let deleted = false;
      const proxy = await engineProxy(target.host(), (req): ProxyMode => {
        // The snapshot inspects each listed image: another job deletes app:ci-2 right before its inspect.
        if (req.method !== 'GET' || !/\/images\/[^/]+\/json/.test(req.url ?? '')) return 'forward';
        const image = decodeURIComponent(/\/images\/([^/]+)\/json/.exec(req.url!)![1]!);
        inspects++;
        if (deleted || !victim.endsWith(image.replace(/^sha256:/, ''))) return 'forward';
        return {
          before: async () => {
            await on.docker.getImage(victim).remove();
            deleted = true;
          },
        };
      });
      try {
        const engine = new DockerodeEngine({ host: proxy.host });
        const snapshot = await engine.snapshot({ activitySince: Date.now() - DAY });
        assert.ok(deleted, `the proxy deleted app:ci-2 before its inspect (${inspects} inspects seen)`);
        assert.deepEqual(snapshot.images.map((i) => i.tags.map((t) => t.replace(/^(docker\.io\/library\/|localhost\/)/, ''))).flat().sort(), ['app:ci-1', 'app:ci-3']);
        const report = await runCleanup(settingsFor(proxy.host, { 'usage-store': 'none' }), { engine });
        assert.equal(report.counts.failed, 0);
        assert.equal(report.counts.images, 2);
        assert.deepEqual(await listTags(on.docker), ['app:ci-3']);
      } finally {
        await proxy.close();
      }
    });
  });
}
