/**
 * The usage record kept ON the engine, for agents whose only lasting state is
 * the daemon (Kubernetes Docker-outside-of-Docker: every job is a fresh pod).
 *
 * The record is a tiny image `docker-image-cleanup-state:usage-v1`: one layer
 * holding `usage-record.json`, and the same record gzip+base64 in a config
 * label so reading is one image inspect (for a large record the label is left
 * out and the layer is read from `docker save`). Updates are serialized by a
 * lock container `docker-image-cleanup-usage-lock` (container names are unique,
 * so creating it is atomic; it is created from the record image and never
 * started, which works on Podman too).
 */
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type Dockerode from 'dockerode';
import * as tar from 'tar-stream';
import { loadArchive, readStream } from '../engine/image-archive';
import { clampFuture, emptyRecord, fromJson, parseRecord, type UsageRecord } from './record';
import { changeAndWrite, type UsageStore } from './store';

/** The reserved reference of the record image (the planner never removes it). */
export const USAGE_RECORD_REFERENCE = 'docker-image-cleanup-state:usage-v1';
/** The same, fully qualified: both Docker and Podman name it alike this way. */
export const USAGE_RECORD_QUALIFIED = `docker.io/library/${USAGE_RECORD_REFERENCE}`;
/** The record, gzip + base64, in the record image's config. */
export const USAGE_LABEL = 'org.docker-image-cleanup.usage';
/** Marks every record image (`v1`), so leftovers can be found and removed. */
export const USAGE_MARKER_LABEL = 'org.docker-image-cleanup.usage-record';
/** The lock container's name. */
export const USAGE_LOCK_NAME = 'docker-image-cleanup-usage-lock';
/**
 * The lock container's image: the empty record under a tag of its own, byte-identical on every
 * agent, so loading it never moves the record's tag (on the containerd store a load onto the
 * record's tag would replace a record another agent just wrote).
 */
export const USAGE_LOCK_BASE_QUALIFIED = 'docker.io/library/docker-image-cleanup-state:usage-lock-v1';
const LOCK_LABEL = 'org.docker-image-cleanup.usage-lock';
/** The file in the record image's layer. */
export const USAGE_FILE = 'usage-record.json';

const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');
/** Never run; only there because an engine wants a command to create a container. */
const LOCK_CMD = ['/usage-record.json'];

export interface EngineUsageStoreOptions {
  /** A lock container older than this is broken (ms). Default 60 s. */
  staleLockMs?: number;
  /** How long `update` waits for the lock before giving up (ms). Default 120 s. */
  waitMs?: number;
  /** Records whose label would be longer than this are read from the layer instead. Default 128 KiB. */
  maxLabelBytes?: number;
}

export class EngineUsageStore implements UsageStore {
  readonly description = `engine image ${USAGE_RECORD_REFERENCE}`;
  private readonly staleLockMs: number;
  private readonly waitMs: number;
  private readonly maxLabelBytes: number;

  constructor(
    private readonly docker: Dockerode,
    options: EngineUsageStoreOptions = {},
  ) {
    this.staleLockMs = options.staleLockMs ?? 60_000;
    this.waitMs = options.waitMs ?? 120_000;
    this.maxLabelBytes = options.maxLabelBytes ?? 128 * 1024;
  }

  async read(): Promise<{ record: UsageRecord; warnings: string[] }> {
    const image = await this.inspect();
    if (!image) return { record: emptyRecord(), warnings: [] };
    const label: string | undefined = image.Config?.Labels?.[USAGE_LABEL];
    let labelProblem: string | undefined;
    if (label) {
      try {
        const result = fromJson(JSON.parse(gunzipSync(Buffer.from(label, 'base64')).toString('utf8')), this.description);
        if (result.warnings.length === 0) return clampFuture(result, this.description, Date.now());
        labelProblem = result.warnings[0];
      } catch (error) {
        labelProblem = `usage record label on ${USAGE_RECORD_REFERENCE} is damaged (${(error as Error).message})`;
      }
    }
    // No label (a large record) or a damaged one: the layer has the record too.
    let text: string | undefined;
    try {
      text = await this.readLayerFile(image.Id);
    } catch (error) {
      const what = `usage record ${this.description} is unreadable (${labelProblem ? `${labelProblem}; ` : ''}layer: ${(error as Error).message}); starting a new one`;
      return { record: emptyRecord(), warnings: [what] };
    }
    const result = parseRecord(text, `${this.description} (${USAGE_FILE})`, Date.now());
    if (labelProblem && result.warnings.length === 0) result.warnings.unshift(`${labelProblem}; read the record from its layer instead`);
    return result;
  }

  async update(change: (current: UsageRecord) => UsageRecord): Promise<{ record: UsageRecord; warnings: string[] }> {
    const lock = await this.lock();
    let previous: string | undefined;
    let written: string | undefined;
    let result: { record: UsageRecord; warnings: string[] };
    try {
      previous = (await this.inspect())?.Id;
      result = await changeAndWrite(
        () => this.read(),
        async (record) => {
          written = await this.write(record);
        },
        change,
      );
    } finally {
      await this.unlock(lock);
    }
    // The record images this one replaced go once the lock is released.
    const warnings = [...result.warnings];
    await this.removeOldRecordImages(previous, written, warnings);
    return { record: result.record, warnings };
  }

  private async inspect(): Promise<any | undefined> {
    try {
      return await this.docker.getImage(USAGE_RECORD_QUALIFIED).inspect();
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Loads a record image holding `record`; returns its ID. */
  private async write(record: UsageRecord): Promise<string> {
    const json = JSON.stringify(record);
    const encoded = gzipSync(Buffer.from(json, 'utf8')).toString('base64');
    const labels: Record<string, string> = { [USAGE_MARKER_LABEL]: 'v1' };
    if (encoded.length <= this.maxLabelBytes) labels[USAGE_LABEL] = encoded;
    const archive = await recordArchive(json, labels, record.updatedAt);
    await loadArchive(this.docker, archive.tar);
    return archive.imageId;
  }

  /** `usage-record.json` from the record image's layer, via `docker save`. */
  private async readLayerFile(imageId: string): Promise<string> {
    const saved = await readStream((await this.docker.getImage(imageId).get()) as unknown as NodeJS.ReadableStream);
    const files = await untar(saved);
    const manifestBytes = files.get('manifest.json');
    if (!manifestBytes) throw new Error('no manifest.json in the saved image');
    const manifest: { Layers?: string[] }[] = JSON.parse(manifestBytes.toString('utf8'));
    for (const layerName of [...(manifest[0]?.Layers ?? [])].reverse()) {
      let layer = files.get(layerName);
      if (!layer) continue;
      if (layer[0] === 0x1f && layer[1] === 0x8b) layer = gunzipSync(layer);
      const inner = await untar(layer);
      const file = inner.get(USAGE_FILE);
      if (file) return file.toString('utf8');
    }
    throw new Error(`no ${USAGE_FILE} in the image's layers`);
  }

  /**
   * Creates the lock container; waits while another holds it, breaking a lock
   * older than the stale limit (by its ID, so a fresh lock taken meanwhile
   * survives). Returns the lock container's ID.
   */
  private async lock(): Promise<string> {
    const deadline = Date.now() + this.waitMs;
    const token = randomBytes(8).toString('hex');
    let seen: { id: string; since: number } | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        const container = await this.docker.createContainer({
          name: USAGE_LOCK_NAME,
          Image: USAGE_LOCK_BASE_QUALIFIED,
          Cmd: LOCK_CMD,
          Labels: { [LOCK_LABEL]: token },
          HostConfig: { NetworkMode: 'none' },
        });
        return container.id;
      } catch (error) {
        const status = statusOf(error);
        if (status === 404 && /image|no such/i.test(messageOf(error))) {
          // The lock's own image is not there yet: load it (racing loads agree) and try again.
          await this.loadLockBase();
          continue;
        } else if (!isNameConflict(error)) throw error;
      }
      const holder = await this.lockHolder();
      if (holder) {
        if (!seen || seen.id !== holder.id) seen = { id: holder.id, since: Date.now() };
        const age = Math.max(Date.now() - holder.created, Date.now() - seen.since);
        if (age > this.staleLockMs) {
          await removeContainer(this.docker, holder.id);
          continue;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`cannot lock the usage record ${this.description}: container ${USAGE_LOCK_NAME} has been held for longer than ${Math.round(this.waitMs / 1000)} s`);
      }
      await sleep(Math.min(1000, 20 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
  }

  private async loadLockBase(): Promise<void> {
    const archive = await recordArchive(JSON.stringify(emptyRecord()), {}, 0, USAGE_LOCK_BASE_QUALIFIED);
    // Two agents loading it at once: the containerd store refuses the second with "already exists", which is as good.
    await loadArchive(this.docker, archive.tar).catch((e) => (/already exists/i.test(messageOf(e)) ? undefined : Promise.reject(e)));
  }

  private async lockHolder(): Promise<{ id: string; created: number } | undefined> {
    try {
      const info: any = await this.docker.getContainer(USAGE_LOCK_NAME).inspect();
      const created = Date.parse(info.Created);
      return { id: info.Id, created: Number.isFinite(created) ? created : Date.now() };
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
  }

  private async unlock(id: string): Promise<void> {
    await removeContainer(this.docker, id);
  }

  /**
   * Removes the record images the new one replaced (the previous one and any
   * leftovers of crashed runs), but only images proven to be record images by
   * their content (see isRecordImage): the reserved tag or the marker label
   * alone prove nothing, since anyone can tag or label any image. Each is
   * re-checked right before its delete by ID (untagged, never forced), and the
   * engine's answer is read: a refusal is left for the next run, anything it
   * untagged along is reported.
   */
  private async removeOldRecordImages(previous: string | undefined, written: string | undefined, warnings: string[]): Promise<void> {
    let candidates: string[] = [];
    try {
      const listed = await this.docker.listImages({ filters: JSON.stringify({ label: [`${USAGE_MARKER_LABEL}=v1`] }) });
      candidates = listed.filter((i) => !(i.RepoTags ?? []).some((t) => isRecordReference(t))).map((i) => fullId(i.Id));
    } catch {
      // Listing is only for leftovers; the previous image is still tried below.
    }
    if (previous && fullId(previous) !== written && !candidates.includes(fullId(previous))) candidates.push(fullId(previous));
    for (const id of candidates) {
      if (id === written) continue;
      try {
        const info: any = await this.docker.getImage(id).inspect();
        if (!(await this.isRecordImage(info))) continue;
        // The re-check right before the call: it must carry no reference at all (the current record keeps the tag).
        const now: any = await this.docker.getImage(id).inspect();
        if ((now.RepoTags ?? []).filter((t: string) => !t.endsWith(':<none>')).length > 0 || (now.RepoDigests ?? []).length > 0) continue;
        const answer: { Untagged?: string }[] = await this.docker.getImage(id).remove({ noprune: false });
        const untagged = answer.filter((a) => a.Untagged).map((a) => a.Untagged!);
        if (untagged.length > 0) warnings.push(`INCIDENT: removing the replaced usage record image ${id.slice(0, 19)} also untagged ${untagged.join(', ')}, tagged onto it meanwhile`);
      } catch (error) {
        if (!isGone(error) && statusOf(error) !== 409) warnings.push(`could not remove the replaced usage record image ${id.slice(0, 19)}: ${messageOf(error)}`);
      }
    }
  }

  /**
   * True only for an image whose one layer is exactly a record layer this store
   * writes (its diff ID rebuilt from the record text, read from the label or,
   * for a small image, from the layer itself) and whose labels are the
   * record's own: such an image holds nothing but a usage record.
   */
  private async isRecordImage(info: any): Promise<boolean> {
    const layers: string[] = info.RootFS?.Layers ?? [];
    const labels: Record<string, string> = info.Config?.Labels ?? {};
    if (layers.length !== 1 || labels[USAGE_MARKER_LABEL] !== 'v1') return false;
    if (Object.keys(labels).some((k) => k !== USAGE_MARKER_LABEL && k !== USAGE_LABEL)) return false;
    const matches = async (text: string) => (await recordLayer(text)).diffId === layers[0];
    const label = labels[USAGE_LABEL];
    if (label) {
      try {
        if (await matches(gunzipSync(Buffer.from(label, 'base64')).toString('utf8'))) return true;
      } catch {
        // a damaged label: the layer decides
      }
    }
    if (!(typeof info.Size === 'number' && info.Size <= MAX_RECORD_IMAGE_BYTES)) return false;
    try {
      return await matches(await this.readLayerFile(fullId(info.Id)));
    } catch {
      return false;
    }
  }
}

/** A record image larger than this is not read to prove it is one (a record of 100 000 images is ~20 MB). */
const MAX_RECORD_IMAGE_BYTES = 64 * 1024 * 1024;

function isRecordReference(tag: string): boolean {
  return tag === USAGE_RECORD_REFERENCE || tag === USAGE_RECORD_QUALIFIED || tag === `localhost/${USAGE_RECORD_REFERENCE}`;
}

function fullId(id: string): string {
  return id.startsWith('sha256:') ? id : `sha256:${id}`;
}

function isNameConflict(error: unknown): boolean {
  // Docker: 409 "Conflict. The container name … is already in use"; Podman says "already in use" too.
  return statusOf(error) === 409 || /already in use/i.test(messageOf(error));
}

/** 404, or Podman's 500 for a container removed while we looked at it. */
function isGone(error: unknown): boolean {
  return statusOf(error) === 404 || /no such (container|image)|does not exist in database/i.test(messageOf(error));
}

async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ v: true });
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

function goArch(): string {
  return { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' }[process.arch as string] ?? 'amd64';
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A `docker save` archive of the record image. Deterministic: the same record gives the same image ID. */
export async function recordArchive(
  json: string,
  labels: Record<string, string>,
  updatedAt: number,
  repoTag: string = USAGE_RECORD_QUALIFIED,
): Promise<{ tar: Buffer; imageId: string }> {
  const { layer, diffId: prefixed } = await recordLayer(json);
  const diffId = prefixed.slice('sha256:'.length);
  // Within the range of a Date: a record with updatedAt 1e300 must not fail every save.
  const created = new Date(Number.isFinite(updatedAt) && updatedAt > 0 && updatedAt < 8.64e15 ? updatedAt : 0).toISOString();
  const config = Buffer.from(
    JSON.stringify({
      architecture: goArch(),
      os: 'linux',
      created,
      config: { Cmd: LOCK_CMD, Labels: labels },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
      history: [{ created, created_by: 'docker-image-cleanup usage record' }],
    }),
  );
  const configHex = sha256(config);
  const manifest = Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [repoTag], Layers: [`${diffId}/layer.tar`] }]));
  const archive = await pack([
    { name: `${diffId}/`, dir: true },
    { name: `${diffId}/layer.tar`, content: layer },
    { name: `${configHex}.json`, content: config },
    { name: 'manifest.json', content: manifest },
  ]);
  return { tar: archive, imageId: `sha256:${configHex}` };
}

/** The record's one layer (a tar holding only usage-record.json), and its diff ID. */
async function recordLayer(json: string): Promise<{ layer: Buffer; diffId: string }> {
  const layer = await pack([{ name: USAGE_FILE, content: Buffer.from(json, 'utf8') }]);
  return { layer, diffId: `sha256:${sha256(layer)}` };
}

async function pack(entries: { name: string; content?: Buffer; dir?: boolean }[]): Promise<Buffer> {
  const p = tar.pack();
  const done = readStream(p as unknown as NodeJS.ReadableStream);
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      const common = { name: e.name, mtime: FIXED_MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
      if (e.dir) p.entry({ ...common, type: 'directory', mode: 0o755 }, cb);
      else p.entry({ ...common, type: 'file', mode: 0o644 }, e.content!, cb);
    });
  }
  p.finalize();
  return done;
}

/** Every regular file of a tar, by name (`./` prefixes dropped). */
async function untar(data: Buffer): Promise<Map<string, Buffer>> {
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



function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number })?.statusCode;
}

function messageOf(error: unknown): string {
  const e = error as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? e?.message ?? String(error);
}
