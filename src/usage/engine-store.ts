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
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { familiarRepository } from '../domain/reference';
import { messageOf } from '../engine/api-errors';
import { TOOL_STATE_REPOSITORY } from '../planner/planner';
import { singleLayer, singleLayerArchive } from '../engine/image-archive';
import type { StateImage, StateImagesPort } from '../engine/port';
import { clampFuture, fromJson, parseRecord } from './codec';
import { emptyRecord, type UsageRecord } from './record';
import { changeAndWrite, type UsageStore } from './store';

/** The reserved reference of the record image (the planner never removes it). */
export const USAGE_RECORD_REFERENCE = `${familiarRepository(TOOL_STATE_REPOSITORY)}:usage-v1`;
/** The same, fully qualified: both Docker and Podman name it alike this way. */
export const USAGE_RECORD_QUALIFIED = `${TOOL_STATE_REPOSITORY}:usage-v1`;
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
export const USAGE_LOCK_BASE_QUALIFIED = `${TOOL_STATE_REPOSITORY}:usage-lock-v1`;
const LOCK_LABEL = 'org.docker-image-cleanup.usage-lock';
/** The file in the record image's layer. */
export const USAGE_FILE = 'usage-record.json';

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
    private readonly engine: StateImagesPort,
    options: EngineUsageStoreOptions = {},
  ) {
    this.staleLockMs = options.staleLockMs ?? 60_000;
    this.waitMs = options.waitMs ?? 120_000;
    this.maxLabelBytes = options.maxLabelBytes ?? 128 * 1024;
  }

  async read(): Promise<{ record: UsageRecord; warnings: string[] }> {
    const image = await this.inspect();
    if (!image) return { record: emptyRecord(), warnings: [] };
    const label: string | undefined = image.labels[USAGE_LABEL];
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
      text = await this.engine.readImageFile(image.id, USAGE_FILE);
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
      previous = (await this.inspect())?.id;
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

  private inspect(): Promise<StateImage | undefined> {
    return this.engine.inspectStateImage(USAGE_RECORD_QUALIFIED);
  }

  /** Loads a record image holding `record`; returns its ID. */
  private async write(record: UsageRecord): Promise<string> {
    const json = JSON.stringify(record);
    const encoded = gzipSync(Buffer.from(json, 'utf8')).toString('base64');
    const labels: Record<string, string> = { [USAGE_MARKER_LABEL]: 'v1' };
    if (encoded.length <= this.maxLabelBytes) labels[USAGE_LABEL] = encoded;
    const archive = await recordArchive(json, labels, record.updatedAt);
    await this.engine.loadImageArchive(archive.tar);
    return archive.imageId;
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
      const created = await this.engine.createLockContainer({ name: USAGE_LOCK_NAME, image: USAGE_LOCK_BASE_QUALIFIED, cmd: LOCK_CMD, labels: { [LOCK_LABEL]: token } });
      if (created.status === 'created') return created.id;
      if (created.status === 'no-image') {
        // The lock's own image is not there yet: load it (racing loads agree) and try again.
        await this.loadLockBase();
        continue;
      }
      const holder = await this.engine.lockContainer(USAGE_LOCK_NAME);
      if (holder) {
        if (!seen || seen.id !== holder.id) seen = { id: holder.id, since: Date.now() };
        const age = Math.max(Date.now() - holder.created, Date.now() - seen.since);
        if (age > this.staleLockMs) {
          await this.engine.removeLockContainer(holder.id);
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
    await this.engine.loadImageArchive(archive.tar, { existingIsFine: true });
  }

  private async unlock(id: string): Promise<void> {
    await this.engine.removeLockContainer(id);
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
      const listed = await this.engine.listLabelledImages(USAGE_MARKER_LABEL, 'v1');
      candidates = listed.filter((i) => !i.tags.some((t) => isRecordReference(t))).map((i) => i.id);
    } catch {
      // Listing is only for leftovers; the previous image is still tried below.
    }
    if (previous && previous !== written && !candidates.includes(previous)) candidates.push(previous);
    for (const id of candidates) {
      if (id === written) continue;
      try {
        const info = await this.engine.inspectStateImage(id);
        if (!info || !(await this.isRecordImage(info))) continue;
        // The re-check right before the call: it must carry no reference at all (the current record keeps the tag).
        const now = await this.engine.inspectStateImage(id);
        if (!now || now.tags.length > 0 || now.digests.length > 0) continue;
        const answer = await this.engine.removeStateImage(id);
        if (answer.status === 'done' && answer.untagged.length > 0) {
          warnings.push(`INCIDENT: removing the replaced usage record image ${id.slice(0, 19)} also untagged ${answer.untagged.join(', ')}, tagged onto it meanwhile`);
        }
      } catch (error) {
        warnings.push(`could not remove the replaced usage record image ${id.slice(0, 19)}: ${messageOf(error)}`);
      }
    }
  }

  /**
   * True only for an image whose one layer is exactly a record layer this store
   * writes (its diff ID rebuilt from the record text, read from the label or,
   * for a small image, from the layer itself) and whose labels are the
   * record's own: such an image holds nothing but a usage record.
   */
  private async isRecordImage(info: StateImage): Promise<boolean> {
    const { layers, labels } = info;
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
    if (!(info.size !== undefined && info.size <= MAX_RECORD_IMAGE_BYTES)) return false;
    try {
      return await matches(await this.engine.readImageFile(info.id, USAGE_FILE));
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

/** A `docker save` archive of the record image. Deterministic: the same record gives the same image ID. */
export function recordArchive(json: string, labels: Record<string, string>, updatedAt: number, repoTag: string = USAGE_RECORD_QUALIFIED): Promise<{ tar: Buffer; imageId: string }> {
  return singleLayerArchive({ files: recordFiles(json), labels, cmd: LOCK_CMD, repoTag, created: updatedAt, createdBy: 'docker-image-cleanup usage record' });
}

/** The record's one layer (a tar holding only usage-record.json), and its diff ID. */
function recordLayer(json: string): Promise<{ layer: Buffer; diffId: string }> {
  return singleLayer(recordFiles(json));
}

function recordFiles(json: string): { name: string; content: Buffer }[] {
  return [{ name: USAGE_FILE, content: Buffer.from(json, 'utf8') }];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
