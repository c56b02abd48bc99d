/**
 * Harness for the real-engine suites. `npm test` (scripts/test.sh) starts a
 * private dockerd 20.10 (graph driver), a dockerd 26.1 and Debian unstable's
 * dockerd 28 (both on the containerd image store) and a Podman service and
 * exports their addresses; these suites never skip: without the variables they
 * fail and say how to run them.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import * as tar from 'tar-stream';
import { connectionOptions } from '../../src/engine/connection';
import { DockerodeEngine } from '../../src/engine/dockerode-engine';
import { DEFAULT_CMD } from '../../src/demo/image-factory';

function connect(variable: string, what: string): Docker {
  const host = process.env[variable];
  if (!host) {
    throw new Error(
      `${variable} is not set: the ${what} tests need a real engine. Run them with \`npm test\` ` +
        '(scripts/test.sh starts private engines and sets DIC_TEST_DOCKER_HOST, DIC_TEST_C8D_HOST, DIC_TEST_C28_HOST and DIC_TEST_PODMAN_HOST).',
    );
  }
  return new Docker(connectionOptions(host));
}

/** The private dockerd (DIC_TEST_DOCKER_HOST). */
export function testDocker(): Docker {
  return connect('DIC_TEST_DOCKER_HOST', 'Docker Engine');
}

/** The private dockerd 26.1 on the containerd image store (DIC_TEST_C8D_HOST; `scripts/engine.sh c8d-start NAME`). */
export function testC8d(): Docker {
  return connect('DIC_TEST_C8D_HOST', 'Docker Engine (containerd image store)');
}

/** Podman's Docker-compatible API (DIC_TEST_PODMAN_HOST). Containers can be created there, not started. */
export function testPodman(): Docker {
  return connect('DIC_TEST_PODMAN_HOST', 'Podman');
}

/** One engine the real-engine suites run each case on. */
export interface EngineUnderTest {
  /** Named in every test title. */
  name: string;
  /** How the engine stores images: the facts that differ between them follow from this. */
  store: 'graphdriver' | 'containerd' | 'podman';
  hostVariable: 'DIC_TEST_DOCKER_HOST' | 'DIC_TEST_C8D_HOST' | 'DIC_TEST_C28_HOST' | 'DIC_TEST_PODMAN_HOST';
  /** The engine version the suite expects (sid's is learnt at start: it moves), checked against the engine. */
  version?: string;
  docker: () => Docker;
  host: () => string;
  /** Podman's service here cannot start containers: created ones stand in. */
  canRun: boolean;
}

function engineUnderTest(
  name: string,
  store: EngineUnderTest['store'],
  hostVariable: EngineUnderTest['hostVariable'],
  canRun: boolean,
  version?: string,
): EngineUnderTest {
  return {
    name,
    store,
    hostVariable,
    canRun,
    ...(version ? { version } : {}),
    docker: () => connect(hostVariable, name),
    host: () => {
      connect(hostVariable, name); // fails with the how-to when unset
      return process.env[hostVariable]!;
    },
  };
}

/**
 * Debian unstable's dockerd moves: scripts/test.sh asks the engine it started for its
 * versions (DIC_TEST_C28_VERSION, e.g. `28.5.2, containerd 2.1.9`) and the title names them.
 */
const c28Version = process.env.DIC_TEST_C28_VERSION?.trim() || undefined;

/** The four engines every real-engine case runs on. */
const ALL_ENGINES: readonly EngineUnderTest[] = [
  engineUnderTest('dockerd 20.10 (graph driver)', 'graphdriver', 'DIC_TEST_DOCKER_HOST', true, '20.10'),
  engineUnderTest('dockerd 26.1 (containerd store)', 'containerd', 'DIC_TEST_C8D_HOST', true, '26.1'),
  engineUnderTest(
    `dockerd ${c28Version ?? '28 (version not given: set DIC_TEST_C28_VERSION)'} (containerd store)`,
    'containerd',
    'DIC_TEST_C28_HOST',
    true,
    c28Version?.split(',')[0],
  ),
  engineUnderTest('Podman (Docker-compatible API)', 'podman', 'DIC_TEST_PODMAN_HOST', false, '4.3'),
];

/**
 * DIC_TEST_ENGINES (e.g. `C28` or `DOCKER,C8D`) runs the real-engine cases on those engines only
 * (DIC_TEST_<NAME>_HOST), for a developer's focused run or to time one engine; scripts/test.sh
 * never sets it, and a name that matches no engine fails the run.
 */
function selectedEngines(): readonly EngineUnderTest[] {
  const only = process.env.DIC_TEST_ENGINES?.trim();
  if (!only) return ALL_ENGINES;
  const wanted = only.split(',').map((n) => `DIC_TEST_${n.trim().toUpperCase()}_HOST`);
  const unknown = wanted.filter((v) => !ALL_ENGINES.some((e) => e.hostVariable === v));
  if (unknown.length > 0) throw new Error(`DIC_TEST_ENGINES=${only}: no engine has ${unknown.join(', ')} (expected DOCKER, C8D, C28 or PODMAN)`);
  return ALL_ENGINES.filter((e) => wanted.includes(e.hostVariable));
}

export const ENGINES: readonly EngineUnderTest[] = selectedEngines();

/**
 * What differs between engine versions on one store, keyed on what the engine reports (its API
 * version), in this one place: the suites ask here, never by engine name.
 */
export interface EngineFacts {
  apiVersion: string;
  /** system df LayersSize and the listed Size count content blobs (containerd store, dockerd 28.2 / API 1.50 on). */
  diskUseCountsContent: boolean;
  /**
   * `docker load` of a name another image has keeps that image, untagged (graph driver; containerd
   * store from dockerd 28.1 / API 1.49, moby 8f506a51e5); dockerd 26.1's containerd store deletes it.
   */
  loadKeepsReplacedImage: boolean;
}

export async function engineFacts(target: EngineUnderTest): Promise<EngineFacts> {
  const engine = new DockerodeEngine({ host: target.host() });
  const info = await engine.info();
  const [major, minor] = info.apiVersion.split('.').map(Number);
  const atLeast = (want: number) => major! > 1 || (major === 1 && minor! >= want);
  return {
    apiVersion: info.apiVersion,
    diskUseCountsContent: info.diskUseCountsContent === true,
    loadKeepsReplacedImage: target.store !== 'containerd' || atLeast(49),
  };
}

/**
 * Empties the engine: removes every container (forced, with volumes), every
 * volume, then every image with all its tags, so each test starts from nothing. Forcing is
 * fine here and only here: this is the harness, not the tool.
 */
export async function resetEngine(docker: Docker): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const containers = await docker.listContainers({ all: true });
    await Promise.all(containers.map((c) => ignoreNotFound(docker.getContainer(c.Id).remove({ force: true, v: true }))));
    const { Volumes: volumes } = await docker.listVolumes();
    await Promise.all((volumes ?? []).map((v) => ignoreNotFound(docker.getVolume(v.Name).remove())));
    const images = await docker.listImages({ all: true });
    // one at a time: parallel forced deletes of images sharing layers race on some engines
    // A parent listed before its child answers 409 (dependent child images): the next attempt takes it.
    for (const image of images) await ignoreNotFound(docker.getImage(image.Id).remove({ force: true }), [409]);
    const [left, leftContainers] = await Promise.all([docker.listImages({ all: true }), docker.listContainers({ all: true })]);
    if (left.length === 0 && leftContainers.length === 0) return pruneAllBuildCache(docker);
    if (attempt >= 3) {
      throw new Error(`resetEngine: ${left.length} images and ${leftContainers.length} containers remain after ${attempt} attempts`);
    }
  }
}

/**
 * A test engine's build cache goes too: on the containerd store a cache record left by an
 * earlier suite holds snapshots the next suite's images free (moby #48700), and that
 * suite's byte figures would depend on which ran before it. (A private engine: a
 * daemon-wide prune is fine here, never in the tool.) Podman has no build-cache endpoint.
 */
async function pruneAllBuildCache(docker: Docker): Promise<void> {
  // dockerode's pruneBuilder sends no query: all=true goes through the modem
  await new Promise<void>((resolve, reject) =>
    docker.modem.dial({ path: '/build/prune?', method: 'POST', options: { all: true }, statusCodes: { 200: true, 404: true } }, (error) => (error ? reject(error) : resolve())),
  );
}

async function ignoreNotFound(p: Promise<unknown>, also: number[] = []): Promise<void> {
  try {
    await p;
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== 404 && !also.includes(status ?? 0)) throw error;
  }
}

export interface ContainerOptions {
  name?: string;
  /** Defaults to `/bin/busybox sleep 3600` (the image needs a busybox layer to run). */
  cmd?: string[];
  labels?: Record<string, string>;
  /** `name:/path` volume mounts (named), `/path` (anonymous). */
  volumes?: string[];
}

/** Creates a container (not started) with no network; `image` may be a reference or an (abbreviated) ID. */
export async function createContainer(docker: Docker, image: string, opts: ContainerOptions = {}): Promise<Docker.Container> {
  return docker.createContainer({
    name: opts.name,
    Image: image,
    Cmd: opts.cmd ?? DEFAULT_CMD,
    Labels: opts.labels,
    // busybox sleep as PID 1 ignores SIGTERM; keep daemon shutdowns and stops short
    StopTimeout: 1,
    Volumes: Object.fromEntries((opts.volumes ?? []).filter((v) => !v.includes(':')).map((v) => [v, {}])),
    HostConfig: { NetworkMode: 'none', Binds: (opts.volumes ?? []).filter((v) => v.includes(':')) },
  });
}

/** Creates and starts a container (Docker Engine only: Podman's service here cannot start containers). */
export async function runContainer(docker: Docker, image: string, opts: ContainerOptions = {}): Promise<Docker.Container> {
  const container = await createContainer(docker, image, opts);
  await container.start();
  return container;
}

/**
 * Every tag on the engine, sorted, in the short form `docker images` uses
 * (`app:ci-1`, `registry.example.com/team/app:ci-1`); Podman's
 * `docker.io/library/` and `localhost/` prefixes are removed so both engines
 * compare equal. Untagged images contribute nothing.
 */
export async function listTags(docker: Docker): Promise<string[]> {
  const images = await docker.listImages();
  const tags = images.flatMap((i) => i.RepoTags ?? []).filter((t) => t !== '<none>:<none>' && !t.endsWith(':<none>'));
  return [...new Set(tags.map(familiar))].sort();
}

function familiar(tag: string): string {
  return tag.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '').replace(/^localhost\//, '');
}

/** Every image ID on the engine (`sha256:…`), sorted. */
export async function imageIds(docker: Docker): Promise<string[]> {
  const images = await docker.listImages({ all: true });
  return [...new Set(images.map((i) => (i.Id.startsWith('sha256:') ? i.Id : `sha256:${i.Id}`)))].sort();
}

/**
 * The config digest of an image, from `docker save`: the graph driver's image ID,
 * and on the containerd store the config the ID's manifest names (there the ID is
 * the manifest digest). Also checks that the saved manifest hashes to the ID.
 */
export async function configDigestOf(docker: Docker, image: string): Promise<string> {
  const id = (await docker.getImage(image).inspect()).Id;
  const files = await untar((await docker.getImage(image).get()) as unknown as NodeJS.ReadableStream);
  const index = files.get('index.json');
  if (!index) return id; // dockerd 20.10 saves the legacy layout only: the ID is the config digest
  const blob = (digest: string) => files.get(`blobs/sha256/${digest.replace(/^sha256:/, '')}`);
  let manifest = blob(id);
  if (!manifest) throw new Error(`docker save of ${image} holds no blob for its ID ${id}`);
  if (`sha256:${createHash('sha256').update(manifest).digest('hex')}` !== id) throw new Error(`the saved manifest of ${image} does not hash to ${id}`);
  let parsed = JSON.parse(manifest.toString('utf8'));
  if (parsed.manifests) {
    // an index: the one platform manifest this engine holds
    manifest = blob(parsed.manifests[0].digest)!;
    parsed = JSON.parse(manifest.toString('utf8'));
  }
  if (!parsed.config?.digest) return id; // Podman's OCI save names the config digest as the ID
  return parsed.config.digest;
}

async function untar(stream: NodeJS.ReadableStream): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      files.set(header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.on('error', reject);
    stream.pipe(extract as unknown as NodeJS.WritableStream);
  });
  return files;
}

/**
 * Runs `body` with the dockerd at `host` paused (SIGSTOP), then resumes it, whatever `body`
 * does. Only for engines scripts/engine.sh started: their daemon's pid file sits beside the socket.
 */
export async function pauseEngine<T>(host: string, body: () => Promise<T>): Promise<T> {
  const socket = host.replace(/^unix:\/\//, '');
  const pid = Number(fs.readFileSync(path.join(path.dirname(socket), 'daemon.pid'), 'utf8').trim());
  process.kill(pid, 'SIGSTOP');
  try {
    return await body();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/**
 * A BuildKit build (API version=2) of `dockerfile` tagged `tag`. The context is served
 * over HTTP on 127.0.0.1 and named by `remote`: dockerd 26.1 on the containerd store
 * cannot read a context uploaded with the request without a session (it looks up
 * http://build-context-<id> by DNS and fails), while a remote context on the loopback
 * works on every dockerd here. Rejects with the build's own error.
 */
export async function buildKitBuild(docker: Docker, tag: string, dockerfile: string): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  const context = Buffer.concat(chunks);
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/x-tar' }).end(context));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const remote = `http://127.0.0.1:${(server.address() as { port: number }).port}/context.tar`;
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      docker.modem.dial(
        { path: '/build?', method: 'POST', options: { remote, t: tag, version: '2', networkmode: 'none' }, isStream: true, statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' } },
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as NodeJS.ReadableStream)),
      ),
    );
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, out: any[]) => {
        const failed = out?.find((o) => o.error || o.errorDetail);
        if (err || failed) return reject(err ?? new Error(failed.errorDetail?.message ?? failed.error));
        resolve();
      }),
    );
  } finally {
    server.close();
  }
}

/**
 * The hooks of a suite on one real engine: the engine reset and a fresh temporary folder
 * (removed after) before each test. Read `docker` and `dir` inside the tests.
 */
export function freshEngineEachTest(target: { docker(): Docker }, tmpPrefix: string): { readonly docker: Docker; readonly dir: string } {
  const state = {} as { docker: Docker; dir: string };
  before(() => {
    state.docker = target.docker();
  });
  beforeEach(async () => {
    await resetEngine(state.docker);
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  });
  afterEach(() => fs.rmSync(state.dir, { recursive: true, force: true }));
  return state;
}
