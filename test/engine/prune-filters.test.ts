// Why the tool removes image by image and never through a filtered
// `POST /images/prune`, although on the containerd store the engine's prune
// is ten times faster (docs/performance.md): no filter the API offers can
// confine a prune to the plan's set. `until` is the only filter that could
// exclude what arrived after planning, and both dockerd stores let an image
// that arrived after it through: the graph driver compares the image's own
// creation time (any reproducible or pulled build is "old"), the containerd
// store the name record's, which `docker load` onto an existing tag keeps.
// A job replacing a planned tag mid-run would lose its new image, which the
// per-image path (delete by the re-checked ID) cannot do. If an engine ever
// stops doing this, these cases fail and the prune path can be reconsidered.
//
// Podman is not covered: its prune filters are its own (`until` on created
// time, dangling=false differing) and the tool's Podman path is per image too.
import { strict as assert } from 'node:assert';
import type Docker from 'dockerode';
import { loadImages, type ImageSpec } from '../../src/demo/image-factory';
import { resetEngine } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Case {
  title: string;
  /** The replacement's creation time, relative to now. */
  createdAgoMs: number;
  /** Whether the prune takes the replacement, per store. */
  removed: Record<'graphdriver' | 'containerd', boolean>;
}

const CASES: Case[] = [
  { title: 'an image created before `until` (a pulled or reproducible build)', createdAgoMs: DAY, removed: { graphdriver: true, containerd: true } },
  // The graph driver's `until` reads the image's creation time: a fresh build is kept there.
  { title: 'an image created after `until` (a fresh build)', createdAgoMs: 0, removed: { graphdriver: false, containerd: true } },
];

for (const target of enginesOf('engine/prune-filters')) {
  describe(`engine prune filters: ${target.name}`, function () {
    this.timeout(120_000);
    let docker: Docker;
    before(() => {
      docker = target.docker();
    });
    beforeEach(async () => {
      await resetEngine(docker);
    });

    const store = target.store as 'graphdriver' | 'containerd';
    for (const c of CASES) {
      const verb = c.removed[store] ? 'removes' : 'keeps';
      it(`a prune filtered by label and \`until\` = planning time ${verb} ${c.title} loaded onto a planned tag after planning (${target.name})`, async () => {
        const planned: ImageSpec = { tags: ['app:1'], created: new Date(Date.now() - 2 * DAY), layers: [{ id: 'prune-filters-old', bytes: 5_000 }], labels: { team: 'a' } };
        await loadImages(docker, [planned]);
        const oldId = (await docker.getImage('app:1').inspect()).Id;
        await sleep(1_100);
        const planningTime = (Date.now() / 1000).toFixed(3);
        await sleep(1_100);
        // A concurrent job replaces the planned tag with its new build.
        const replacement: ImageSpec = { tags: ['app:1'], created: new Date(Date.now() - c.createdAgoMs), layers: [{ id: `prune-filters-new-${c.createdAgoMs}`, bytes: 5_000 }], labels: { team: 'a' } };
        await loadImages(docker, [replacement]);
        const newId = (await docker.getImage('app:1').inspect()).Id;
        assert.notEqual(newId, oldId);

        const answer: any = await (docker.pruneImages as (o: object) => Promise<unknown>)({
          filters: JSON.stringify({ dangling: ['false'], label: ['team=a'], until: [planningTime] }),
        });
        const deleted: string[] = (answer.ImagesDeleted ?? []).map((d: { Deleted?: string }) => d.Deleted).filter(Boolean);
        assert.equal(deleted.includes(newId), c.removed[store], `the prune deleted ${deleted.join(', ') || 'nothing'}; the new image is ${newId}`);
        const present = await docker.getImage(newId).inspect().then(
          () => true,
          (e: { statusCode?: number }) => (e.statusCode === 404 ? false : Promise.reject(e)),
        );
        assert.equal(present, !c.removed[store]);
      });
    }
  });
}
