import { strict as assert } from 'node:assert';
import { plan } from '../../../src/planner/planner';
import type { ImageRecord, Snapshot } from '../../../src/planner/snapshot';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

/** app:ci-1 .. app:ci-4 one day apart, node:20 labelled keep=true, two untagged leftovers. */
function agent(): ImageRecord[] {
  return [
    ...[1, 2, 3, 4].map((n) => image({ tags: [`app:ci-${n}`], ageHours: (5 - n) * 24 })),
    image({ tags: ['node:20'], ageHours: 500, labels: { keep: 'true' } }),
    image({ name: 'leftover-1', tags: [], ageHours: 100 }),
    image({ name: 'leftover-2', tags: [], ageHours: 100 }),
  ];
}

function planFor(raw: RawSettings, snap: Snapshot = snapshot(agent())) {
  return plan({ snapshot: snap, settings: parseSettings({ 'min-age': '0', ...raw }), now: NOW });
}

describe('planner warnings', () => {
  describe('patterns that match nothing are named', () => {
    const cases: { name: string; raw: RawSettings; unmatched: { setting: string; pattern: string }[]; warning?: RegExp }[] = [
      { name: '1. every pattern matches: no warning', raw: { current: 'app:ci-4', protect: 'node:*', 'protect-label': 'keep=true', repositories: 'app' }, unmatched: [] },
      { name: '2. a mistyped current build', raw: { current: 'app:ci-44' }, unmatched: [{ setting: 'current', pattern: 'app:ci-44' }], warning: /^current "app:ci-44" matches no image: .*older builds and may be removed.*typo.*max-removals/ },
      { name: '3. protect', raw: { protect: 'nodee:*' }, unmatched: [{ setting: 'protect', pattern: 'nodee:*' }], warning: /^protect "nodee:\*" matches no image: it protects nothing$/ },
      { name: '4. protect by an ID no image has', raw: { protect: 'abcdef0123456' }, unmatched: [{ setting: 'protect', pattern: 'abcdef0123456' }] },
      { name: '5. protect-label (value differs)', raw: { 'protect-label': 'keep=yes' }, unmatched: [{ setting: 'protect-label', pattern: 'keep=yes' }], warning: /^protect-label "keep=yes" matches no image/ },
      { name: '6. repositories', raw: { repositories: 'nomatch/**' }, unmatched: [{ setting: 'repositories', pattern: 'nomatch/**' }], warning: /^repositories "nomatch\/\*\*" matches no repository/ },
      {
        name: '7. only the pattern that matches nothing, among several',
        raw: { protect: 'node:*\nredis:*', repositories: 'app\nweb' },
        unmatched: [
          { setting: 'protect', pattern: 'redis:*' },
          { setting: 'repositories', pattern: 'web' },
        ],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const p = planFor(c.raw);
        assert.deepEqual(p.unmatched, c.unmatched);
        assert.equal(p.warnings.length, c.unmatched.length, p.warnings.join('\n'));
        if (c.warning) assert.match(p.warnings[0]!, c.warning);
      });
    }
  });

  describe('a limited scope leaves untagged images alone (docs/cli.md: they belong to no repository)', () => {
    it("8. repositories 'nomatch/**' removes nothing, dangling images included", () => {
      const p = planFor({ repositories: 'nomatch/**' });
      assert.deepEqual(p.decisions.filter((d) => d.action !== 'keep'), []);
      const untagged = p.decisions.filter((d) => d.references.length === 0);
      assert.equal(untagged.length, 2);
      for (const d of untagged) assert.deepEqual(d.keepReasons, [{ kind: 'outside-scope' }]);
    });
    it('9. repositories app: old app builds go, the untagged images stay', () => {
      const p = planFor({ repositories: 'app', keep: 1 });
      assert.deepEqual(p.decisions.filter((d) => d.action === 'remove').map((d) => d.references[0]), ['docker.io/library/app:ci-1', 'docker.io/library/app:ci-2', 'docker.io/library/app:ci-3']);
    });
    it('10. without a scope the dangling ones go, as before', () => {
      const p = planFor({ keep: 4 });
      assert.deepEqual(p.decisions.filter((d) => d.action === 'remove').map((d) => d.removeReasons[0]?.kind), ['dangling', 'dangling']);
    });
    it('11. space rules never evict them while the scope is limited', () => {
      const p = plan({ snapshot: snapshot(agent()), settings: parseSettings({ 'min-age': '0', repositories: 'nomatch', 'max-image-bytes': '1', 'evict-kept-builds': true }), now: NOW });
      assert.deepEqual(p.decisions.filter((d) => d.references.length === 0).map((d) => d.action), ['keep', 'keep']);
    });
  });

  describe('the 256-event window: only when it changes a decision', () => {
    const window = (complete: boolean, oldestMinutesAgo?: number): Snapshot => ({
      ...snapshot(agent()),
      activityWindow: { since: NOW - 7 * 24 * HOUR, complete, oldest: oldestMinutesAgo === undefined ? undefined : NOW - oldestMinutesAgo * 60_000 },
    });
    const cases: { name: string; snap: Snapshot; raw: RawSettings; named?: string[] }[] = [
      { name: '12. events complete: silent', snap: window(true, 5), raw: { keep: 1 } },
      { name: '13. buffer full but reaching back over min-age: silent', snap: window(false, 90), raw: { keep: 1 } },
      { name: '14. buffer full, short, nothing to remove: silent', snap: window(false, 10), raw: { keep: 4, dangling: 'false' } },
      { name: '15. min-age 0: silent', snap: window(false, 10), raw: { keep: 1, 'min-age': '0' } },
      {
        name: '16. buffer full, short, removals: names them',
        snap: window(false, 10),
        raw: { keep: 2, dangling: 'false' },
        named: ['docker.io/library/app:ci-1', 'docker.io/library/app:ci-2'],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const p = plan({ snapshot: c.snap, settings: parseSettings({ 'min-age': '1h', ...c.raw }), now: NOW });
        assert.deepEqual(p.arrivalUnknown?.images.map((i) => i.references[0]), c.named);
        const warning = p.warnings.find((w) => /256 events/.test(w));
        if (!c.named) return assert.equal(warning, undefined);
        assert.equal(
          warning,
          "the engine's last 256 events reach back only 10m, not over min-age 1h: these 2 images the plan removes may have been pulled within min-age without a trace: app:ci-1, app:ci-2. " +
            'If a concurrent job may have pulled them, protect them (protect) or run the cleanup when the engine is quieter',
        );
      });
    }
  });
});

describe('build places and tag order', () => {
  const reasonOf = (p: ReturnType<typeof plan>, tag: string) => {
    const d = p.decisions.find((x) => x.references.includes(`docker.io/library/${tag}`))!;
    return [...d.keepReasons, ...d.removeReasons].find((r) => r.kind === 'newest' || r.kind === 'old-build') as { kind: string; rank: number; position: number; currentNewer: boolean } | undefined;
  };
  it('17. the current build counts in the place, not in keep (fooproject:ci-3288 is 4th newest, 3rd for keep)', () => {
    const imgs = [3288, 3289, 3290, 3291].map((n, i) => image({ tags: [`fooproject:ci-${n}`], ageHours: 4 - i }));
    const p = planFor({ keep: 2, current: 'fooproject:ci-3291' }, snapshot(imgs));
    assert.deepEqual(reasonOf(p, 'fooproject:ci-3288'), { ...reasonOf(p, 'fooproject:ci-3288'), kind: 'old-build', rank: 3, position: 4, currentNewer: true });
    assert.deepEqual(reasonOf(p, 'fooproject:ci-3290'), { ...reasonOf(p, 'fooproject:ci-3290'), kind: 'newest', rank: 1, position: 2, currentNewer: true });
  });
  it('18. keep 0 without a current build: the newest is position 1', () => {
    const imgs = [1, 2].map((n) => image({ tags: [`app:ci-${n}`], ageHours: 10 - n }));
    const p = planFor({ keep: 0 }, snapshot(imgs));
    assert.equal(reasonOf(p, 'app:ci-2')?.position, 1);
    assert.equal(reasonOf(p, 'app:ci-2')?.kind, 'old-build');
  });
  const families: { name: string; tags: [string, number][]; expect: string[] }[] = [
    {
      name: '19. ci-3291 and release-2.4: versions compare within a family; the family built most recently ranks first',
      tags: [['release-2.4', 200], ['release-2.3', 300], ['ci-3291', 1], ['ci-3290', 2], ['ci-999', 3]],
      expect: ['ci-3291', 'ci-3290', 'ci-999', 'release-2.4', 'release-2.3'],
    },
    {
      name: '20. a release made after the CI builds ranks its family first',
      tags: [['release-2.4', 1], ['ci-3291', 5], ['ci-3290', 6]],
      expect: ['release-2.4', 'ci-3291', 'ci-3290'],
    },
    {
      name: '21. one family: pure version order, whatever the creation times',
      tags: [['1.9.3', 1], ['1.10.0', 50], ['1.10.1', 40]],
      expect: ['1.10.1', '1.10.0', '1.9.3'],
    },
  ];
  for (const c of families) {
    it(c.name, () => {
      const imgs = c.tags.map(([tag, ageHours]) => image({ tags: [`app:${tag}`], ageHours }));
      const p = planFor({ keep: 10, order: 'tag' }, snapshot(imgs));
      const order = [...c.tags].map(([tag]) => tag).sort((a, b) => reasonOf(p, `app:${a}`)!.position - reasonOf(p, `app:${b}`)!.position);
      assert.deepEqual(order, c.expect);
    });
  }
});

describe('front defaults', () => {
  it("22. a pattern the front filled in as its default (node:*) is listed as unmatched but not warned about", () => {
    const p = plan({ snapshot: snapshot([image({ tags: ['app:1'] })]), settings: parseSettings({ 'min-age': '0', protect: 'node:*\nredis:*' }), now: NOW, quietUnmatched: ['node:*'] });
    assert.deepEqual(p.unmatched.map((u) => u.pattern), ['node:*', 'redis:*']);
    assert.deepEqual(p.warnings, ['protect "redis:*" matches no image: it protects nothing']);
  });
});
