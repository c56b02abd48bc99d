// what-if on real engines: a usage record made by real cleanups (usage-file store), then the
// CLI's what-if over it. Read-only: the image list is the same after, and the engine's events
// over the what-if show no untag or delete.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCleanup } from '../../src/app/cleanup';
import { main } from '../../src/cli/main';
import { openSession } from '../../src/compose';
import { loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { parseSettings } from '../../src/settings/parse';
import { createContainer, freshEngineEachTest, imageIds, listTags } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const HOUR = 3_600_000;
const KB = 1000;

function agent(now: number): ImageSpec[] {
  const base: LayerSpec[] = [{ id: 'whatif-base', busybox: true, bytes: 300 * KB }];
  const specs: ImageSpec[] = [{ tags: ['base:1'], created: new Date(now - 1000 * HOUR), layers: base }];
  for (const repo of ['a', 'b']) {
    for (let n = 1; n <= 3; n++) specs.push({ tags: [`${repo}:ci-${n}`], created: new Date(now - (50 - n) * HOUR), layers: [...base, { id: `whatif-${repo}-${n}`, bytes: 200 * KB }] });
  }
  return specs;
}

for (const target of enginesOf('engine/what-if')) {
  describe(`real engine: what-if replays the usage record on ${target.name}`, function () {
    this.timeout(180_000);
    const on = freshEngineEachTest(target, 'dic-whatif-');

    it('1. prints the table over the recorded period and removes nothing', async () => {
      const now = Date.now();
      await loadImages(on.docker, agent(now));
      const file = path.join(on.dir, 'usage.json');
      // Two real runs, a day apart, make the record (keep 3: nothing removed, every build recorded). Between
      // them a job creates a container from b:ci-3: a use every engine shows in its container list. (Not only
      // events: Podman logs a load without the image, and its event log keeps other suites' containers, whose
      // names may now name these images.)
      for (const at of [now - 24 * HOUR, now]) {
        if (at === now) await createContainer(on.docker, 'b:ci-3', { name: 'whatif-job' });
        const settings = parseSettings({ keep: 3, 'min-age': '0', 'usage-store': 'file', 'usage-file': file, host: target.host() });
        const { engine, usage } = openSession(settings, on.dir);
        await runCleanup(settings, { engine, usage, clock: () => at });
      }
      const recordBefore = fs.readFileSync(file, 'utf8');
      const tagsBefore = await listTags(on.docker);
      const idsBefore = await imageIds(on.docker);
      const since = Math.floor(Date.now() / 1000);
      let out = '';
      let err = '';
      const code = await main(['what-if', '--host', target.host(), '--usage-store', 'file', '--usage-file', file, '--keep', '1', '--max-image-bytes', '1MB'], {
        stdout: (t) => (out += t),
        stderr: (t) => (err += t),
        isTty: false,
      });
      assert.equal(code, 0, err);
      assert.match(out, /the usage record covers 1d/);
      assert.match(out, /Budget 1MB of images \(max-image-bytes\)/);
      for (const row of ['this tool, recent (before)', 'this tool, cost', 'docuum (pure LRU)', 'prune -a until=24h (hourly)', 'kubelet (watermarks 85/80, LRU)', 'GDSF (true costs)']) {
        assert.match(out, new RegExp(`\\| ${row.replace(/[()]/g, '\\$&')} \\|`), row);
      }
      // keep 1 over the record: this tool removes the older builds (a and b: ci-1, ci-2 each) in the replay.
      const recent = out.split('\n').find((l) => l.startsWith('| this tool, recent'))!;
      assert.ok(Number(recent.split('|')[5]) >= 4, recent);
      // Read-only: the same images and tags, the record untouched, no untag or delete event.
      assert.deepEqual(await listTags(on.docker), tagsBefore);
      assert.deepEqual(await imageIds(on.docker), idsBefore);
      assert.equal(fs.readFileSync(file, 'utf8'), recordBefore);
      const stream = await on.docker.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { type: ['image'] } });
      const events = String(await new Promise<Buffer>((resolve) => { const parts: Buffer[] = []; (stream as NodeJS.ReadableStream).on('data', (d: Buffer) => parts.push(d)).on('end', () => resolve(Buffer.concat(parts))); }));
      // (The second-granular window may hold the earlier run's own lock image going: only the agent's images count.)
      const touched = events.split('\n').filter((l) => /"Action":"(untag|delete)"/.test(l) && idsBefore.some((id) => l.includes(id.replace(/^sha256:/, ''))));
      assert.deepEqual(touched, []);
    });

    it('2. an empty record: one line saying to run a cleanup first, exit 2', async () => {
      let err = '';
      const code = await main(['what-if', '--host', target.host(), '--usage-store', 'file', '--usage-file', path.join(on.dir, 'none.json')], { stdout: () => {}, stderr: (t) => (err += t), isTty: false });
      assert.equal(code, 2);
      assert.match(err, /usage record .* is empty: run a cleanup/);
    });
  });
}
