// The cost-aware eviction order (eviction-order cost, the default) on small hand-made agents:
// what goes first, and how far it goes below the limit. Cases 1 and 2 fail on the order before
// the replay showed it losing to docuum (bench/replay/results.md: azure-dood, mesa).
import { strict as assert } from 'node:assert';
import type { LastUse } from '../../../src/planner/eviction';
import { plan } from '../../../src/planner/planner';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { DAY, HOUR, image, NOW, snapshot } from '../../support/snapshot-fixtures';

const MB = 1_000_000;

interface Img {
  tag: string;
  mb: number;
  use: Omit<LastUse, 'time' | 'why'>;
}

const pulled = (tag: string, mb: number, uses: number[]): Img => ({ tag, mb, use: { uses, arrived: 'pulled', firstSeen: uses[0] } });
const built = (tag: string, mb: number, uses: number[], buildMs = 300_000): Img => ({ tag, mb, use: { uses, arrived: 'built', buildMs, firstSeen: uses[0] } });
const daily = [NOW - 2 * DAY, NOW - DAY, NOW - HOUR];

function evicted(images: Img[], raw: RawSettings): string[] {
  const records = images.map((i) => image({ tags: [i.tag], layers: [`layer:${i.tag}`], layerSizes: [i.mb * MB], ageHours: 24 * 30 }));
  const usage = new Map(images.map((i, n) => [records[n]!.id, { ...i.use, time: i.use.uses!.at(-1)!, why: 'container-exited' } as LastUse]));
  const p = plan({ snapshot: snapshot(records), settings: parseSettings({ 'min-age': '0', keep: 2, 'evict-kept-builds': true, 'eviction-order': 'cost', ...raw }), now: NOW, usage });
  return (p.eviction?.order ?? []).map((o) => o.references[0]!.replace('docker.io/library/', ''));
}

const cases: { what: string; images: Img[]; raw: RawSettings; evicted: string[] }[] = [
  {
    // 110 MB, limit 100, target 60: the one-off (used once) brings it within the limit; a and c,
    // used every day, would have to be fetched again, so the hysteresis stops there.
    what: '1. below the limit (down to the target) only what no use is expected of goes',
    images: [pulled('a:1', 30, [NOW - 3 * DAY, NOW - 2 * DAY, NOW - DAY]), pulled('oneoff:1', 30, [NOW - 2 * HOUR]), pulled('c:1', 50, [NOW - 3 * DAY, NOW - HOUR])],
    raw: { 'max-image-bytes': '100MB', 'target-image-bytes': '60MB' },
    evicted: ['oneoff:1'],
  },
  {
    // Same agent, recent order: least recently used down to the target, as before.
    what: '1b. the recent order still evicts down to the target',
    images: [pulled('a:1', 30, [NOW - 3 * DAY, NOW - 2 * DAY, NOW - DAY]), pulled('oneoff:1', 30, [NOW - 2 * HOUR]), pulled('c:1', 50, [NOW - 3 * DAY, NOW - HOUR])],
    raw: { 'max-image-bytes': '100MB', 'target-image-bytes': '60MB', 'eviction-order': 'recent' },
    evicted: ['a:1', 'oneoff:1'],
  },
  {
    // app:ci-2 is the newest build, used once; its repository builds every day, so the next build
    // needs its cached layers (300 s to rebuild 100 MB). p, pulled, is 2 s to fetch again: p goes.
    what: '2. a new build used once counts its repository\'s builds: a pulled image cheaper to get back goes first',
    images: [built('app:ci-1', 10, [NOW - 3 * DAY, NOW - 2 * DAY, NOW - DAY]), built('app:ci-2', 100, [NOW - 2 * HOUR]), pulled('p:1', 100, [NOW - 3 * DAY, NOW - 3 * HOUR])],
    raw: { 'max-image-bytes': '200MB', 'target-image-bytes': '190MB' },
    evicted: ['p:1'],
  },
  {
    // A pulled image used once (a merge request's one-off) still goes before one used every day.
    what: '3. a pulled image used once goes before one used often',
    images: [pulled('oneoff:1', 100, [NOW - HOUR]), pulled('big:1', 100, [NOW - 2 * DAY, NOW - DAY, NOW - 5 * HOUR])],
    raw: { 'max-image-bytes': '150MB' },
    evicted: ['oneoff:1'],
  },
  {
    // pull-bandwidth weighs a pull's bytes against a build's recorded time: b took 20 s to build, p is
    // 100 MB to pull, both used as often. At the default 50MB/s p is 2 s to get back and goes first...
    what: '4. pull-bandwidth 50MB/s (the default): the pull (2 s) goes before the build (20 s)',
    images: [built('b:1', 100, daily, 20_000), pulled('p:1', 100, daily)],
    raw: { 'max-image-bytes': '150MB' },
    evicted: ['p:1'],
  },
  {
    // ...over a 1MB/s link p is 100 s to get back: the build goes first.
    what: '4b. pull-bandwidth 1MB/s: the build (20 s) goes before the pull (100 s)',
    images: [built('b:1', 100, daily, 20_000), pulled('p:1', 100, daily)],
    raw: { 'max-image-bytes': '150MB', 'pull-bandwidth': '1MB/s' },
    evicted: ['b:1'],
  },
];

describe('eviction order: cost', () => {
  for (const c of cases) {
    it(c.what, () => {
      assert.deepEqual(evicted(c.images, c.raw), c.evicted);
    });
  }
});
