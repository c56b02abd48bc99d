import { strict as assert } from 'node:assert';
import type Docker from 'dockerode';
import { buildArchive, expectedImageId, imageId, loadArchive, loadImages, qualifiedTag, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { configDigestOf, createContainer, engineFacts, imageIds, listTags, resetEngine, runContainer } from '../support/engine';
import { enginesOf } from '../support/suite-engines';

const DAY = 86_400_000;

const BUSYBOX: LayerSpec = { id: 'factory-busybox', busybox: true, files: { 'etc/os-release': 'ID=factory\n' } };
const NODE: LayerSpec = { id: 'factory-node', bytes: 64 * 1024 };
const base: ImageSpec = { tags: ['factory/base:1'], created: new Date('2024-01-02T03:04:05.000Z'), layers: [BUSYBOX, NODE] };
const app1: ImageSpec = {
  tags: ['factory/app:ci-1', 'registry.example.com/team/factory-app:ci-1'],
  created: new Date('2024-03-01T10:00:00.000Z'),
  layers: [BUSYBOX, NODE, { id: 'factory-app-1', bytes: 10_000 }],
  labels: { 'com.example.keep': 'true' },
};
const app2: ImageSpec = {
  tags: ['factory/app:ci-2'],
  created: new Date('2024-03-02T10:00:00.000Z'),
  layers: [BUSYBOX, NODE, { id: 'factory-deps', bytes: 20_000 }, { id: 'factory-app-2', files: { 'app/main.js': 'console.log(2)\n' } }],
};

describe('image factory (offline)', () => {
  it('is deterministic: equal specs give byte-identical archives', async () => {
    const a = await buildArchive([base, app1]);
    const b = await buildArchive([base, app1]);
    assert.ok(a.equals(b));
  });

  it('gives different layers different content even without files', async () => {
    const a = await expectedImageId({ tags: [], created: new Date(0), layers: [{ id: 'empty-a' }] });
    const b = await expectedImageId({ tags: [], created: new Date(0), layers: [{ id: 'empty-b' }] });
    assert.notEqual(a, b);
  });

  it('writes full names into the archive (Podman would file short ones under localhost/)', () => {
    assert.equal(qualifiedTag('node:20-alpine'), 'docker.io/library/node:20-alpine');
    assert.equal(qualifiedTag('team/app:ci-1'), 'docker.io/team/app:ci-1');
    assert.equal(qualifiedTag('mcr.microsoft.com/dotnet/sdk:8.0'), 'mcr.microsoft.com/dotnet/sdk:8.0');
    assert.equal(qualifiedTag('localhost:5000/app:1'), 'localhost:5000/app:1');
    assert.equal(qualifiedTag('localhost/app:1'), 'localhost/app:1');
  });
});

for (const target of enginesOf('engine/factory')) {
  describe(`image factory on ${target.name}`, function () {
    this.timeout(120_000);
    let docker: Docker;

    before(async () => {
      docker = target.docker();
      await resetEngine(docker);
      await loadImages(docker, [base, app1]);
      await loadImages(docker, [app2]); // a second load reuses the layers already there
    });
    after(async () => {
      if (docker) await resetEngine(docker);
    });

    it('the engine is the version the suite expects (sid\'s: the one its title names)', async () => {
      assert.ok(target.version, 'DIC_TEST_C28_VERSION is not set: scripts/test.sh sets it from the engine it starts');
      const version = (await docker.version()).Version.replace(/\+.*$/, '');
      assert.ok(version === target.version || version.startsWith(`${target.version}.`), `the engine reports ${version}`);
    });

    it('tags every image as given, several tags on one image', async () => {
      assert.deepEqual(await listTags(docker), [
        'factory/app:ci-1',
        'factory/app:ci-2',
        'factory/base:1',
        'registry.example.com/team/factory-app:ci-1',
      ]);
      assert.equal(await imageId(docker, 'factory/app:ci-1'), await imageId(docker, 'registry.example.com/team/factory-app:ci-1'));
    });

    it('image IDs are the config digests computed before loading (containerd store: the digest of the manifest naming that config)', async () => {
      for (const spec of [base, app1, app2]) {
        const id = await imageId(docker, spec.tags[0]);
        const config = await expectedImageId(spec);
        // configDigestOf reads the config digest from `docker save` (and checks the manifest hashes to the ID)
        assert.equal(await configDigestOf(docker, spec.tags[0]), config, spec.tags[0]);
        if (target.store === 'containerd') assert.notEqual(id, config, 'the containerd store names images by manifest digest');
        else assert.equal(id, config);
      }
      assert.equal((await imageIds(docker)).length, 3);
    });

    it('keeps the created times, labels and command given', async () => {
      for (const spec of [base, app1, app2]) {
        const info = await docker.getImage(spec.tags[0]).inspect();
        assert.equal(new Date(info.Created).toISOString(), spec.created.toISOString(), spec.tags[0]);
      }
      const listed = await docker.listImages();
      const baseRow = listed.find((i) => (i.RepoTags ?? []).some((t) => t.endsWith('factory/base:1')))!;
      assert.equal(baseRow.Created, Math.floor(base.created.getTime() / 1000));
      const info = await docker.getImage('factory/app:ci-1').inspect();
      assert.equal(info.Config.Labels?.['com.example.keep'], 'true');
      assert.deepEqual(info.Config.Cmd, ['/bin/busybox', 'sleep', '3600']);
      assert.equal(info.Architecture, 'amd64');
      assert.equal(info.Os, 'linux');
    });

    it('derived images share the base layers (RootFS.Layers prefix)', async () => {
      const layers = async (ref: string) => (await docker.getImage(ref).inspect()).RootFS.Layers ?? [];
      const [b, a1, a2] = [await layers('factory/base:1'), await layers('factory/app:ci-1'), await layers('factory/app:ci-2')];
      assert.equal(b.length, 2);
      assert.equal(a1.length, 3);
      assert.equal(a2.length, 4);
      assert.deepEqual(a1.slice(0, 2), b);
      assert.deepEqual(a2.slice(0, 2), b);
      assert.notEqual(a1[2], a2[2]);
      const history = (await docker.getImage('factory/app:ci-2').history()) as { CreatedBy: string }[];
      assert.ok(history.some((h) => h.CreatedBy.includes('layer factory-deps')));
    });

    it('an untagged image loads as a dangling image', async () => {
      const dangling: ImageSpec = { tags: [], created: new Date(Date.now() - 3 * DAY), layers: [BUSYBOX, NODE, { id: 'factory-leftover', bytes: 1000 }] };
      await loadImages(docker, [dangling]);
      const config = await expectedImageId(dangling);
      const rows = await docker.listImages({ filters: JSON.stringify({ dangling: ['true'] }) });
      // the containerd store files it as a moby-dangling@<digest> record, listed without names
      const row = (await Promise.all(rows.map(async (r) => ((await configDigestOf(docker, r.Id)) === config ? r : undefined)))).find(Boolean);
      assert.ok(row, 'listed with dangling=true');
      const id = row.Id;
      assert.ok((row.RepoTags ?? []).every((t) => t === '<none>:<none>'), JSON.stringify(row.RepoTags));
      const info = await docker.getImage(id).inspect();
      assert.deepEqual(info.RepoTags ?? [], []);
    });

    it("loading a tag that exists moves it to the new image (dockerd 26.1's containerd store: replaces the old image)", async () => {
      const old = await imageId(docker, 'factory/app:ci-2');
      const rebuilt: ImageSpec = { ...app2, created: new Date('2024-03-03T00:00:00Z'), layers: [BUSYBOX, NODE, { id: 'factory-rebuilt' }] };
      await loadImages(docker, [rebuilt]);
      assert.equal(await configDigestOf(docker, 'factory/app:ci-2'), await expectedImageId(rebuilt));
      if (!(await engineFacts(target)).loadKeepsReplacedImage) {
        // dockerd 26.1's image store overwrites the name record: the old image has no record left and is gone
        assert.ok(!(await imageIds(docker)).includes(old), 'the containerd store deletes the old image');
      } else {
        assert.ok((await imageIds(docker)).includes(old), 'the old image stays, untagged');
      }
    });

    it('a load the engine rejects is an error, not a silent no-op', async () => {
      const archive = await buildArchive([{ tags: ['factory/broken:1'], created: new Date(), layers: [{ id: 'factory-broken' }] }]);
      // cut the archive short: the engine cannot read the layer
      await assert.rejects(loadArchive(docker, archive.subarray(0, 1024)));
      assert.ok(!(await listTags(docker)).includes('factory/broken:1'));
    });

    if (target.canRun) {
      it('a container from the busybox base runs', async () => {
        const c = await runContainer(docker, 'factory/base:1', { name: 'factory-running' });
        const info = await c.inspect();
        assert.equal(info.State.Running, true);
        assert.equal(info.HostConfig.NetworkMode, 'none');
        await c.remove({ force: true });
      });
    } else {
      it('a container can be created from a loaded image (by tag and by ID)', async () => {
        const byTag = await createContainer(docker, 'factory/app:ci-1', { name: 'factory-created' });
        const id = await imageId(docker, 'factory/base:1');
        const byId = await createContainer(docker, id.replace(/^sha256:/, '').slice(0, 12), { name: 'factory-by-id' });
        const a = await byTag.inspect();
        const b = await byId.inspect();
        assert.equal(a.State.Status, 'created');
        assert.equal(a.Image, await imageId(docker, 'factory/app:ci-1'));
        assert.equal(b.Image, id);
      });
    }
  });
}
