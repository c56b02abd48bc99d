/**
 * API 1.52 (Docker 29, containerd image store by default) through the adapter,
 * against a few-line fake of the Engine API on a unix socket: no local engine
 * shows these shapes (system df without LayersSize, the image list's Manifests
 * for a multi-platform index with an absent platform and an attestation, real
 * Containers counts, events without top-level id/status, Parent omitted).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCleanup } from '../../../src/app/cleanup';
import { DockerodeEngine, platformParts } from '../../../src/engine/dockerode-engine';
import { plan } from '../../../src/planner/planner';
import { toJson } from '../../../src/report/json';
import { parseSettings } from '../../../src/settings/parse';

const INDEX = `sha256:${'1'.repeat(64)}`;
const AMD64 = `sha256:${'a'.repeat(64)}`;
const ARM64 = `sha256:${'b'.repeat(64)}`;
const ATTEST = `sha256:${'c'.repeat(64)}`;
const BASE_INDEX = `sha256:${'2'.repeat(64)}`;
const L1 = `sha256:${'d'.repeat(64)}`;
const L2 = `sha256:${'e'.repeat(64)}`;
const NOW = Math.floor(Date.now() / 1000);

const platform = (architecture: string) => ({ os: 'linux', architecture });
const imageManifest = (digest: string, arch: string, available: boolean, unpacked: number, content: number) => ({
  ID: digest,
  Descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 900, platform: platform(arch) },
  Available: available,
  Size: { Total: available ? unpacked + content : 0, Content: available ? content : 0 },
  Kind: 'image',
  ImageData: { Platform: platform(arch), Containers: [], Size: { Unpacked: available ? unpacked : 0 } },
});

/** Docker 29's answers: an app index (amd64 here, arm64 not pulled, an attestation) on a base. */
const ROUTES: Record<string, unknown> = {
  '/version': { Version: '29.0.0', ApiVersion: '1.52', Components: [{ Name: 'Engine' }] },
  '/info': { Driver: 'overlayfs', DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']] },
  '/images/json': [
    {
      Id: INDEX,
      RepoTags: ['app:ci-1'],
      RepoDigests: [`app@${INDEX}`],
      Created: NOW - 86_400,
      Size: 7_000 + 1_300,
      SharedSize: -1,
      Labels: {},
      Containers: 0, // real from API 1.51 (was -1)
      Manifests: [
        imageManifest(AMD64, 'amd64', true, 7_000, 1_000),
        imageManifest(ARM64, 'arm64', false, 0, 0),
        {
          ID: ATTEST,
          Descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: ATTEST, size: 300, platform: { os: 'unknown', architecture: 'unknown' } },
          Available: true,
          Size: { Total: 300, Content: 300 },
          Kind: 'attestation',
          AttestationData: { For: AMD64 },
        },
      ],
      // no ParentId: API 1.52 omits it instead of ""
    },
    {
      Id: BASE_INDEX,
      RepoTags: ['base:1'],
      RepoDigests: [`base@${BASE_INDEX}`],
      Created: NOW - 400 * 86_400,
      Size: 4_000 + 600,
      SharedSize: -1,
      Labels: {},
      Containers: 1,
      Manifests: [imageManifest(`sha256:${'f'.repeat(64)}`, 'amd64', true, 4_000, 600)],
    },
  ],
  [`/images/${INDEX}/json`]: { Id: INDEX, RepoTags: ['app:ci-1'], RepoDigests: [`app@${INDEX}`], RootFS: { Layers: [L1, L2] }, Metadata: { LastTagTime: new Date((NOW - 86_400) * 1000).toISOString() } },
  [`/images/${INDEX}/history`]: [{ Size: 3_000 }, { Size: 4_000 }],
  [`/images/${BASE_INDEX}/json`]: { Id: BASE_INDEX, RepoTags: ['base:1'], RepoDigests: [`base@${BASE_INDEX}`], RootFS: { Layers: [L1] }, Metadata: { LastTagTime: new Date((NOW - 400 * 86_400) * 1000).toISOString() } },
  [`/images/${BASE_INDEX}/history`]: [{ Size: 4_000 }],
  '/containers/json': [{ Id: 'c'.repeat(64), Names: ['/svc'], Image: 'base:1', ImageID: BASE_INDEX, State: 'running', Created: NOW - 60, Labels: {} }],
  // events without the top-level id/status/from (removed in 1.52): read Actor.ID and Action
  '/events': [{ Type: 'image', Action: 'tag', Actor: { ID: INDEX, Attributes: { name: 'app:ci-1' } }, scope: 'local', time: NOW - 30, timeNano: (NOW - 30) * 1e9 }],
  // LayersSize and Images are gone; a summary per kind instead
  '/system/df': { ImagesDiskUsage: { ActiveCount: 1, TotalCount: 2, Reclaimable: 3_000, TotalSize: 7_000 } },
};

describe('engine adapter on API 1.52 shapes (Docker 29, fake Engine API)', () => {
  let server: http.Server;
  let dir: string;
  let host: string;
  const asked: string[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-api152-'));
    const socket = path.join(dir, 'docker.sock');
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://engine');
      const route = url.pathname.replace(/^\/v1\.\d+/, '');
      asked.push(`${req.method} ${route}${url.search}`);
      const body = ROUTES[route];
      if (body === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `no fake for ${route}` }));
        return;
      }
      if (route === '/events') {
        res.writeHead(200, { 'content-type': 'application/json' }).end((body as unknown[]).map((e) => JSON.stringify(e)).join('\n') + '\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    host = `unix://${socket}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the manifests and counts only the present platform; derived digests are not references; Parent omitted is none', async () => {
    const snapshot = await new DockerodeEngine({ host }).snapshot({ activitySince: (NOW - 3600) * 1000 });
    assert.ok(asked.some((a) => a.startsWith('GET /images/json') && /manifests=(1|true)/.test(a)), asked.join('\n'));
    const app = snapshot.images.find((i) => i.id === INDEX)!;
    assert.equal(app.size, 7_000, 'amd64 unpacked only: arm64 is absent, the attestation has no snapshot');
    assert.equal(app.contentBytes, 1_300);
    assert.deepEqual(app.digests, [], 'app@<index> is derived from the tag');
    assert.equal(app.parentId, undefined);
    assert.deepEqual(app.layerSizes, [4_000, 3_000]);
    assert.deepEqual(
      app.platforms!.map((p) => [p.platform, p.kind, p.available]),
      [['linux/amd64', 'image', true], ['linux/arm64', 'image', false], ['linux/amd64', 'attestation', true]],
    );
    assert.equal(snapshot.engine.containerdStore, true);
  });

  it('reads events by Actor.ID and Action (no top-level id/status)', async () => {
    const snapshot = await new DockerodeEngine({ host }).snapshot({ activitySince: (NOW - 3600) * 1000 });
    const tag = snapshot.activity.find((a) => a.action === 'tag')!;
    assert.equal(tag.imageId, INDEX);
    assert.equal(tag.reference, 'docker.io/library/app:ci-1');
  });

  it('system df without LayersSize: the images summary TotalSize is the disk use', async () => {
    assert.deepEqual(await new DockerodeEngine({ host }).diskUsage(), { imagesBytes: 7_000, runLockBytes: 0 });
  });

  it('plans the removal of the app build with the bytes of its own layer and its own blobs (API 1.50 on counts content)', async () => {
    const snapshot = await new DockerodeEngine({ host }).snapshot({ activitySince: (NOW - 3600) * 1000 });
    assert.equal(snapshot.engine.diskUseCountsContent, true);
    const p = plan({ snapshot, settings: parseSettings({ keep: 0, 'min-age': '0' }), now: NOW * 1000 });
    const app = p.decisions.find((d) => d.imageId === INDEX)!;
    assert.equal(app.action, 'remove');
    // its layer L2 (3000), its present manifests (900 amd64 + 300 attestation; arm64's is absent) and the
    // 100 B more of content beyond them; the base layer and blobs stay with base:1 (in use)
    assert.equal(p.predictedBytes, 3_000 + 1_200 + 100);
    assert.ok(!p.warnings.some((w) => /content store/.test(w)), p.warnings.join('\n'));
  });

  it('--json explains each platform', async () => {
    const settings = parseSettings({ keep: 0, 'min-age': '0', 'dry-run': true, host, 'usage-store': 'none' });
    const report = await runCleanup(settings, { engine: new DockerodeEngine({ host }) });
    const json = toJson(report) as { images: { id: string; platforms?: { text: string }[] }[] };
    const app = json.images.find((i) => i.id === INDEX)!;
    assert.deepEqual(
      app.platforms!.map((p) => p.text),
      ['linux/amd64: 7kB unpacked (counted) + 1kB of content', 'linux/arm64: not present here, counts nothing', 'attestation for linux/amd64: 300B of content, no snapshot'],
    );
  });

  it('platformParts: no Manifests (graph driver, API < 1.47) is undefined', () => {
    assert.equal(platformParts(undefined), undefined);
    assert.equal(platformParts([]), undefined);
  });
});
