import { strict as assert } from 'node:assert';
import { plan, type PlanInput } from '../../../src/planner/planner';
import type { ImageDecision, KeepReason } from '../../../src/planner/plan';
import type { ImageRecord } from '../../../src/planner/snapshot';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { container, derived, HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

function planFor(images: ImageRecord[], raw: RawSettings = {}, extra: Partial<PlanInput> = {}) {
  return plan({ snapshot: snapshot(images), settings: parseSettings({ 'min-age': '0', ...raw }), now: NOW, ...extra });
}

function decisionOf(p: ReturnType<typeof plan>, img: ImageRecord): ImageDecision {
  const d = p.decisions.find((x) => x.imageId === img.id);
  assert.ok(d, `no decision for ${img.tags[0] ?? img.id}`);
  return d;
}

function kinds(reasons: { kind: string }[]): string[] {
  return [...new Set(reasons.map((r) => r.kind))].sort();
}

/** builds ci-1 (oldest) .. ci-n (newest) of one repository, one day apart */
function builds(repo: string, n: number, base?: ImageRecord): ImageRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const options = { tags: [`${repo}:ci-${i + 1}`], ageHours: (n - i) * 24 };
    return base ? derived(base, options) : image(options);
  });
}

describe('planner', () => {
  describe('keep-N per repository', () => {
    const cases: { name: string; raw: RawSettings; expect: ('keep' | 'remove')[] }[] = [
      { name: '1. keep 2 plus the current build', raw: { keep: 2, current: 'app:ci-5' }, expect: ['remove', 'remove', 'keep', 'keep', 'keep'] },
      { name: '2. keep 2, current build among the newest', raw: { keep: 2, current: 'app:ci-3' }, expect: ['remove', 'remove', 'keep', 'keep', 'keep'] },
      { name: '3. keep 2, current build is the oldest', raw: { keep: 2, current: '*:ci-1' }, expect: ['keep', 'remove', 'remove', 'keep', 'keep'] },
      { name: '4. keep 0 keeps only the current build', raw: { keep: 0, current: 'app:ci-5' }, expect: ['remove', 'remove', 'remove', 'remove', 'keep'] },
      { name: '5. keep 5 keeps a repository with 5 builds whole', raw: { keep: 5 }, expect: ['keep', 'keep', 'keep', 'keep', 'keep'] },
      { name: '6. default keep is 2', raw: {}, expect: ['remove', 'remove', 'remove', 'keep', 'keep'] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const imgs = builds('app', 5);
        const p = planFor(imgs, c.raw);
        assert.deepEqual(
          imgs.map((i) => decisionOf(p, i).action),
          c.expect,
        );
      });
    }

    it('7. ranks by tag as a version with order=tag (ci-10 after ci-9)', () => {
      const ci9 = image({ tags: ['app:ci-9'], ageHours: 1 });
      const ci10 = image({ tags: ['app:ci-10'], ageHours: 50 });
      const ci8 = image({ tags: ['app:ci-8'], ageHours: 2 });
      const byTag = planFor([ci8, ci9, ci10], { keep: 2, order: 'tag' });
      assert.deepEqual([ci8, ci9, ci10].map((i) => decisionOf(byTag, i).action), ['remove', 'keep', 'keep']);
      const byCreated = planFor([ci8, ci9, ci10], { keep: 2 });
      assert.deepEqual([ci8, ci9, ci10].map((i) => decisionOf(byCreated, i).action), ['keep', 'keep', 'remove']);
    });

    it('8. an image with latest and a build tag is one build', () => {
      const [b1, b2, b3] = builds('app', 3);
      b3.tags.push('docker.io/library/app:latest');
      const p = planFor([b1, b2, b3], { keep: 2 });
      assert.deepEqual([b1, b2, b3].map((i) => decisionOf(p, i).action), ['remove', 'keep', 'keep']);
      assert.deepEqual(decisionOf(p, b3).untag, []);
    });

    it('9. the removal reason names the repository, the rank and the keep count', () => {
      const imgs = builds('app', 3);
      const d = decisionOf(planFor(imgs, { keep: 1 }), imgs[0]);
      assert.deepEqual(d.removeReasons, [{ kind: 'old-build', reference: 'docker.io/library/app:ci-1', repository: 'docker.io/library/app', rank: 3, position: 3, currentNewer: false, keep: 1 }]);
      assert.deepEqual(d.untag, ['docker.io/library/app:ci-1']);
      assert.equal(d.delete, true);
    });

    it('10. repositories with at most N builds lose nothing (single-tag dependencies)', () => {
      const redis = image({ tags: ['redis:7'], ageHours: 24 * 200 });
      const postgres = image({ tags: ['postgres:16'], ageHours: 24 * 300 });
      const p = planFor([redis, postgres], { keep: 1 });
      assert.equal(decisionOf(p, redis).action, 'keep');
      assert.equal(decisionOf(p, postgres).action, 'keep');
    });
  });

  describe('one image in several repositories', () => {
    it('11. judged per reference: the other reference is untagged, the image stays', () => {
      const [b1, b2, b3] = builds('app', 3);
      b1.tags.push('registry.example.com/team/app:ci-1');
      const d = decisionOf(planFor([b1, b2, b3], { keep: 2 }), b1);
      assert.equal(d.action, 'untag');
      assert.deepEqual(d.untag, ['docker.io/library/app:ci-1']);
      assert.equal(d.delete, false);
    });

    it('12. when the image must go, every reference goes (no "referenced in multiple repositories")', () => {
      const olds = builds('app', 3);
      const mirror = builds('registry.example.com/team/app', 3);
      olds[0].tags.push(...mirror[0].tags);
      const p = planFor([...olds, mirror[1], mirror[2]], { keep: 2 });
      const d = decisionOf(p, olds[0]);
      assert.equal(d.action, 'remove');
      assert.deepEqual(d.untag, ['docker.io/library/app:ci-1', 'registry.example.com/team/app:ci-1']);
    });

    it('13. nothing is untagged from an image something protects', () => {
      const [b1, b2, b3] = builds('app', 3);
      b1.tags.push('registry.example.com/team/app:ci-1');
      b1.labels = { keep: 'true' };
      const d = decisionOf(planFor([b1, b2, b3], { keep: 2, 'protect-label': 'keep=true' }), b1);
      assert.equal(d.action, 'keep');
      assert.deepEqual(d.untag, []);
    });

    it('14. digest references count as references of their repository', () => {
      const old = image({ tags: [], digests: ['node@sha256:' + 'a'.repeat(64)], ageHours: 24 * 100 });
      const n20 = image({ tags: ['node:20'], ageHours: 24 * 10 });
      const n22 = image({ tags: ['node:22'], ageHours: 24 * 5 });
      const d = decisionOf(planFor([old, n20, n22], { keep: 2 }), old);
      assert.equal(d.action, 'remove');
      assert.deepEqual(d.untag, ['docker.io/library/node@sha256:' + 'a'.repeat(64)]);
    });
  });

  describe('base images', () => {
    it('15. a base found by layers is kept without any pattern, and says for whom', () => {
      const node18 = image({ tags: ['node:18-alpine'], ageHours: 24 * 300, layers: ['n18a', 'n18b'] });
      const node20 = image({ tags: ['node:20-alpine'], ageHours: 24 * 200, layers: ['n20'] });
      const node22 = image({ tags: ['node:22-alpine'], ageHours: 24 * 100, layers: ['n22'] });
      const apps = builds('app', 3, node18);
      const p = planFor([node18, node20, node22, ...apps], { keep: 2 });
      const d = decisionOf(p, node18);
      assert.equal(d.action, 'keep');
      assert.deepEqual(kinds(d.keepReasons), ['base-of']);
      assert.deepEqual(
        d.keepReasons.map((r) => (r as Extract<KeepReason, { kind: 'base-of' }>).reference).sort(),
        ['docker.io/library/app:ci-2', 'docker.io/library/app:ci-3'],
      );
      assert.equal(decisionOf(p, node20).action, 'keep');
      assert.equal(decisionOf(p, node22).action, 'keep');
      assert.equal(decisionOf(p, apps[0]).action, 'remove');
    });

    it('16. a base of a removed build alone is not kept for it', () => {
      const baseOld = image({ tags: ['base:1'], ageHours: 24 * 300, layers: ['b1'] });
      const base2 = image({ tags: ['base:2'], ageHours: 24 * 200, layers: ['b2'] });
      const base3 = image({ tags: ['base:3'], ageHours: 24 * 100, layers: ['b3'] });
      const oldApp = derived(baseOld, { tags: ['app:ci-1'], ageHours: 24 * 250 });
      const newApps = [2, 3].map((n) => derived(base3, { tags: [`app:ci-${n}`], ageHours: 10 - n }));
      const p = planFor([baseOld, base2, base3, oldApp, ...newApps], { keep: 2 });
      assert.equal(decisionOf(p, oldApp).action, 'remove');
      assert.equal(decisionOf(p, baseOld).action, 'remove');
    });

    it('17. a Parent ancestor (legacy builder) is a base', () => {
      const parent = image({ tags: [], name: 'parent', layers: ['p1'] });
      const child = image({ tags: ['tool:1'], name: 'child', layers: ['other'], parent });
      const p = planFor([parent, child], { keep: 2 });
      assert.equal(decisionOf(p, parent).action, 'keep');
      assert.deepEqual(kinds(decisionOf(p, parent).keepReasons), ['base-of']);
    });

    it('18. same layers, other config: an older build of the same repository is not a base', () => {
      const layers = ['same'];
      const older = [1, 2].map((n) => image({ tags: [`app:ci-${n}`], layers, ageHours: 100 - n }));
      const newest = image({ tags: ['app:ci-3'], layers, ageHours: 1 });
      const p = planFor([...older, newest], { keep: 1 });
      assert.deepEqual(older.map((o) => decisionOf(p, o).action), ['remove', 'remove']);
    });

    it('19. Dockerfile FROM images are protected', () => {
      const imgs = builds('node', 4);
      const p = planFor(imgs, { keep: 1 }, { dockerfileReferences: [{ reference: 'docker.io/library/node:ci-1', dockerfile: '/src/Dockerfile' }] });
      const d = decisionOf(p, imgs[0]);
      assert.equal(d.action, 'keep');
      assert.deepEqual(d.keepReasons[0], { kind: 'dockerfile-base', reference: 'docker.io/library/node:ci-1', dockerfile: '/src/Dockerfile' });
    });
  });

  describe('protection', () => {
    const table: { name: string; raw: RawSettings; tags: string[]; labels?: Record<string, string>; reason: string }[] = [
      { name: '20. node:* matches docker.io/library/node:20-alpine', raw: { protect: 'node:*' }, tags: ['node:20-alpine'], reason: 'protected-pattern' },
      { name: '21. a whole registry', raw: { protect: 'mcr.microsoft.com/**' }, tags: ['mcr.microsoft.com/dotnet/sdk:8.0'], reason: 'protected-pattern' },
      { name: '22. a label key', raw: { 'protect-label': 'keep' }, tags: ['x:1'], labels: { keep: 'anything' }, reason: 'protected-label' },
      { name: '23. a label key=value', raw: { 'protect-label': 'keep=true' }, tags: ['x:1'], labels: { keep: 'true' }, reason: 'protected-label' },
      { name: '24. current pattern', raw: { current: '*:ci-9' }, tags: ['x:ci-9'], reason: 'current' },
    ];
    for (const c of table) {
      it(c.name, () => {
        const target = image({ tags: c.tags, ageHours: 24 * 400, labels: c.labels });
        const repo = c.tags[0].slice(0, c.tags[0].lastIndexOf(':'));
        const newer = [1, 2].map((n) => image({ tags: [`${repo}:newer-${n}`], ageHours: n }));
        const d = decisionOf(planFor([target, ...newer], { keep: 2, ...c.raw }), target);
        assert.equal(d.action, 'keep');
        assert.deepEqual(kinds(d.keepReasons), [c.reason]);
      });
    }

    it('25. a label with another value does not protect', () => {
      const imgs = builds('app', 3);
      imgs[0].labels = { keep: 'false' };
      assert.equal(decisionOf(planFor(imgs, { keep: 2, 'protect-label': 'keep=true' }), imgs[0]).action, 'remove');
    });

    it('26. an image ID, short or full', () => {
      const imgs = builds('app', 3);
      const short = imgs[0].id.slice(7, 19);
      assert.equal(decisionOf(planFor(imgs, { keep: 2, protect: short }), imgs[0]).action, 'keep');
      assert.equal(decisionOf(planFor(imgs, { keep: 2, protect: imgs[0].id }), imgs[0]).action, 'keep');
      assert.deepEqual(kinds(decisionOf(planFor(imgs, { keep: 2, protect: imgs[0].id }), imgs[0]).keepReasons), ['protected-id']);
    });
  });

  describe('in use', () => {
    const states = ['running', 'exited', 'created', 'paused'];
    for (const state of states) {
      it(`27. a container (${state}) keeps its image and that image's bases`, () => {
        const base = image({ tags: ['base:1'], ageHours: 24 * 300, layers: ['b'] });
        const newerBases = [2, 3].map((n) => image({ tags: [`base:${n}`], ageHours: n, layers: [`b${n}`] }));
        const imgs = builds('app', 4, base);
        const p = plan({
          snapshot: snapshot([base, ...newerBases, ...imgs], [container(imgs[0], { name: 'svc', state })]),
          settings: parseSettings({ keep: 2, 'min-age': '0' }),
          now: NOW,
        });
        assert.deepEqual(decisionOf(p, imgs[0]).keepReasons.filter((r) => r.kind === 'in-use'), [
          { kind: 'in-use', containerId: 'c-svc', containerName: 'svc', state },
        ]);
        assert.equal(decisionOf(p, imgs[0]).action, 'keep');
        assert.equal(decisionOf(p, base).action, 'keep');
      });
    }

    it('28. a container created by ID, whose image tag has since moved to a newer build', () => {
      const old = image({ tags: [], name: 'moved-away', ageHours: 24 * 10 });
      const imgs = builds('app', 3);
      const c = container(old, { name: 'by-id', typed: old.id.slice(7, 19) });
      const p = plan({ snapshot: snapshot([old, ...imgs], [c]), settings: parseSettings({ keep: 1, 'min-age': '0' }), now: NOW });
      assert.equal(decisionOf(p, old).action, 'keep');
    });

    it('29. a container whose ImageID is not listed is matched by the ID it was created with', () => {
      const img = image({ tags: [], name: 'c8d' });
      const c = { ...container(img, { name: 'x', typed: img.id }), imageId: 'sha256:' + 'f'.repeat(64) };
      const p = plan({ snapshot: snapshot([img], [c]), settings: parseSettings({ 'min-age': '0' }), now: NOW });
      assert.equal(decisionOf(p, img).action, 'keep');
    });
  });

  describe('dangling images', () => {
    it('30. removed by default, kept with dangling=false', () => {
      const d = image({ tags: [], name: 'leftover' });
      assert.equal(decisionOf(planFor([d]), d).action, 'remove');
      assert.deepEqual(decisionOf(planFor([d]), d).removeReasons, [{ kind: 'dangling' }]);
      assert.equal(decisionOf(planFor([d], { dangling: false }), d).action, 'keep');
    });

    it('31. kept when a kept image stands on it', () => {
      const d = image({ tags: [], name: 'intermediate', layers: ['i'] });
      const child = derived(d, { tags: ['app:1'] });
      assert.equal(decisionOf(planFor([d, child]), d).action, 'keep');
    });
  });

  describe('grace period', () => {
    const cases: { name: string; img: () => ImageRecord; activity?: (i: ImageRecord) => import('../../../src/planner/snapshot').ImageActivity[]; source: string }[] = [
      { name: '32. built 10 minutes ago', img: () => image({ tags: ['app:ci-1'], ageHours: 1 / 6 }), source: 'created' },
      { name: '33. tagged 10 minutes ago', img: () => image({ tags: ['app:ci-1'], ageHours: 500, lastTaggedHoursAgo: 1 / 6 }), source: 'tagged' },
      {
        name: '34. pulled 10 minutes ago (old creation time, pull event)',
        img: () => image({ tags: ['app:ci-1'], ageHours: 500 }),
        activity: () => [{ time: NOW - 10 * 60_000, action: 'pull', reference: 'docker.io/library/app:ci-1' }],
        source: 'event',
      },
      {
        name: '35. loaded 10 minutes ago (event names the ID)',
        img: () => image({ tags: ['app:ci-1'], ageHours: 500 }),
        activity: (i) => [{ time: NOW - 10 * 60_000, action: 'load', imageId: i.id }],
        source: 'event',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const young = c.img();
        const newer = [image({ tags: ['app:ci-2'], ageHours: 3 }), image({ tags: ['app:ci-3'], ageHours: 2 })];
        const p = plan({
          snapshot: snapshot([young, ...newer], [], c.activity?.(young) ?? []),
          settings: parseSettings({ keep: 1, 'min-age': '1h' }),
          now: NOW,
        });
        const d = decisionOf(p, young);
        assert.equal(d.action, 'keep');
        const reason = d.keepReasons.find((r) => r.kind === 'young') as Extract<KeepReason, { kind: 'young' }>;
        assert.equal(reason.source, c.source);
        assert.equal(reason.minAgeMs, HOUR);
        assert.equal(decisionOf(p, newer[0]).action, 'remove');
      });
    }

    it('36. an event older than the grace period does not count; a short event window warns', () => {
      const img = image({ tags: ['app:ci-1'], ageHours: 500 });
      const newer = [image({ tags: ['app:ci-2'], ageHours: 3 })];
      const p = plan({
        snapshot: snapshot([img, ...newer], [], [{ time: NOW - 2 * HOUR, action: 'pull', reference: 'docker.io/library/app:ci-1' }], false),
        settings: parseSettings({ keep: 1, 'min-age': '1h' }),
        now: NOW,
      });
      assert.equal(decisionOf(p, img).action, 'remove');
      assert.match(p.warnings.join('\n'), /256 events/);
    });
  });

  describe('scope', () => {
    it('37. repositories outside scope are never touched', () => {
      const apps = builds('app', 4);
      const others = builds('team/other', 4);
      const p = planFor([...apps, ...others], { keep: 1, repositories: 'app' });
      assert.deepEqual(others.map((o) => decisionOf(p, o).action), ['keep', 'keep', 'keep', 'keep']);
      assert.deepEqual(kinds(decisionOf(p, others[0]).keepReasons), ['outside-scope']);
      assert.deepEqual(apps.map((o) => decisionOf(p, o).action), ['remove', 'remove', 'remove', 'keep']);
    });

    it('38. an image in scope through one reference and outside through another keeps the outside one', () => {
      const apps = builds('app', 3);
      apps[0].tags.push('docker.io/team/other:x');
      const d = decisionOf(planFor(apps, { keep: 1, repositories: 'app' }), apps[0]);
      assert.equal(d.action, 'untag');
      assert.deepEqual(d.untag, ['docker.io/library/app:ci-1']);
    });
  });

  describe('job start (CI pre/post)', () => {
    it('39. images new since the job started, or retagged, are the current build', () => {
      const imgs = builds('app', 5);
      const retagged = imgs[1];
      retagged.tags.push('docker.io/library/app:release');
      const jobStart = {
        startedAt: NOW - HOUR,
        imageIds: imgs.slice(0, 4).map((i) => i.id),
        references: imgs.slice(0, 4).flatMap((i) => i.tags).filter((t) => !t.endsWith(':release')),
      };
      const p = planFor(imgs, { keep: 1 }, { jobStart });
      assert.deepEqual(imgs.map((i) => decisionOf(p, i).action), ['remove', 'keep', 'remove', 'keep', 'keep']);
      assert.deepEqual(decisionOf(p, imgs[4]).keepReasons[0], { kind: 'job-image', detail: 'new' });
      assert.deepEqual(decisionOf(p, retagged).keepReasons[0], { kind: 'job-image', detail: 'retagged', reference: 'docker.io/library/app:release' });
    });
  });

  describe('space accounting', () => {
    it('40. shared layers count once, and only when no survivor uses them', () => {
      const base = image({ tags: ['base:1'], layers: ['b'], layerSizes: [10_000], ageHours: 24 * 100 });
      const apps = [1, 2, 3, 4].map((n) => derived(base, { tags: [`app:ci-${n}`], ageHours: 10 - n, ownSizes: [n * 100] }));
      const keepTwo = planFor([base, ...apps], { keep: 2 });
      assert.equal(keepTwo.predictedBytes, 100 + 200);
      assert.equal(decisionOf(keepTwo, apps[0]).uniqueBytes, 100);
      assert.equal(decisionOf(keepTwo, base).uniqueBytes, 0);
      // With no build left, the base goes too and its layer is freed once.
      const all = planFor([base, ...apps], { keep: 0 });
      assert.equal(all.predictedBytes, 10_000 + 100 + 200 + 300 + 400);
    });

    it('41. without per-layer sizes, the size the known layers do not explain goes to the top layer', () => {
      const base = image({ tags: ['base:1'], layers: ['b'], layerSizes: [10_000], ageHours: 24 * 100 });
      const app = { ...derived(base, { tags: ['app:ci-1'], ownSizes: [700] }), layerSizes: undefined };
      const p = planFor([base, app], { keep: 0, current: 'base:1' });
      assert.equal(decisionOf(p, app).uniqueBytes, 700);
      assert.equal(p.predictedBytes, 700);
    });
  });

  it('42. plans 5,000 images across 50 repositories with bases and containers without error', function () {
    // Correctness at scale; its speed belongs to bench/ (a loaded agent must not fail it on mocha's 2 s default).
    this.timeout(60_000);
    const bases = Array.from({ length: 5 }, (_, i) => image({ tags: [`base:${i}`], layers: [`base-${i}`], ageHours: 24 * 200 }));
    const imgs: ImageRecord[] = [...bases];
    for (let i = 0; i < 5000; i++) imgs.push(derived(bases[i % 5], { tags: [`repo${i % 50}:b${i}`], ageHours: 5000 - i + 2 }));
    const p = plan({ snapshot: snapshot(imgs, [container(imgs[10], { name: 'c' })]), settings: parseSettings({ keep: 3, 'min-age': '0' }), now: NOW });
    assert.equal(p.decisions.filter((d) => d.action === 'keep').length, 5 + 50 * 3 + 1);
  });

  it('43. is pure: the same input plans the same twice and the snapshot is not changed', () => {
    const imgs = builds('app', 4);
    const snap = snapshot(imgs);
    const frozen = JSON.stringify(snap);
    const input = { snapshot: snap, settings: parseSettings({ keep: 1, 'min-age': '0' }), now: NOW };
    assert.deepEqual(plan(input), plan(input));
    assert.equal(JSON.stringify(snap), frozen);
  });
});

