/**
 * One cleanup at a time per engine, across processes and across agents that
 * share a daemon: the lock lives on the engine itself, as a container named
 * `docker-image-cleanup-run-lock` (container names are unique, so creating it
 * is atomic: a second create fails with 409). It is created, never started,
 * from a tiny image `docker-image-cleanup-state:lock-v1` (a repository the
 * planner never removes), so this works on Podman too. Releasing removes the
 * container and then the image, by its (deterministic) ID, never by the tag:
 * the engine is left as it was. Another run's lock container on that image
 * makes the engine refuse (409), which leaves it for that run.
 */
import * as os from 'node:os';
import type Dockerode from 'dockerode';
import { createHash } from 'node:crypto';
import * as tar from 'tar-stream';
import { isGone, messageOf, statusOf } from './api-errors';
import { loadArchive, readStream } from './image-archive';
import { TOOL_STATE_REPOSITORY } from '../planner/planner';

export const RUN_LOCK_NAME = 'docker-image-cleanup-run-lock';
export const RUN_LOCK_IMAGE = `${TOOL_STATE_REPOSITORY}:lock-v1`;
const HOLDER_LABEL = 'org.docker-image-cleanup.run-lock';
const SINCE_LABEL = 'org.docker-image-cleanup.run-lock.since';
const LOCK_CMD = ['/run-lock'];
const IMAGE_LABEL = 'org.docker-image-cleanup.run-lock-image';

export interface RunLockOptions {
  /** Give up after waiting this long (ms). */
  waitMs: number;
  /** A lock older than this (by the engine's creation time) is a crashed run's: broken (ms). Default 15 min. */
  staleMs?: number;
  /** Told once when another cleanup holds the lock, and again when it is broken. */
  onWait?: (message: string) => void;
}

/** Another cleanup held the lock for longer than the wait allowed. */
export class RunLockBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunLockBusyError';
  }
}

/** Takes the engine's run lock; resolves with the function that releases it. */
export async function acquireRunLock(docker: Dockerode, options: RunLockOptions): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? 15 * 60_000;
  const deadline = Date.now() + options.waitMs;
  const holder = `${os.hostname()} pid ${process.pid}`;
  let told: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const container = await docker.createContainer({
        name: RUN_LOCK_NAME,
        Image: RUN_LOCK_IMAGE,
        Cmd: LOCK_CMD,
        Labels: { [HOLDER_LABEL]: holder, [SINCE_LABEL]: new Date().toISOString() },
        HostConfig: { NetworkMode: 'none' },
      });
      return async () => {
        await removeLock(docker, container.id);
        await removeLockImage(docker);
      };
    } catch (error) {
      if (statusOf(error) === 404 && /image|no such/i.test(messageOf(error))) {
        // Two runs loading it at once: the containerd store refuses the second with "already exists", which is as good.
        await loadLockImage(docker).catch((e) => (/already exists/i.test(messageOf(e)) ? undefined : Promise.reject(e)));
        continue;
      }
      if (!(statusOf(error) === 409 || /already in use/i.test(messageOf(error)))) throw error;
    }
    const current = await lockHolder(docker);
    if (!current) continue; // released meanwhile
    const age = Date.now() - current.created;
    if (age > staleMs || deadOnThisHost(current.holder)) {
      options.onWait?.(`breaking a stale cleanup lock held by ${current.holder} since ${new Date(current.created).toISOString()}`);
      await removeLock(docker, current.id);
      continue;
    }
    if (told !== current.id) {
      told = current.id;
      options.onWait?.(`another cleanup (${current.holder}) is running on this engine since ${new Date(current.created).toISOString()}; waiting up to ${Math.round(options.waitMs / 1000)} s`);
    }
    if (Date.now() >= deadline) {
      throw new RunLockBusyError(
        `another cleanup (${current.holder}) is running on this engine since ${new Date(current.created).toISOString()}; gave up after waiting ${Math.round(options.waitMs / 1000)} s ` +
          `(raise --lock-wait, or remove container ${RUN_LOCK_NAME} if that run is gone)`,
      );
    }
    await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6), Math.max(0, deadline - Date.now())) * (0.5 + Math.random() / 2));
  }
}

/** The lock image (`docker save` format): byte-identical on every agent, so racing loads agree. */
async function lockArchive(): Promise<{ tar: Buffer; imageId: string }> {
  const when = new Date('2020-01-01T00:00:00Z');
  const layer = await pack([{ name: 'run-lock', content: Buffer.from('docker-image-cleanup run lock\n') }], when);
  const diffId = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: when.toISOString(),
      config: { Cmd: LOCK_CMD, Labels: { [IMAGE_LABEL]: 'v1' } },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
      history: [{ created: when.toISOString(), created_by: 'docker-image-cleanup run lock' }],
    }),
  );
  const configHex = sha256(config);
  const manifest = Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [RUN_LOCK_IMAGE], Layers: [`${diffId}/layer.tar`] }]));
  const archive = await pack(
    [
      { name: `${diffId}/`, content: Buffer.alloc(0), dir: true },
      { name: `${diffId}/layer.tar`, content: layer },
      { name: `${configHex}.json`, content: config },
      { name: 'manifest.json', content: manifest },
    ],
    when,
  );
  return { tar: archive, imageId: `sha256:${configHex}` };
}

async function pack(files: { name: string; content: Buffer; dir?: boolean }[], mtime: Date): Promise<Buffer> {
  const p = tar.pack();
  const done = readStream(p as unknown as NodeJS.ReadableStream);
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (f.dir) p.entry({ name: f.name, mtime, uid: 0, gid: 0, mode: 0o755, type: 'directory' }, cb);
      else p.entry({ name: f.name, mtime, uid: 0, gid: 0, mode: 0o644 }, f.content, cb);
    });
  }
  p.finalize();
  return done;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function loadLockImage(docker: Dockerode): Promise<void> {
  await loadArchive(docker, (await lockArchive()).tar);
}

/**
 * By its ID only, and only the image this module loads (its ID where the ID is
 * the config digest; on the containerd store, its one tiny layer, label and
 * command): an image someone else tagged lock-v1 is not ours to delete.
 */
async function removeLockImage(docker: Dockerode): Promise<void> {
  try {
    const info: any = await docker.getImage(RUN_LOCK_IMAGE).inspect();
    const ours =
      info.Id === (await lockArchive()).imageId ||
      ((info.RootFS?.Layers ?? []).length === 1 && info.Size < 64 * 1024 && info.Config?.Labels?.[IMAGE_LABEL] === 'v1' && JSON.stringify(info.Config?.Cmd) === JSON.stringify(LOCK_CMD));
    if (!ours) return;
    await docker.getImage(info.Id).remove({ noprune: false });
  } catch (error) {
    // 409: another run's lock stands on it (or someone tagged it too); 404: gone, or an engine that names it otherwise.
    if (!isGone(error) && statusOf(error) !== 409) throw error;
  }
}

/**
 * What the run lock holds of one system/df answer's image figure (DiskUsage.imagesBytes),
 * so a run can leave its own bookkeeping out of the bytes it reports. On the containerd
 * store LayersSize counts every snapshot, containers' too: the lock container's image,
 * `-init` and writable snapshots, which is its SizeRootFs (73,728 B there, 64 KiB more than
 * the image). Graph drivers count image layers only, and Podman's figure is the sum of
 * image sizes: the lock image's own bytes in that answer. 0 when no lock stands. Where the
 * engine's figure counts content blobs too (`countsContent`, dockerd 28.2 on), the lock image's
 * blobs (manifest, config, its one layer: 2,840 B there) are added: its inspected Size there.
 */
export async function runLockShare(
  docker: Dockerode,
  df: { Images?: { Id?: string; Size?: number; SharedSize?: number }[] | null },
  containerdStore: boolean,
  countsContent = false,
): Promise<number> {
  let lock: any;
  try {
    lock = await docker.getContainer(RUN_LOCK_NAME).inspect((containerdStore ? { size: true } : {}) as Dockerode.ContainerInspectOptions);
  } catch (error) {
    if (isGone(error)) return 0;
    throw error;
  }
  if (containerdStore) return Math.max(0, Number(lock.SizeRootFs ?? 0)) + (countsContent ? await lockImageContent(docker, String(lock.Image ?? '')) : 0);
  const image = (df.Images ?? []).find((i) => bareId(i.Id ?? '') === bareId(String(lock.Image ?? '')));
  return image ? Math.max(0, (image.Size ?? 0) - Math.max(0, image.SharedSize ?? 0)) : 0;
}

/** The lock image's blobs in the content store (its inspected Size on engines that count content); 0 when gone. */
async function lockImageContent(docker: Dockerode, image: string): Promise<number> {
  try {
    return Math.max(0, Number((await docker.getImage(image).inspect()).Size ?? 0));
  } catch (error) {
    if (isGone(error)) return 0;
    throw error;
  }
}

function bareId(id: string): string {
  return id.replace(/^sha256:/, '');
}

/** The lock's image and container are the tool's own bookkeeping, not part of what a run plans. */
export function isRunLockImage(tags: readonly string[]): boolean {
  return tags.includes(RUN_LOCK_IMAGE);
}

async function lockHolder(docker: Dockerode): Promise<{ id: string; created: number; holder: string } | undefined> {
  try {
    const info: any = await docker.getContainer(RUN_LOCK_NAME).inspect();
    const created = Date.parse(info.Created);
    return { id: info.Id, created: Number.isFinite(created) ? created : Date.now(), holder: info.Config?.Labels?.[HOLDER_LABEL] ?? 'unknown holder' };
  } catch (error) {
    if (isGone(error)) return undefined;
    throw error;
  }
}

/** A holder on this very host whose process is gone crashed: no need to wait for the stale limit. */
function deadOnThisHost(holder: string): boolean {
  const match = /^(.*) pid (\d+)$/.exec(holder);
  if (!match || match[1] !== os.hostname()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function removeLock(docker: Dockerode, id: string): Promise<void> {
  try {
    // Created, never started: nothing to force.
    await docker.getContainer(id).remove({ v: true });
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
