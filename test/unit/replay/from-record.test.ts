// The trace what-if builds from a usage record: when each image arrives and is used again.
// Cases 1-3 fail on the conversion before (a pull seen by the post-job step arrived twice; a build
// arrived when first seen, so the replayed tool never learned its build time; a later build reusing
// an earlier one's cache replayed as a run of the earlier image).
import { strict as assert } from 'node:assert';
import type { ImageRecord, Snapshot } from '../../../src/planner/snapshot';
import { traceFromRecord } from '../../../src/replay/from-record';
import { plannerPolicy, RecordInMemory } from '../../../src/replay/policies';
import { replay } from '../../../src/replay/replay';
import { SimEngine } from '../../../src/replay/sim-engine';
import type { UsageEntry, UsageRecord } from '../../../src/usage/record';

const MB = 1_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const T = Date.UTC(2026, 0, 5, 8);

const id = (name: string) => `sha256:${name.padEnd(64, '0')}`;
function image(name: string, tag: string, layers: string[], created: number): ImageRecord {
  return { id: id(name), tags: [tag], digests: [], created, size: layers.length * 10 * MB, labels: {}, layers, layerSizes: layers.map(() => 10 * MB) };
}
const entry = (firstSeen: number, uses: number[], extra: Partial<UsageEntry> = {}): UsageEntry => ({
  firstSeen,
  lastUsed: uses.at(-1) ?? firstSeen,
  why: 'container-exited',
  references: [],
  layersKey: '',
  uses,
  ...extra,
});
const snapshotOf = (images: ImageRecord[]): Snapshot => ({
  takenAt: T + 48 * HOUR,
  engine: { kind: 'docker', version: 'x', apiVersion: '1.41' },
  images,
  containers: [],
  activity: [],
  activityWindow: { since: T, complete: true },
});

const ci1 = image('c1', 'app:ci-1', ['base', 'deps', 'app1'], T + 5 * MIN);
const ci2 = image('c2', 'app:ci-2', ['base', 'deps', 'app2'], T + 2 * HOUR + 5 * MIN);
const sdk = image('s', 'sdk:8', ['base', 'sdk'], T - 30 * 24 * HOUR);

const cases: { what: string; images: ImageRecord[]; entries: Record<string, UsageEntry>; jobs: [number, number, string[]][] }[] = [
  {
    what: '1. a pull the post-job step saw after it arrives once, at the pull',
    images: [sdk],
    entries: { [sdk.id]: entry(T + 12 * MIN, [T], { arrived: 'pulled' }) },
    jobs: [[T, 0, ['sdk:8']]],
  },
  {
    what: '2. a timed build arrives in a job that starts buildMs before its creation and ends at it',
    images: [ci1],
    entries: { [ci1.id]: entry(T + 12 * MIN, [T], { arrived: 'built', buildMs: 5 * MIN }) },
    jobs: [[T, 5 * MIN, ['app:ci-1']]],
  },
  {
    what: "3. the use a later build's cache reuse credited to an earlier build is the later build's arrival only",
    images: [ci1, ci2],
    entries: {
      [ci1.id]: entry(T + 12 * MIN, [T, T + 2 * HOUR], { arrived: 'built', buildMs: 5 * MIN }),
      [ci2.id]: entry(T + 2 * HOUR + 12 * MIN, [T + 2 * HOUR], { arrived: 'built', buildMs: 5 * MIN }),
    },
    jobs: [
      [T, 5 * MIN, ['app:ci-1']],
      [T + 2 * HOUR, 5 * MIN, ['app:ci-2']],
    ],
  },
  {
    what: '4. an image whose early uses the record no longer keeps arrives when first seen, then at each kept use',
    images: [sdk],
    entries: { [sdk.id]: entry(T - 10 * HOUR, [T, T + HOUR], { arrived: 'pulled' }) },
    jobs: [
      [T - 10 * HOUR, 0, ['sdk:8']],
      [T, 0, ['sdk:8']],
      [T + HOUR, 0, ['sdk:8']],
    ],
  },
];

describe('what-if: the trace from a usage record', () => {
  for (const c of cases) {
    it(c.what, () => {
      const record: UsageRecord = { version: 1, updatedAt: T + 48 * HOUR, images: c.entries, removed: {} };
      const { trace } = traceFromRecord(record, snapshotOf(c.images), 100 * MB, 50 * MB);
      assert.deepEqual(
        trace.jobs.map((j) => [j.at, j.durationMs, j.uses.map((u) => u.ref)]),
        c.jobs,
      );
    });
  }

  it('2b. replayed, this tool learns the build time the record holds (its cost order weighs it)', async () => {
    const record: UsageRecord = { version: 1, updatedAt: T + 48 * HOUR, images: { [ci1.id]: entry(T + 12 * MIN, [T], { arrived: 'built', buildMs: 5 * MIN }) }, removed: {} };
    const { trace } = traceFromRecord(record, snapshotOf([ci1]), 100 * MB, 50 * MB);
    const store = new RecordInMemory();
    const engine = new SimEngine();
    await replay(trace, plannerPolicy('recorder', {}, {}, store), engine);
    const learned = Object.values((await store.read()).record.images);
    assert.deepEqual(learned.map((e) => [e.arrived, e.buildMs]), [['built', 5 * MIN]]);
  });
});
