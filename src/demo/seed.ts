/**
 * The demo agent: seeds an empty engine the way a busy self-hosted CI agent
 * looks after a few days — base images pulled months ago, many builds of
 * several apps sharing those bases, multi-tagged images, a label-protected
 * release, dangling leftovers and containers (running, stopped, created by ID).
 *
 * Sizes are scaled down about tenfold (node ~10 MB instead of ~130 MB, the
 * dotnet SDK ~20 MB instead of ~800 MB) so seeding stays fast on the vfs
 * storage driver, which stores every layer as a full copy of its parents:
 * about 150 MB of distinct layers, well under 300 MB (vfs needs about 1.5 GB
 * of disk for them). The shape of the plan — what is kept, why, and what
 * shared layers mean for the bytes freed — is the same as at full size.
 */
import type Dockerode from 'dockerode';
import { shortImageId } from '../domain/image-id';
import { DEFAULT_CMD, distinctLayerBytes, loadImages, type ImageSpec, type LayerSpec } from './image-factory';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MB = 1024 * 1024;

export interface SeededContainer {
  name: string;
  /** As given to the engine: a reference or an abbreviated image ID. */
  image: string;
  state: 'running' | 'exited' | 'created';
}

export interface SeedSummary {
  /** Distinct images (tagged and dangling). */
  images: number;
  /** Images without any tag. */
  dangling: number;
  /** Every tag, sorted. */
  tags: string[];
  /** Tags per repository, newest build first. */
  repositories: Record<string, string[]>;
  containers: SeededContainer[];
  /** Bytes of the distinct layers loaded (vfs stores considerably more on disk). */
  layerBytes: number;
  /** The instant the creation times are relative to. */
  now: Date;
  durationMs: number;
}

export interface SeedOptions {
  /**
   * After seeding, fill the engine's in-memory event buffer (its last 256
   * events) with volume create/remove events, so the seconds-old `load` events
   * are gone as they would be on an agent whose images arrived days ago. The
   * images then "arrived" at their creation times and the grace period
   * (--min-age) applies to the recent builds only, not to everything just
   * seeded. Volumes only: no image or container is touched. Default true.
   */
  expireEvents?: boolean;
}

/** Layers of a base image's root filesystem; `busybox` makes its containers runnable. */
function rootfs(id: string, release: Record<string, string>, bytes: number): LayerSpec {
  return { id, busybox: true, files: release, bytes };
}

const ALPINE_318 = rootfs('alpine-3.18-rootfs', { 'etc/alpine-release': '3.18.9\n', 'etc/os-release': 'ID=alpine\nVERSION_ID=3.18.9\n' }, 1 * MB);
const ALPINE_320 = rootfs('alpine-3.20-rootfs', { 'etc/alpine-release': '3.20.3\n', 'etc/os-release': 'ID=alpine\nVERSION_ID=3.20.3\n' }, 1 * MB);
const DEBIAN = rootfs('debian-bookworm-slim-rootfs', { 'etc/debian_version': '12.7\n', 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n' }, 3 * MB);

const layer = (id: string, bytes: number, files?: Record<string, string>): LayerSpec => ({ id, bytes, files });

/** Base images by tag: their layers and how long ago they were built upstream. */
const BASES = {
  'node:18-alpine': { ago: 240 * DAY, layers: [ALPINE_318, layer('node-18.20.4', 9 * MB), layer('yarn-1.22.22-node18', 1 * MB)] },
  'node:20-alpine': { ago: 150 * DAY, layers: [ALPINE_320, layer('node-20.18.0', 9 * MB), layer('yarn-1.22.22-node20', 1 * MB)] },
  'node:22-alpine': { ago: 60 * DAY, layers: [ALPINE_320, layer('node-22.11.0', 10 * MB), layer('yarn-1.22.22-node22', 1 * MB)] },
  'mcr.microsoft.com/dotnet/sdk:8.0': {
    ago: 45 * DAY,
    layers: [DEBIAN, layer('dotnet-runtime-8.0.10', 5 * MB), layer('aspnetcore-runtime-8.0.10', 2 * MB), layer('dotnet-sdk-8.0.403', 10 * MB)],
  },
  'redis:7': { ago: 90 * DAY, layers: [DEBIAN, layer('redis-7.4.1', 3 * MB)] },
  'postgres:16': { ago: 75 * DAY, layers: [DEBIAN, layer('postgresql-16.4', 8 * MB)] },
} as const;
type Base = keyof typeof BASES;

function revision(seed: string): string {
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return (h.toString(16) + 'a3c9e1f0b2d4').slice(0, 12);
}

function build(
  repo: string,
  tag: string,
  from: Base,
  created: Date,
  deps: LayerSpec,
  appBytes: number,
  extra: Partial<ImageSpec> = {},
): ImageSpec {
  const name = repo.split('/').pop()!;
  return {
    tags: [`${repo}:${tag}`],
    created,
    layers: [...BASES[from].layers, deps, layer(`${name}-app-${tag}`, appBytes, { [`app/${name}/BUILD`]: `${tag}\n` })],
    labels: {
      'org.opencontainers.image.source': `https://git.example.com/team/${name}`,
      'org.opencontainers.image.revision': revision(`${name}:${tag}`),
      'org.opencontainers.image.base.name': from,
      'ci.build': tag,
    },
    cmd: DEFAULT_CMD,
    ...extra,
  };
}

/** The images the demo agent holds, creation times relative to `now`. */
export function demoImages(now: Date): ImageSpec[] {
  const at = (ms: number) => new Date(now.getTime() - ms);
  const images: ImageSpec[] = [];

  for (const [tag, base] of Object.entries(BASES)) {
    images.push({ tags: [tag], created: at(base.ago), layers: [...base.layers], cmd: DEFAULT_CMD });
  }

  // fooproject ci-3280..ci-3291, one every 5 hours, the newest 20 minutes ago;
  // the oldest four still FROM node:18-alpine, the lockfile changed twice.
  const fooDeps = (n: number): LayerSpec =>
    n < 3284 ? layer('fooproject-node_modules-lock-a-node18', 6 * MB) : n < 3288 ? layer('fooproject-node_modules-lock-b', 6 * MB) : layer('fooproject-node_modules-lock-c', 6 * MB);
  const fooCreated = (n: number) => at(20 * MINUTE + (3291 - n) * 5 * HOUR);
  for (let n = 3280; n <= 3291; n++) {
    images.push(build('fooproject', `ci-${n}`, n < 3284 ? 'node:18-alpine' : 'node:20-alpine', fooCreated(n), fooDeps(n), 1.5 * MB));
  }
  const foo = (n: number) => images.find((i) => i.tags[0] === `fooproject:ci-${n}`)!;
  foo(3291).tags.push('fooproject:latest', 'registry.example.com/team/fooproject:ci-3291');
  foo(3290).tags.push('registry.example.com/team/fooproject:ci-3290');
  // a release kept for manual testing, protected by a label
  images.push(
    build('fooproject', 'release-2.4', 'node:18-alpine', at(40 * DAY), fooDeps(3200), 1.5 * MB, {
      labels: { keep: 'true', 'org.opencontainers.image.version': '2.4.0' },
    }),
  );

  // webapi ci-101..ci-110 FROM the dotnet SDK, one every 7 hours, the newest 3 hours ago
  const apiRestore = (n: number) => layer(`webapi-nuget-restore-${n < 105 ? 1 : n < 108 ? 2 : 3}`, 3 * MB);
  for (let n = 101; n <= 110; n++) {
    images.push(build('webapi', `ci-${n}`, 'mcr.microsoft.com/dotnet/sdk:8.0', at(3 * HOUR + (110 - n) * 7 * HOUR), apiRestore(n), 2.5 * MB));
  }

  // worker build-57..build-62 FROM node:22-alpine, one every 11 hours, the newest 5 hours ago
  for (let n = 57; n <= 62; n++) {
    images.push(build('worker', `build-${n}`, 'node:22-alpine', at(5 * HOUR + (62 - n) * 11 * HOUR), layer('worker-node_modules', 2 * MB), 600 * 1024));
  }

  // dangling leftovers: earlier builds whose tag went to a rebuild, and one from
  // a concurrent job 10 minutes ago (the grace period keeps that one)
  const dangling = (like: ImageSpec, id: string, created: Date): ImageSpec => ({
    ...like,
    tags: [],
    created,
    layers: [...like.layers.slice(0, -1), layer(id, 1 * MB)],
  });
  images.push(
    dangling(foo(3282), 'fooproject-app-ci-3282-attempt-1', at(20 * MINUTE + 9 * 5 * HOUR + 30 * MINUTE)),
    dangling(foo(3286), 'fooproject-app-ci-3286-attempt-1', at(20 * MINUTE + 5 * 5 * HOUR + 25 * MINUTE)),
    dangling(images.find((i) => i.tags[0] === 'webapi:ci-104')!, 'webapi-publish-ci-104-attempt-1', at(3 * HOUR + 6 * 7 * HOUR + 40 * MINUTE)),
    dangling(foo(3291), 'fooproject-app-pr-512-concurrent', at(10 * MINUTE)),
  );
  return images;
}

/** Containers on the demo agent. `byIdOf` names an image whose abbreviated ID is used. */
const CONTAINERS: { name: string; image: string; byIdOf?: string; state: SeededContainer['state'] }[] = [
  { name: 'ci-redis-service', image: 'redis:7', state: 'running' },
  { name: 'fooproject-ci-3281-e2e', image: 'fooproject:ci-3281', state: 'exited' },
  { name: 'webapi-db-migrate', image: '', byIdOf: 'webapi:ci-103', state: 'created' },
];

/**
 * Seeds the demo agent on an empty engine (it refuses one that holds images or
 * containers: use a private engine, e.g. `scripts/engine.sh reset demo`).
 * Containers use NetworkMode none and the busybox in the base layers.
 */
export async function seedAgent(docker: Dockerode, now: Date = new Date(), options: SeedOptions = {}): Promise<SeedSummary> {
  const started = Date.now();
  const [existingImages, existingContainers] = await Promise.all([docker.listImages({ all: true }), docker.listContainers({ all: true })]);
  if (existingImages.length > 0 || existingContainers.length > 0) {
    throw new Error(
      `seed expects an empty engine, this one has ${existingImages.length} images and ${existingContainers.length} containers ` +
        '(seed a private engine: scripts/engine.sh reset demo)',
    );
  }

  const images = demoImages(now);
  await loadImages(docker, images);

  const containers: SeededContainer[] = [];
  for (const spec of CONTAINERS) {
    const image = spec.byIdOf ? shortImageId((await docker.getImage(spec.byIdOf).inspect()).Id) : spec.image;
    const container = await docker.createContainer({
      name: spec.name,
      Image: image,
      Cmd: DEFAULT_CMD,
      // busybox sleep as PID 1 ignores SIGTERM: without this a daemon shutdown
      // waits 10 s for the running container (and engine.sh stop gives up)
      StopTimeout: 1,
      HostConfig: { NetworkMode: 'none' },
    });
    if (spec.state !== 'created') await container.start();
    if (spec.state === 'exited') await container.stop({ t: 0 });
    containers.push({ name: spec.name, image, state: spec.state });
  }

  if (options.expireEvents !== false) await expireEvents(docker);

  const listed = await docker.listImages();
  const tags = listed.flatMap((i) => (i.RepoTags ?? []).filter((t) => !t.endsWith(':<none>'))).sort();
  const repositories: Record<string, string[]> = {};
  const createdOf = new Map(images.flatMap((i) => i.tags.map((t) => [t, i.created.getTime()] as const)));
  for (const t of tags) {
    const repo = t.slice(0, t.lastIndexOf(':'));
    (repositories[repo] ??= []).push(t);
  }
  for (const list of Object.values(repositories)) list.sort((a, b) => (createdOf.get(b) ?? 0) - (createdOf.get(a) ?? 0));
  return {
    images: listed.length,
    dangling: listed.filter((i) => !(i.RepoTags ?? []).some((t) => !t.endsWith(':<none>'))).length,
    tags,
    repositories,
    containers,
    layerBytes: await distinctLayerBytes(images),
    now,
    durationMs: Date.now() - started,
  };
}

/** dockerd keeps its last 256 events in memory (moby daemon/events eventsLimit). */
const ENGINE_EVENT_BUFFER = 256;

/** Pushes the seed's own events out of the engine's buffer with volume create/remove pairs. */
async function expireEvents(docker: Dockerode): Promise<void> {
  const pairs = Math.ceil(ENGINE_EVENT_BUFFER / 2) + 8;
  for (let i = 0; i < pairs; i++) {
    const name = `dic-demo-event-filler-${i}`;
    await docker.createVolume({ Name: name });
    await docker.getVolume(name).remove();
  }
}
