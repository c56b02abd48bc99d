import { strict as assert } from 'node:assert';
import { plan, type PlanInput } from '../../../src/planner/planner';
import type { ImageRecord } from '../../../src/planner/snapshot';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { container, derived, HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

const MB = 1_000_000;

/** Three repositories of 3 builds each on one shared 10 MB base; each build 1 MB of its own. */
function agent() {
  const base = image({ tags: ['node:20'], layers: ['node20'], layerSizes: [10 * MB], ageHours: 24 * 100 });
  const apps = ['a', 'b', 'c'].flatMap((repo, r) =>
    [1, 2, 3].map((n) => derived(base, { tags: [`${repo}:ci-${n}`], ageHours: 100 - n * 10 - r, ownSizes: [MB] })),
  );
  return { base, apps, all: [base, ...apps] };
}

function run(images: ImageRecord[], raw: RawSettings, extra: Partial<PlanInput> = {}) {
  return plan({ snapshot: snapshot(images, extra.snapshot?.containers ?? []), settings: parseSettings({ 'min-age': '0', ...raw }), now: NOW, ...extra, ...(extra.snapshot ? { snapshot: extra.snapshot } : {}) });
}

const names = (p: ReturnType<typeof plan>, imgs: ImageRecord[]) =>
  p.decisions.filter((d) => d.action === 'remove').map((d) => imgs.find((i) => i.id === d.imageId)!.tags[0]?.replace('docker.io/library/', '')).sort();

describe('disk pressure', () => {
  it('1. under budget nothing beyond keep-N goes', () => {
    const { all } = agent();
    const p = run(all, { keep: 2, 'max-image-bytes': '100MB' });
    assert.deepEqual(names(p, all), ['a:ci-1', 'b:ci-1', 'c:ci-1']);
    assert.equal(p.eviction, undefined);
  });

  it('2. over budget, kept builds go least recently used first, and eviction stops at the target (hysteresis)', () => {
    const { all, apps } = agent();
    // total 19 MB; keep-N frees 3 MB -> 16 MB; max 15.5 MB, target 14 MB -> 2 MB more to free
    const usage = new Map(apps.map((a, i) => [a.id, { time: NOW - (100 - i) * HOUR, why: 'container-exited' }]));
    usage.set(apps[4].id, { time: NOW - 1000 * HOUR, why: 'pulled' }); // b:ci-2 is the least recently used
    const p = run(all, { keep: 2, 'max-image-bytes': '15.5MB', 'target-image-bytes': '14MB', 'evict-kept-builds': true }, { usage });
    assert.ok(p.eviction);
    assert.deepEqual(p.eviction.rules, ['max-image-bytes']);
    assert.equal(p.eviction.neededBytes, 2 * MB);
    assert.equal(p.eviction.freedBytes, 2 * MB);
    assert.equal(p.eviction.reached, true);
    assert.deepEqual(p.eviction.order.map((o) => o.references[0].replace('docker.io/library/', '')), ['b:ci-2', 'a:ci-2']);
    assert.equal(p.eviction.imagesBytesAfter, 14 * MB);
    assert.equal(p.predictedBytes, 5 * MB);
  });

  it('3. without the opt-in, kept builds stay and the plan says by how much the target is missed', () => {
    const { all } = agent();
    const p = run(all, { keep: 2, 'max-image-bytes': '15MB' });
    assert.ok(p.eviction);
    assert.equal(p.eviction.reached, false);
    assert.equal(p.eviction.shortByBytes, 16 * MB - 12 * MB);
    assert.match(p.warnings.join('\n'), /cannot free 4000000 more bytes.*evict-kept-builds/);
  });

  it('4. never evicts what is in use, current, protected or young, even in an emergency', () => {
    const { all, apps, base } = agent();
    const young = derived(base, { tags: ['d:new'], ageHours: 0.1, ownSizes: [MB] });
    const imgs = [...all, young];
    const snap = snapshot(imgs, [container(apps[2], { name: 'svc' })]);
    const p = plan({
      snapshot: snap,
      settings: parseSettings({ keep: 2, 'min-age': '1h', 'max-image-bytes': '1MB', 'evict-kept-builds': true, 'evict-base-images': true, current: 'b:ci-3', protect: 'c:*' }),
      now: NOW,
    });
    const kept = p.decisions.filter((d) => d.action !== 'remove').map((d) => d.references[0].replace('docker.io/library/', '')).sort();
    assert.deepEqual(kept, ['a:ci-3', 'b:ci-3', 'c:ci-1', 'c:ci-2', 'c:ci-3', 'd:new', 'node:20']);
    assert.equal(p.eviction!.reached, false);
  });

  it('5. a base image goes only in an emergency and only once nothing that stays stands on it', () => {
    const { all, base } = agent();
    const dockerfileReferences = [{ reference: 'docker.io/library/node:20', dockerfile: 'Dockerfile' }];
    const noEmergency = run(all, { keep: 2, 'max-image-bytes': '1MB', 'evict-kept-builds': true }, { dockerfileReferences });
    assert.ok(!names(noEmergency, all).includes('node:20'));
    const emergency = run(all, { keep: 2, 'max-image-bytes': '1MB', 'evict-kept-builds': true, 'evict-base-images': true }, { dockerfileReferences });
    assert.ok(names(emergency, all).includes('node:20'));
    const order = emergency.eviction!.order;
    assert.equal(order[order.length - 1].imageId, base.id, 'the base goes last');
    assert.equal(order[order.length - 1].bytes, 10 * MB);
  });

  it('6. max-unused removes images not used for longer, unless protected', () => {
    const { all, apps } = agent();
    const usage = new Map(all.map((i) => [i.id, { time: NOW - HOUR, why: 'container-running' }]));
    usage.set(apps[2].id, { time: NOW - 30 * 24 * HOUR, why: 'pulled' }); // a:ci-3, newest of a, unused for 30 days
    usage.set(apps[5].id, { time: NOW - 30 * 24 * HOUR, why: 'pulled' }); // b:ci-3, protected
    const p = run(all, { keep: 2, 'max-unused': '2w', protect: 'b:ci-3' }, { usage });
    assert.deepEqual(names(p, all), ['a:ci-1', 'a:ci-3', 'b:ci-1', 'c:ci-1']);
    const d = p.decisions.find((x) => x.imageId === apps[2].id)!;
    assert.equal(d.removeReasons[0].kind, 'unused');
  });

  it('7. a free-space watermark in percent, from filesystem figures', () => {
    const { all } = agent();
    const filesystem = { totalBytes: 100 * MB, freeBytes: 5 * MB, totalInodes: 1000, freeInodes: 900 };
    // keep-N frees 3 MB -> 8% free; min 10% -> target 15%: 7 MB more
    const p = run(all, { keep: 2, 'min-free': '10%', 'evict-kept-builds': true }, { filesystem });
    assert.deepEqual(p.eviction!.rules, ['min-free']);
    assert.equal(p.eviction!.neededBytes, 7 * MB);
    assert.equal(p.eviction!.freedBytes, 6 * MB);
    assert.equal(p.eviction!.reached, false);
  });

  it('8. an inode watermark converts to bytes at the filesystem average', () => {
    const { all } = agent();
    const filesystem = { totalBytes: 100 * MB, freeBytes: 50 * MB, totalInodes: 1000, freeInodes: 40 };
    const p = run(all, { keep: 2, 'min-free-inodes': '10%', 'evict-kept-builds': true }, { filesystem });
    assert.deepEqual(p.eviction!.rules, ['min-free-inodes']);
    assert.ok(p.eviction!.freedBytes > 0);
  });

  it('9. without a usage record, arrival times order the eviction', () => {
    const { all } = agent();
    const p = run(all, { keep: 2, 'max-image-bytes': '15.5MB', 'target-image-bytes': '15MB', 'evict-kept-builds': true });
    // the oldest kept build by creation: a:ci-2 (built 80 hours ago; b:ci-2 79, c:ci-2 78)
    assert.deepEqual(p.eviction!.order.map((o) => o.references[0].replace('docker.io/library/', '')), ['a:ci-2']);
  });
});
