import { strict as assert } from 'node:assert';
import type Docker from 'dockerode';
import { repositoryOf, normalizeReference } from '../../src/domain/reference';
import { TOOL_STATE_REPOSITORY } from '../../src/planner/planner';
import {
  EngineUsageStore,
  type EngineUsageStoreOptions,
  recordArchive,
  USAGE_LABEL,
  USAGE_LOCK_NAME,
  USAGE_MARKER_LABEL,
  USAGE_RECORD_QUALIFIED,
  USAGE_RECORD_REFERENCE,
} from '../../src/usage/engine-store';
import { DockerodeStateImages } from '../../src/engine/dockerode-state-images';
import { emptyRecord, type UsageEntry, type UsageRecord } from '../../src/usage/record';
import { loadImages } from '../../src/demo/image-factory';
import { resetEngine } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const entry = (n: number): UsageEntry => ({ firstSeen: n, lastUsed: n, why: 'container-running', references: [`docker.io/library/app:ci-${n}`], layersKey: 'abc' });
const adding = (id: string, n = 1) => (current: UsageRecord): UsageRecord => ({
  ...current,
  updatedAt: Math.max(current.updatedAt, n),
  images: { ...current.images, [id]: entry(n) },
});

/** The store as the composition root builds it, over a test connection. */
const storeOn = (docker: Docker, options?: EngineUsageStoreOptions) => new EngineUsageStore(new DockerodeStateImages(docker), options);

async function recordImages(docker: Docker): Promise<Docker.ImageInfo[]> {
  return docker.listImages({ all: true, filters: JSON.stringify({ label: [`${USAGE_MARKER_LABEL}=v1`] }) });
}

async function containers(docker: Docker): Promise<string[]> {
  return (await docker.listContainers({ all: true })).map((c) => (c.Names?.[0] ?? '').replace(/^\//, ''));
}

/** Puts an arbitrary record image (label and layer chosen by the test) under the reserved reference. */
async function loadRecordImage(docker: Docker, layerText: string, labels: Record<string, string>): Promise<void> {
  const { tar } = await recordArchive(layerText, { [USAGE_MARKER_LABEL]: 'v1', ...labels }, Date.now());
  const stream = await docker.loadImage(tar as unknown as NodeJS.ReadableStream, { quiet: true });
  await new Promise<void>((resolve, reject) => {
    stream.on('data', () => undefined);
    stream.on('end', resolve);
    stream.on('error', reject);
  });
}

describe('usage record reference', () => {
  it('is in the repository the planner always protects', () => {
    assert.equal(repositoryOf(normalizeReference(USAGE_RECORD_REFERENCE)), TOOL_STATE_REPOSITORY);
    assert.equal(normalizeReference(USAGE_RECORD_QUALIFIED), normalizeReference(USAGE_RECORD_REFERENCE));
  });
});

for (const { name: kind, docker: connect } of enginesOf('engine/usage')) {
  describe(`EngineUsageStore on ${kind}`, function () {
    this.timeout(120_000);
    let docker: Docker;
    before(() => {
      docker = connect();
    });
    beforeEach(async () => {
      await resetEngine(docker);
    });

    it('no record yet: empty, no warnings, nothing created by reading', async () => {
      const store = storeOn(docker);
      assert.deepEqual(await store.read(), { record: emptyRecord(), warnings: [] });
      assert.deepEqual(await recordImages(docker), []);
      assert.equal(store.description, `engine image ${USAGE_RECORD_REFERENCE}`);
    });

    it('round-trip, and a new store object (a restarted agent) reads the same; one record image, no lock left', async () => {
      const store = storeOn(docker);
      const written = await store.update(adding('sha256:aa', 5));
      assert.deepEqual(written.warnings, []);
      assert.deepEqual(written.record.images['sha256:aa'], entry(5));
      assert.deepEqual(await store.read(), { record: written.record, warnings: [] });
      const restarted = storeOn(connect());
      assert.deepEqual((await restarted.read()).record, written.record);
      await restarted.update(adding('sha256:bb', 6));
      await restarted.update(adding('sha256:cc', 7));
      const images = await recordImages(docker);
      assert.equal(images.length, 1, 'replaced record images are removed');
      assert.ok(images[0]!.Labels?.[USAGE_LABEL], 'the record is in the label');
      assert.deepEqual(await containers(docker), [], 'the lock container is gone');
      assert.deepEqual(Object.keys((await store.read()).record.images).sort(), ['sha256:aa', 'sha256:bb', 'sha256:cc']);
    });

    it('two agents (two stores, two connections) share the record on the daemon', async () => {
      const agentA = storeOn(connect());
      const agentB = storeOn(connect());
      await agentA.update(adding('sha256:from-a', 1));
      await agentB.update(adding('sha256:from-b', 2));
      const seenByA = await agentA.read();
      assert.deepEqual(Object.keys(seenByA.record.images).sort(), ['sha256:from-a', 'sha256:from-b']);
      assert.equal(seenByA.record.updatedAt, 2);
    });

    it('concurrent updates from two agents lose nothing (10 parallel, each adding one image)', async () => {
      const agents = [storeOn(connect()), storeOn(connect())];
      await Promise.all(Array.from({ length: 10 }, (_, n) => agents[n % 2]!.update(adding(`sha256:img-${n}`, n))));
      const { record, warnings } = await agents[0]!.read();
      assert.deepEqual(warnings, []);
      assert.equal(Object.keys(record.images).length, 10);
      assert.equal((await recordImages(docker)).length, 1);
      assert.deepEqual(await containers(docker), []);
    });

    it('a record too large for the label is read from the image layer (docker save)', async () => {
      const store = storeOn(docker, { maxLabelBytes: 0 });
      const { record } = await store.update((current) => {
        const images: Record<string, UsageEntry> = {};
        for (let n = 0; n < 2000; n++) images[`sha256:${n}`] = entry(n);
        return { ...current, updatedAt: 1, images };
      });
      const [image] = await recordImages(docker);
      assert.equal(image!.Labels?.[USAGE_LABEL], undefined);
      assert.deepEqual(await storeOn(docker).read(), { record, warnings: [] });
    });

    it('a damaged label falls back to the layer, with a warning', async () => {
      const good = { ...emptyRecord(), updatedAt: 3, images: { 'sha256:x': entry(3) } };
      await loadRecordImage(docker, JSON.stringify(good), { [USAGE_LABEL]: 'not gzip at all' });
      const { record, warnings } = await storeOn(docker).read();
      assert.deepEqual(record, good);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /label .* is damaged.*read the record from its layer/);
    });

    it('a damaged record (label and layer) is reported and rebuilt from empty, never fatal', async () => {
      await loadRecordImage(docker, '{"version":1,"images":', { [USAGE_LABEL]: Buffer.from('junk').toString('base64') });
      const store = storeOn(docker);
      const read = await store.read();
      assert.deepEqual(read.record, emptyRecord());
      assert.equal(read.warnings.length, 1);
      assert.match(read.warnings[0]!, /damaged|unreadable/);
      const updated = await store.update(adding('sha256:new', 9));
      assert.ok(updated.warnings.length >= 1);
      assert.deepEqual(Object.keys(updated.record.images), ['sha256:new']);
      assert.deepEqual(await store.read(), { record: updated.record, warnings: [] });
      assert.equal((await recordImages(docker)).length, 1, 'the damaged image was replaced and removed');
    });

    it('never deletes an image only because it carries the record tag or the marker label (#12 defect 1)', async () => {
      // Anyone who can tag an image could otherwise make the cleaner delete it, outside the plan.
      await loadImages(docker, [
        { tags: ['node:22-alpine', USAGE_RECORD_REFERENCE], created: new Date('2024-01-01T00:00:00Z'), layers: [{ id: 'node-base', bytes: 2048 }] },
        { tags: [], created: new Date('2024-01-01T00:00:00Z'), layers: [{ id: 'lookalike', bytes: 1024 }], labels: { [USAGE_MARKER_LABEL]: 'v1' } },
      ]);
      const before = (await docker.listImages({ all: true })).map((i) => i.Id).sort();
      const store = storeOn(docker);
      const first = await store.update(adding('sha256:aa', 1));
      assert.ok(first.warnings.some((w) => /damaged|unreadable/.test(w)), 'the tagged image is no record: said so');
      await store.update(adding('sha256:bb', 2));
      const after = (await docker.listImages({ all: true })).map((i) => i.Id);
      for (const id of before) assert.ok(after.includes(id), `${id.slice(0, 19)} is still there`);
      assert.ok((await docker.getImage('node:22-alpine').inspect()).Id);
      assert.equal((await recordImages(docker)).filter((i) => (i.RepoTags ?? []).some((t) => /usage-v1/.test(t))).length, 1);
      assert.deepEqual(Object.keys((await store.read()).record.images).sort(), ['sha256:aa', 'sha256:bb']);
    });

    it('breaks a stale lock left by a crashed agent; waits for and gives up on a live one', async () => {
      const store = storeOn(docker);
      await store.update(adding('sha256:first'));
      const crashed = await docker.createContainer({ name: USAGE_LOCK_NAME, Image: USAGE_RECORD_QUALIFIED, Cmd: ['/x'], HostConfig: { NetworkMode: 'none' } });
      await assert.rejects(storeOn(docker, { waitMs: 800 }).update(adding('sha256:blocked')), /cannot lock the usage record/);
      const { record } = await storeOn(docker, { staleLockMs: 1_000 }).update(adding('sha256:after'));
      assert.deepEqual(Object.keys(record.images).sort(), ['sha256:after', 'sha256:first']);
      await assert.rejects(docker.getContainer(crashed.id).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
      assert.deepEqual(await containers(docker), []);
    });
  });
}
