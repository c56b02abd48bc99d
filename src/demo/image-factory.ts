/**
 * Image factory: generates `docker save` archives in Node and loads them with
 * `docker load`, so tests and the demo get realistic images (chosen creation
 * times, labels, layers shared between images, runnable busybox) without a
 * registry or a network.
 *
 * Determinism is the point: a LayerSpec (its id and content) always produces
 * the byte-identical layer tar (fixed mtimes, uid/gid 0, sorted entries,
 * filler seeded by the id, a marker file naming the id), hence the same diff
 * ID, so images that list the same layers share them on the engine exactly
 * like images built FROM a common base. A derived image is simply its base's
 * layers followed by its own. Distinct ids never collapse into one layer.
 */
import { createCipheriv, createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type Dockerode from 'dockerode';
import { loadArchive, packTar } from '../engine/image-archive';

/** One filesystem layer. */
export interface LayerSpec {
  /** Stable name: the same id always yields the same layer (and diff ID). */
  id: string;
  /** Extra files, path (relative to /) -> content. */
  files?: Record<string, string | Buffer>;
  /** Size of an incompressible pseudo-random filler file, seeded by `id` (identical on every run). */
  bytes?: number;
  /** Include the host's static /bin/busybox, which makes containers of the image runnable. */
  busybox?: boolean;
}

/** One image: its layers (base first), tags and config. */
export interface ImageSpec {
  /** References to tag the image with (`app:ci-1`, `registry.example.com/team/app:ci-1`); empty = dangling. */
  tags: string[];
  /** Stored as the config's `created`, which `docker images` and inspect report. */
  created: Date;
  /** Base first. Images listing the same layer ids share those layers on the engine. */
  layers: LayerSpec[];
  labels?: Record<string, string>;
  /** Default command; `/bin/busybox sleep 3600` when omitted. */
  cmd?: string[];
  env?: string[];
}

/** The host's static busybox, copied into layers with `busybox: true`. */
export const BUSYBOX_PATH = '/bin/busybox';
export const DEFAULT_CMD = ['/bin/busybox', 'sleep', '3600'];


interface BuiltLayer {
  tar: Buffer;
  /** sha256 hex of the uncompressed tar: the diff ID without its prefix. */
  digest: string;
}

/** Built layers by specKey; the demo seed stays well under 100 MB of distinct layers. */
const layerCache = new Map<string, BuiltLayer>();
let busyboxBytes: Buffer | undefined;

function busybox(): Buffer {
  if (!busyboxBytes) {
    try {
      busyboxBytes = fs.readFileSync(BUSYBOX_PATH);
    } catch (error) {
      throw new Error(`image factory: ${BUSYBOX_PATH} is needed for runnable images (apt-get install busybox-static): ${(error as Error).message}`);
    }
  }
  return busyboxBytes;
}

/** Deterministic incompressible bytes: AES-256-CTR keystream keyed by sha256(id). */
export function fillerBytes(id: string, size: number): Buffer {
  const key = createHash('sha256').update(`filler:${id}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

function specKey(spec: LayerSpec): string {
  const files = Object.entries(spec.files ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([p, c]) => [p, createHash('sha256').update(c).digest('hex')]);
  return JSON.stringify([spec.id, spec.bytes ?? 0, !!spec.busybox, files]);
}

async function packLayer(spec: LayerSpec): Promise<Buffer> {
  // Every layer carries a marker naming its id, so distinct ids never collapse
  // into one diff ID even when they have no other content.
  const files = new Map<string, { content: Buffer; mode: number }>();
  files.set(`.layers/${safeName(spec.id)}`, { content: Buffer.from(`${spec.id}\n`), mode: 0o644 });
  if (spec.busybox) files.set('bin/busybox', { content: busybox(), mode: 0o755 });
  if (spec.bytes && spec.bytes > 0) {
    files.set(`filler/${safeName(spec.id)}.bin`, { content: fillerBytes(spec.id, spec.bytes), mode: 0o644 });
  }
  for (const [p, c] of Object.entries(spec.files ?? {})) {
    const name = p.replace(/^\/+/, '');
    if (!name || name.endsWith('/')) throw new Error(`image factory: layer ${spec.id}: bad file path ${JSON.stringify(p)}`);
    files.set(name, { content: typeof c === 'string' ? Buffer.from(c) : c, mode: 0o644 });
  }
  const dirs = new Set<string>();
  for (const name of files.keys()) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries = [
    ...[...dirs].map((d) => ({ name: `${d}/`, dir: true as const })),
    ...[...files].map(([name, f]) => ({ name, dir: false as const, ...f })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return packTar(entries);
}

/** The layer tar for a spec, built once per distinct spec (id and content). */
async function buildLayer(spec: LayerSpec): Promise<BuiltLayer> {
  const key = specKey(spec);
  let built = layerCache.get(key);
  if (!built) {
    const data = await packLayer(spec);
    built = { tar: data, digest: sha256(data) };
    layerCache.set(key, built);
  }
  return built;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The image config JSON (its sha256 is the image ID the engine will report). */
export function imageConfig(spec: ImageSpec, diffIds: string[]): Buffer {
  const created = spec.created.toISOString();
  const config = {
    architecture: 'amd64',
    os: 'linux',
    created,
    config: {
      Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: spec.cmd ?? DEFAULT_CMD,
      Labels: spec.labels ?? {},
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      ...spec.layers.map((l) => ({ created, created_by: `/bin/sh -c #(nop) layer ${l.id}` })),
      { created, created_by: `/bin/sh -c #(nop)  CMD ${JSON.stringify(spec.cmd ?? DEFAULT_CMD)}`, empty_layer: true },
    ],
  };
  return Buffer.from(JSON.stringify(config));
}

/**
 * `node:20` -> `docker.io/library/node:20`, `team/app:1` -> `docker.io/team/app:1`.
 * Docker shows loaded names in the short form either way; Podman keeps short
 * names from an archive as `localhost/node:20`, unlike the pulled images they
 * stand for, so the archive always carries the full name.
 */
export function qualifiedTag(tag: string): string {
  const slash = tag.indexOf('/');
  const first = slash < 0 ? '' : tag.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) return tag;
  return slash < 0 ? `docker.io/library/${tag}` : `docker.io/${tag}`;
}

/**
 * A `docker save` archive holding all `images` (manifest.json, one config per
 * image, each distinct layer once as `<digest>/layer.tar`, uncompressed).
 */
export async function buildArchive(images: ImageSpec[]): Promise<Buffer> {
  if (images.length === 0) throw new Error('image factory: no images to build');
  const blobs = new Map<string, Buffer>();
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  for (const image of images) {
    if (image.layers.length === 0) throw new Error(`image factory: image ${image.tags.join(',') || '(untagged)'} has no layers`);
    const layers = [];
    for (const spec of image.layers) layers.push(await buildLayer(spec));
    const config = imageConfig(image, layers.map((l) => `sha256:${l.digest}`));
    const configName = `${sha256(config)}.json`;
    blobs.set(configName, config);
    for (const l of layers) blobs.set(`${l.digest}/layer.tar`, l.tar);
    manifest.push({
      Config: configName,
      RepoTags: image.tags.length > 0 ? image.tags.map(qualifiedTag) : null,
      Layers: layers.map((l) => `${l.digest}/layer.tar`),
    });
  }
  blobs.set('manifest.json', Buffer.from(JSON.stringify(manifest)));

  const names = [...blobs.keys()].sort();
  const dirs = new Set(names.filter((n) => n.includes('/')).map((n) => n.split('/')[0]!));
  return packTar([...[...dirs].sort().map((d) => ({ name: `${d}/`, dir: true })), ...names.map((name) => ({ name, content: blobs.get(name)! }))]);
}

/** Bytes of the distinct layer tars the images use: what loading them adds to a fresh engine, before storage overhead. */
export async function distinctLayerBytes(images: ImageSpec[]): Promise<number> {
  const seen = new Map<string, number>();
  for (const image of images) {
    for (const spec of image.layers) {
      const l = await buildLayer(spec);
      seen.set(l.digest, l.tar.length);
    }
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/** The image ID (`sha256:` + hex of the config) the engine will give `spec` — known before loading. */
export async function expectedImageId(spec: ImageSpec): Promise<string> {
  const layers = [];
  for (const l of spec.layers) layers.push(await buildLayer(l));
  return `sha256:${sha256(imageConfig(spec, layers.map((l) => `sha256:${l.digest}`)))}`;
}

/**
 * Builds one archive of `images` and loads it, draining the response stream.
 * Throws when the engine reports an error in the stream (or the request fails).
 * A tag already present on the engine moves to the loaded image, like `docker load`.
 */
export async function loadImages(docker: Dockerode, images: ImageSpec[]): Promise<void> {
  await loadArchive(docker, await buildArchive(images));
}

/** `docker load` of an archive already built; drains the stream and throws on an error in it. */
export { loadArchive };

/** The full image ID (`sha256:…`) a reference or ID names on the engine. */
export async function imageId(docker: Dockerode, ref: string): Promise<string> {
  return (await docker.getImage(ref).inspect()).Id;
}
