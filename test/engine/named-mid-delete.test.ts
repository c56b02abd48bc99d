// A protected tag another job gives an image while our own DELETE of that image
// runs (#23). The engine reads the image's names, then deletes the image: a tag
// that lands in between goes with it, and the engine's answer names only the
// planned tag. Nothing in the API closes that window; the run must report every
// such loss. Driven through a real engine: the job's `docker tag` is sent at a
// varying moment inside each of our DELETEs until the window is hit.
import { strict as assert } from 'node:assert';
import type Docker from 'dockerode';
import { runCleanup, type CleanupReport } from '../../src/app/cleanup';
import { WATCH_GAP } from '../../src/app/moved-names';
import { normalizeReference } from '../../src/domain/reference';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { parseSettings } from '../../src/settings/parse';
import { resetEngine } from '../support/engine';
import { enginesOf } from '../support/suite-engines';
import { seed } from '../support/races';

/** Candidates per round. */
const IMAGES = 40;
/**
 * dockerd 20.10 deletes the image well after it read its names: rounds run until a tag
 * lands in between and is lost (one or two do). The containerd store keeps an image
 * whose new name record came after its listing, and Podman refuses the delete (500,
 * "more than one tag"): there the rounds are fixed, and nothing may be lost unreported.
 */
// At most; the graph driver runs until a tag lands inside a DELETE, the others until the engine took 3 tags.
const ROUNDS = { graphdriver: 12, containerd: 10, podman: 10 } as const;

interface Tagging {
  /** The job's tag, sent while our DELETE of `imageId` ran, and whether the engine took it. */
  tag: string;
  imageId: string;
  accepted: boolean;
}

/** Tags each image it deletes by ID `node:99-mid-R-K`, at a random moment within a DELETE's usual duration. */
class JobTagsMidDelete extends DockerodeEngine {
  readonly taggings: Tagging[] = [];
  private readonly pending: Promise<unknown>[] = [];
  private durations: number[] = [];
  constructor(
    host: string,
    private readonly job: Docker,
    private readonly round: number,
  ) {
    super({ host });
  }
  override async removeImage(idOrReference: string) {
    if (!idOrReference.startsWith('sha256:')) return super.removeImage(idOrReference);
    const typical = this.durations.length > 0 ? this.durations.reduce((a, b) => a + b) / this.durations.length : 5;
    const tagging: Tagging = { tag: `99-mid-${this.round}-${this.taggings.length + 1}`, imageId: idOrReference, accepted: false };
    this.taggings.push(tagging);
    const delay = Math.random() * typical * 1.2;
    this.pending.push(
      new Promise((resolve) => setTimeout(resolve, delay))
        .then(() => this.job.getImage(idOrReference).tag({ repo: 'node', tag: tagging.tag }))
        .then(
          () => void (tagging.accepted = true),
          () => undefined, // gone already: nothing at stake
        ),
    );
    const started = Date.now();
    try {
      return await super.removeImage(idOrReference);
    } finally {
      this.durations = [...this.durations.slice(-15), Date.now() - started];
    }
  }
  settled(): Promise<unknown> {
    return Promise.all(this.pending);
  }
}

async function resolves(docker: Docker, name: string): Promise<boolean> {
  return docker
    .getImage(name)
    .inspect()
    .then(
      () => true,
      () => false, // 404, or a name whose content is gone (the containerd store answers 500)
    );
}

for (const target of enginesOf('engine/named-mid-delete')) {
  describe(`a protected tag given to an image while our DELETE of it runs (#23): ${target.name}`, function () {
    this.timeout(900_000);
    let docker: Docker;
    before(() => {
      docker = target.docker();
    });

    it(`every such tag the engine deletes with the image is reported as an incident naming it (${target.name})`, async () => {
      let midCall = 0;
      const summary: string[] = [];
      const mustHit = target.store === 'graphdriver';
      let taken = 0;
      for (let round = 1; round <= ROUNDS[target.store] && !(mustHit ? midCall > 0 : taken >= 3); round++) {
        await resetEngine(docker);
        await seed(docker, IMAGES);
        const settings = parseSettings({ host: target.host(), keep: 1, 'min-age': '0s', protect: ['node:*'], 'usage-store': 'none' });
        const engine = new JobTagsMidDelete(target.host(), docker, round);
        const report: CleanupReport = await runCleanup(settings, { engine });
        await engine.settled();
        assert.equal(report.counts.failed, 0, JSON.stringify(report.results.filter((r) => r.status === 'failed')));
        // The engine logged every delete of ours: the watch saw the whole run (else a loss could hide in what it missed).
        assert.ok(!report.warnings.includes(WATCH_GAP), `the watch missed part of the run: ${report.warnings.join('\n')}`);
        // An image the job's tag kept standing (the containerd store) is no removal, whatever the engine answered.
        for (const t of engine.taggings.filter((x) => x.accepted)) {
          const holder = await docker.getImage(`node:${t.tag}`).inspect().catch(() => undefined);
          const result = report.results.find((r) => r.imageId === t.imageId);
          if (holder?.Id === t.imageId) assert.ok(!result?.deleted && result?.status !== 'removed', `${t.imageId.slice(7, 19)} stands as node:${t.tag}, reported ${JSON.stringify(result)}`);
        }
        const lost: Tagging[] = [];
        for (const t of engine.taggings) if (t.accepted && !(await resolves(docker, `node:${t.tag}`))) lost.push(t);
        const named = (t: Tagging, i: { untagged: string[] }) => i.untagged.some((n) => [normalizeReference(`node:${t.tag}`), `localhost/node:${t.tag}`].includes(n));
        // Lost after the engine had read the names (its answer does not name the tag): the case this test is for.
        const inAnswer = (t: Tagging) => report.results.some((r) => r.imageId === t.imageId && r.incidents?.some((i) => /also untagged/.test(i.text) && named(t, i)));
        midCall += lost.filter((t) => !inAnswer(t)).length;
        taken += engine.taggings.filter((t) => t.accepted).length;
        summary.push(`round ${round}: ${engine.taggings.filter((t) => t.accepted).length} tags taken, ${lost.length} lost (${lost.filter((t) => !inAnswer(t)).length} not in the answer)`);
        for (const t of lost) {
          assert.ok(
            report.incidents.some((i) => named(t, i) && i.imageId === t.imageId),
            `node:${t.tag}, given to ${t.imageId.slice(7, 19)} during our DELETE, was lost without an incident naming it\n${summary.join('\n')}\n` +
              report.incidents.map((i) => i.text).join('\n'),
          );
        }
        // No false alarm: an incident names only a tag the job sent that names nothing now (Podman may
        // log the tag and then answer the job with an error, the image being gone: still a name it lost).
        for (const i of report.incidents) {
          const t = engine.taggings.find((x) => named(x, i));
          assert.ok(t && !(await resolves(docker, `node:${t.tag}`)), `incident without a loss: ${i.text}`);
        }
      }
      if (mustHit) assert.ok(midCall > 0, `the job's tag never landed inside one of our DELETEs in ${ROUNDS.graphdriver} rounds of ${IMAGES - 1}:\n${summary.join('\n')}`);
      else assert.ok(taken >= 3, `the engine took only ${taken} of the job's tags sent during our DELETEs:\n${summary.join('\n')}`);
    });
  });
}
