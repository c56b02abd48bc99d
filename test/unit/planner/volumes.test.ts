import assert from 'node:assert/strict';
import { planVolumes, type VolumePlanInput } from '../../../src/planner/volumes';
import type { ContainerRecord, VolumeRecord } from '../../../src/planner/snapshot';
import type { VolumeRules } from '../../../src/settings/settings';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const H = 3_600_000;
const ANON = 'a'.repeat(64);

const vol = (name: string, idleHours: number, extra: Partial<VolumeRecord> = {}): VolumeRecord => ({ name, driver: 'local', labels: {}, created: NOW - idleHours * H, size: 1000, ...extra });
const ctr = (name: string, state: string, volumes: string[], ageHours = 48): ContainerRecord => ({ id: `id-${name}`, name, image: 'img', imageId: 'sha256:x', state, created: NOW - ageHours * H, labels: {}, volumes });
const rules = (r: Partial<VolumeRules> = {}): VolumeRules => ({ olderThanMs: 24 * H, named: false, protect: [], buildxOlderThanMs: 24 * H, ...r });

function decide(volumes: VolumeRecord[], containers: ContainerRecord[], r = rules(), extra: Partial<VolumePlanInput> = {}) {
  const plan = planVolumes({ volumes, containers, rules: r, protectLabels: [{ key: 'keep', text: 'keep' }], now: NOW, ...extra });
  return Object.fromEntries([...plan.volumes, ...plan.builders].map((d) => [d.name, `${d.action}: ${d.reason}`]));
}

describe('planVolumes', () => {
  const cases: [string, VolumeRecord[], ContainerRecord[], VolumeRules, Record<string, RegExp>][] = [
    ['an old anonymous volume nothing mounts goes', [vol(ANON, 48)], [], rules(), { [ANON]: /^remove: anonymous volume no container mounts, unused for 2d/ }],
    ['Docker 23+ labels anonymous volumes', [vol('x1', 48, { labels: { 'com.docker.volume.anonymous': '' } })], [], rules(), { x1: /^remove: anonymous/ }],
    ['a stopped container mounting it keeps it', [vol(ANON, 48)], [ctr('job', 'exited', [ANON])], rules(), { [ANON]: /^keep: mounted by job/ }],
    ['a running container keeps it', [vol(ANON, 48)], [ctr('svc', 'running', [ANON])], rules(), { [ANON]: /^keep: mounted by svc/ }],
    ['recently created stays', [vol(ANON, 2)], [], rules(), { [ANON]: /^keep: used 2h ago, within the grace period/ }],
    ['a recent mount event counts as use', [vol(ANON, 48, { lastEvent: NOW - H })], [], rules(), { [ANON]: /^keep: used 1h ago/ }],
    ['no creation time and no event: unknown, kept', [vol(ANON, 0, { created: undefined })], [], rules(), { [ANON]: /^keep: the engine tells neither/ }],
    ['named volumes stay unless volumes-named', [vol('cache', 48)], [], rules(), { cache: /^keep: named volume \(volumes-named not set\)/ }],
    ['named dangling volume goes with volumes-named', [vol('cache', 48)], [], rules({ named: true }), { cache: /^remove: dangling named volume/ }],
    ['protected by name pattern', [vol('cache-npm', 48)], [], rules({ named: true, protect: ['cache-*'] }), { 'cache-npm': /^keep: protected name cache-\*/ }],
    ['protected by label', [vol(ANON, 48, { labels: { keep: '1' } })], [], rules(), { [ANON]: /^keep: protected label/ }],
    ['volumes off: nothing goes', [vol(ANON, 48)], [], rules({ olderThanMs: undefined }), { [ANON]: /^keep: volumes are not cleaned/ }],
    [
      'stopped builder node and its state volume go when no node runs',
      [vol('buildx_buildkit_ci0_state', 48)],
      [ctr('buildx_buildkit_ci0', 'exited', ['buildx_buildkit_ci0_state'])],
      rules({ olderThanMs: undefined }),
      { buildx_buildkit_ci0: /^remove: stopped node of builder ci, which no longer runs/, buildx_buildkit_ci0_state: /^remove: state of builder ci, which no longer runs/ },
    ],
    [
      'a running node of the same builder keeps the stopped one and its state',
      [vol('buildx_buildkit_ci0_state', 48), vol('buildx_buildkit_ci1_state', 48), vol('buildx_buildkit_ci2_state', 48)],
      [ctr('buildx_buildkit_ci0', 'exited', ['buildx_buildkit_ci0_state']), ctr('buildx_buildkit_ci1', 'running', ['buildx_buildkit_ci1_state'])],
      rules(),
      { buildx_buildkit_ci0: /^keep: another node of builder ci runs/, buildx_buildkit_ci0_state: /^keep: mounted by buildx_buildkit_ci0$/, buildx_buildkit_ci2_state: /^keep: builder ci runs/, buildx_buildkit_ci1: /^keep: builder ci is running/, buildx_buildkit_ci1_state: /^keep: mounted by buildx_buildkit_ci1/ },
    ],
    [
      'a young builder container stays, and so does its mounted state',
      [vol('buildx_buildkit_ci0_state', 48)],
      [ctr('buildx_buildkit_ci0', 'exited', ['buildx_buildkit_ci0_state'], 2)],
      rules(),
      { buildx_buildkit_ci0: /^keep: younger than buildx-older-than/, buildx_buildkit_ci0_state: /^keep: mounted by buildx_buildkit_ci0/ },
    ],
    ['an orphaned state volume goes by buildx-older-than only', [vol('buildx_buildkit_old0_state', 48)], [], rules({ buildxOlderThanMs: undefined }), { buildx_buildkit_old0_state: /^keep: builder state is not cleaned/ }],
    ['a builder state volume is not a named volume', [vol('buildx_buildkit_old0_state', 48)], [], rules({ named: true, buildxOlderThanMs: undefined }), { buildx_buildkit_old0_state: /^keep: builder state/ }],
  ];
  for (const [title, volumes, containers, r, expected] of cases) {
    it(title, () => {
      const got = decide(volumes, containers, r);
      for (const [name, pattern] of Object.entries(expected)) assert.match(got[name] ?? 'missing', pattern, name);
    });
  }

  it('containers leaving in this run do not hold their volumes', () => {
    const got = decide([vol(ANON, 48)], [ctr('old-job', 'exited', [ANON])], rules(), { leaving: new Set(['id-old-job']) });
    assert.match(got[ANON], /^remove:/);
  });

  it('predicts bytes from what the engine sized and counts the rest', () => {
    const plan = planVolumes({
      volumes: [vol(ANON, 48, { size: 5000 }), vol('b'.repeat(64), 48, { size: undefined }), vol('kept', 48, { size: 7 })],
      containers: [{ ...ctr('buildx_buildkit_x0', 'exited', []), sizeRw: 300 } as ContainerRecord],
      rules: rules(),
      protectLabels: [],
      now: NOW,
    });
    assert.equal(plan.predictedBytes, 5300);
    assert.equal(plan.unsized, 1);
  });
});
