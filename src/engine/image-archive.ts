import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type Dockerode from 'dockerode';
import * as tar from 'tar-stream';

/** Collects a stream (an image save, a load answer) into one buffer. */
export function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

/**
 * `docker load` of a docker-save archive. The engine answers 200 and reports a
 * failure inside the JSON stream (Podman answers 500): drain it and throw on either.
 * The containerd store creates each name record after checking it is absent, so
 * two loads of one tag at once can fail with `image "…": already exists`; the
 * record exists now and a second load updates it.
 */
export async function loadArchive(docker: Dockerode, archive: Buffer): Promise<void> {
  try {
    await loadOnce(docker, archive);
  } catch (error) {
    if (!/docker load failed: image .*already exists/.test(String((error as Error).message))) throw error;
    await loadOnce(docker, archive);
  }
}

async function loadOnce(docker: Dockerode, archive: Buffer): Promise<void> {
  // docker-modem sends a Buffer body as is; the typings only mention streams.
  const stream = await docker.loadImage(archive as unknown as NodeJS.ReadableStream, { quiet: true });
  const text = (await readStream(stream)).toString('utf8');
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    let message: { error?: string; errorDetail?: { message?: string } };
    try {
      message = JSON.parse(trimmed);
    } catch {
      continue;
    }
    const error = message.errorDetail?.message ?? message.error;
    if (error) throw new Error(`docker load failed: ${error}`);
  }
}

/** Entries of a tar written by the tool itself: owned by root, one fixed mtime, so equal input gives equal bytes. */
export interface TarEntry {
  name: string;
  content?: Buffer;
  dir?: boolean;
  /** Default 0o644 for files, 0o755 for directories. */
  mode?: number;
}

const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

/** A tar of `entries`, in order. Deterministic. */
export async function packTar(entries: TarEntry[]): Promise<Buffer> {
  const p = tar.pack();
  const done = readStream(p as unknown as NodeJS.ReadableStream);
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      const common = { name: e.name, mtime: FIXED_MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
      if (e.dir) p.entry({ ...common, type: 'directory', mode: e.mode ?? 0o755 }, cb);
      else p.entry({ ...common, type: 'file', mode: e.mode ?? 0o644 }, e.content!, cb);
    });
  }
  p.finalize();
  return done;
}

/** Every regular file of a tar, by name (`./` prefixes dropped). */
export async function untarFiles(data: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(data);
  await done;
  return files;
}

/** A one-layer tar holding `files`, and its diff ID (`sha256:` of the uncompressed tar). */
export async function singleLayer(files: { name: string; content: Buffer }[]): Promise<{ layer: Buffer; diffId: string }> {
  const layer = await packTar(files);
  return { layer, diffId: `sha256:${sha256(layer)}` };
}

export interface SingleLayerImage {
  files: { name: string; content: Buffer }[];
  labels: Record<string, string>;
  cmd: string[];
  repoTag: string;
  /** ms epoch; out of a Date's range (or not positive) it is the epoch. */
  created: number;
  /** The history line naming who made it. */
  createdBy: string;
}

/**
 * A `docker save` archive of one image with one layer, for the machine's own architecture.
 * Deterministic: the same input gives the same image ID (the config's digest).
 */
export async function singleLayerArchive(image: SingleLayerImage): Promise<{ tar: Buffer; imageId: string }> {
  const { layer, diffId: prefixed } = await singleLayer(image.files);
  const diffId = prefixed.slice('sha256:'.length);
  // Within the range of a Date: a record with updatedAt 1e300 must not fail every save.
  const created = new Date(Number.isFinite(image.created) && image.created > 0 && image.created < 8.64e15 ? image.created : 0).toISOString();
  const config = Buffer.from(
    JSON.stringify({
      architecture: goArch(),
      os: 'linux',
      created,
      config: { Cmd: image.cmd, Labels: image.labels },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
      history: [{ created, created_by: image.createdBy }],
    }),
  );
  const configHex = sha256(config);
  const manifest = Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [image.repoTag], Layers: [`${diffId}/layer.tar`] }]));
  const archive = await packTar([
    { name: `${diffId}/`, dir: true },
    { name: `${diffId}/layer.tar`, content: layer },
    { name: `${configHex}.json`, content: config },
    { name: 'manifest.json', content: manifest },
  ]);
  return { tar: archive, imageId: `sha256:${configHex}` };
}

/** One file from the layers of a `docker save` archive of one image, top layer first. */
export async function fileInSavedImage(saved: Buffer, file: string): Promise<string> {
  const files = await untarFiles(saved);
  const manifestBytes = files.get('manifest.json');
  if (!manifestBytes) throw new Error('no manifest.json in the saved image');
  const manifest: { Layers?: string[] }[] = JSON.parse(manifestBytes.toString('utf8'));
  for (const layerName of [...(manifest[0]?.Layers ?? [])].reverse()) {
    let layer = files.get(layerName);
    if (!layer) continue;
    if (layer[0] === 0x1f && layer[1] === 0x8b) layer = gunzipSync(layer);
    const found = (await untarFiles(layer)).get(file);
    if (found) return found.toString('utf8');
  }
  throw new Error(`no ${file} in the image's layers`);
}

function goArch(): string {
  return { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' }[process.arch as string] ?? 'amd64';
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
