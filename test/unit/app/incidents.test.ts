// Incidents after detection, through the public use case (#27): the container check after the
// removals (checkContainersAfter), the incident in the report, the text report, the usage
// record, and the next run's warning. test/engine/incidents.test.ts shows the same on real
// engines; the fake plants containers at moments no engine offers on demand.
import { strict as assert } from 'node:assert';
import { runCleanup } from '../../../src/app/cleanup';
import { renderText } from '../../../src/report/text';
import { parseSettings } from '../../../src/settings/parse';
import { emptyRecord, type UsageRecord } from '../../../src/usage/record';
import type { UsageStore } from '../../../src/usage/store';
import { FakeEngine } from '../../support/fake-engine';
import { container, HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

/** The usage record in memory: what a file or the engine would keep between runs. */
class MemoryUsageStore implements UsageStore {
  readonly description = 'memory';
  record: UsageRecord = emptyRecord();
  async read() {
    return { record: structuredClone(this.record), warnings: [] };
  }
  async update(change: (current: UsageRecord) => UsageRecord) {
    this.record = change(structuredClone(this.record));
    return { record: structuredClone(this.record), warnings: [] };
  }
}

const builds = () => [1, 2, 3].map((n) => image({ tags: [`app:ci-${n}`], ageHours: 100 - n }));
const settings = parseSettings({ keep: 1, 'min-age': '0' });

/** When another job's container appears, relative to the delete of app:ci-1. */
type Moment = 'inside-the-delete' | 'after-the-run-on-a-kept-image' | 'before-the-delete';

const CASES: { moment: Moment; incidents: number; removed: number }[] = [
  // The engine's own window: its in-use check passed, then the container came, then the delete.
  { moment: 'inside-the-delete', incidents: 1, removed: 2 },
  // A container on an image that stays is no incident.
  { moment: 'after-the-run-on-a-kept-image', incidents: 0, removed: 2 },
  // Before the delete: the engine refuses (409), the image stays, nothing is lost.
  { moment: 'before-the-delete', incidents: 0, removed: 1 },
];

describe('incidents after detection, through the use case (#27)', () => {
  for (const [i, c] of CASES.entries()) {
    it(`${i + 1}. a container ${c.moment.replace(/-/g, ' ')}: ${c.incidents} incident(s)`, async () => {
      const imgs = builds();
      const [oldest, , newest] = imgs;
      const engine = new FakeEngine(snapshot(imgs));
      const plant = (img: typeof oldest) => engine.containers.set('c-late-job', { ...container(img!, { name: 'late-job', state: 'created' }), created: NOW });
      if (c.moment === 'inside-the-delete') engine.withinRemove = (name) => (name === oldest!.id || name === oldest!.tags[0] ? void plant(oldest) : undefined);
      if (c.moment === 'before-the-delete') engine.beforeRemove = (name) => (name === oldest!.id || name === oldest!.tags[0] ? void plant(oldest) : undefined);
      const usage = new MemoryUsageStore();
      const report = await runCleanup(settings, { engine, usage, clock: () => NOW });
      if (c.moment === 'after-the-run-on-a-kept-image') plant(newest);
      assert.equal(report.counts.removed, c.removed);
      assert.equal(report.counts.incidents, c.incidents, report.warnings.join('\n'));
      assert.equal(report.incidents.length, c.incidents);
      const text = renderText(report);
      if (c.incidents === 0) {
        assert.doesNotMatch(text, /INCIDENT/);
        assert.ok(Object.values(usage.record.removed).every((r) => !r.incident));
        return;
      }
      const [incident] = report.incidents;
      assert.equal(incident!.imageId, oldest!.id);
      assert.deepEqual(incident!.deleted, [oldest!.id]);
      assert.equal(incident!.call, `DELETE /images/${oldest!.id}`);
      assert.match(incident!.text, /^container late-job \(created\) was created from \w{12} while the engine deleted it/);
      // The text report: the count in the totals, the incident itself among the warnings.
      assert.match(text, /^Images: 3 seen, 2 removed, 0 untagged, 1 kept, 1 INCIDENTS \(the engine untagged or deleted what the plan did not name; see the warnings\)$/m);
      assert.ok(text.includes(`\nwarning: INCIDENT: ${incident!.text}\n`), text);
      // The record keeps it under the image it cost, with the run's time.
      assert.equal(usage.record.removed[oldest!.id]?.incident, incident!.text);
      assert.equal(usage.record.lastRunAt, NOW);
    });
  }

  // dockerd 28.5's containerd store: a container created by the tag while the image goes may carry
  // no image ID of ours; its name leads to the delete, unless what it runs on still exists.
  const BY_NAME: { what: string; runsOn: 'nothing' | 'a new image'; incidents: number }[] = [
    { what: 'by the tag, no image ID, on a gone image', runsOn: 'nothing', incidents: 1 },
    { what: 'by the tag another job moved onto a new image', runsOn: 'a new image', incidents: 0 },
  ];
  for (const [i, c] of BY_NAME.entries()) {
    it(`3${'bc'[i]}. a container created inside the delete ${c.what}: ${c.incidents} incident(s)`, async () => {
      const imgs = builds();
      const [oldest] = imgs;
      const engine = new FakeEngine(snapshot(imgs));
      const moved = image({ name: 'moved-app-ci-1', tags: ['app:ci-1'], ageHours: 0 });
      engine.withinRemove = (name) => {
        if (name !== oldest!.id && name !== oldest!.tags[0]) return;
        if (c.runsOn === 'a new image') engine.images.add(moved.id);
        engine.containers.set('c-late-job', { ...container(oldest!, { name: 'late-job', state: 'created', typed: 'app:ci-1' }), imageId: c.runsOn === 'nothing' ? '' : moved.id });
      };
      const report = await runCleanup(settings, { engine, usage: new MemoryUsageStore(), clock: () => NOW });
      assert.equal(report.counts.incidents, c.incidents, report.warnings.join('\n'));
      if (c.incidents) assert.match(report.incidents[0]!.text, /^container late-job \(created\) was created from \w{12} while the engine deleted it/);
    });
  }

  it('4. the next run says the previous run had an incident, once; the one after it does not', async () => {
    const imgs = builds();
    const engine = new FakeEngine(snapshot(imgs));
    engine.withinRemove = (name) => (name === imgs[0]!.id ? void engine.containers.set('c-late-job', container(imgs[0]!, { name: 'late-job', state: 'created' })) : undefined);
    const usage = new MemoryUsageStore();
    const first = await runCleanup(settings, { engine, usage, clock: () => NOW });
    const text = first.incidents[0]!.text;
    engine.withinRemove = undefined;
    const second = await runCleanup(settings, { engine: new FakeEngine(snapshot([imgs[2]!])), usage, clock: () => NOW + HOUR });
    assert.deepEqual(second.warnings.filter((w) => /incident/i.test(w)), [`usage record (memory): the previous run had an incident: ${text}`]);
    assert.match(renderText(second), new RegExp(`^warning: usage record \\(memory\\): the previous run had an incident: container late-job`, 'm'));
    const third = await runCleanup(settings, { engine: new FakeEngine(snapshot([imgs[2]!])), usage, clock: () => NOW + 2 * HOUR });
    assert.deepEqual(third.warnings.filter((w) => /incident/i.test(w)), []);
  });
});
