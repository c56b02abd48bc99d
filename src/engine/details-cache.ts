import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** What one image inspect + history tells that the image list does not. */
export interface ImageDetails {
  layers: string[];
  layerSizes?: number[];
  lastTagged?: number;
  /** Containerd image store: the inspect Size, the image's blobs in the content store. */
  contentBytes?: number;
}

/**
 * Image IDs are content addresses: layers never change for an ID. The last-tag
 * time does, so the key includes the tag set and a retag asks again.
 */
export interface ImageDetailsCache {
  get(key: string): ImageDetails | undefined;
  set(key: string, details: ImageDetails): void;
  /** Persist after a snapshot, for caches that outlive the process. */
  save?(): Promise<void>;
  /** What was wrong with the stored cache (damaged file, entries left out); taken once. */
  takeWarnings?(): string[];
}

export function detailsKey(id: string, tags: readonly string[]): string {
  return `${id} ${[...tags].sort().join(',')}`;
}

export class MemoryDetailsCache implements ImageDetailsCache {
  private readonly entries = new Map<string, ImageDetails>();
  get(key: string): ImageDetails | undefined {
    return this.entries.get(key);
  }
  set(key: string, details: ImageDetails): void {
    this.entries.set(key, details);
  }
}

/** Format of the cache file; a file of another version is an empty cache. */
const FILE_VERSION = 2; // 2: contentBytes (containerd image store)

/**
 * The cache kept in a JSON file between runs, so a run on an unchanged engine
 * inspects no image a previous run inspected.
 *
 * - The file is read once, in the constructor; a missing, unreadable or damaged
 *   file (or one of another format version) is an empty cache, never an error.
 * - `save()` (DockerodeEngine calls it at the end of every snapshot) writes the
 *   entries looked up or added since the previous save, i.e. the images the
 *   engine listed: entries of images no longer present are dropped, so the file
 *   stays the size of the engine's image list, also in a long-running watch loop.
 *   When that is exactly what the file holds (an unchanged engine), nothing is written.
 * - Writing is atomic (temp file + rename): a crash or a concurrent run leaves
 *   the old file or the new one, never half of one.
 *
 * One file per engine: the last-tag times in it are the engine's own, and two
 * engines saving into one file would drop each other's entries.
 */
export class FileDetailsCache implements ImageDetailsCache {
  private entries: Map<string, ImageDetails>;
  private used = new Map<string, ImageDetails>();
  /** Something was learnt since the file was read or written. */
  private added = false;

  private warnings: string[] = [];

  constructor(readonly file: string) {
    const read = readEntries(file);
    this.entries = new Map(read.entries);
    if (read.problem) this.warnings.push(`details cache ${file} ${read.problem}; ignored, images are inspected afresh`);
    else if (read.dropped > 0) this.warnings.push(`details cache ${file}: ${read.dropped} damaged entries left out`);
  }

  takeWarnings(): string[] {
    const w = this.warnings;
    this.warnings = [];
    return w;
  }

  get(key: string): ImageDetails | undefined {
    const details = this.entries.get(key);
    if (details) this.used.set(key, details);
    return details;
  }

  set(key: string, details: ImageDetails): void {
    this.entries.set(key, details);
    this.used.set(key, details);
    this.added = true;
  }

  /** Number of entries held now (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  /** Writes what this snapshot used; a failure only costs the next run some inspects. */
  async save(): Promise<void> {
    const kept = this.used;
    // Every entry used and none added: the file already says exactly this.
    const unchanged = !this.added && kept.size === this.entries.size;
    this.entries = kept;
    this.used = new Map();
    this.added = false;
    if (unchanged) return;
    const temp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFile(temp, JSON.stringify({ version: FILE_VERSION, entries: [...kept] }));
      await rename(temp, this.file);
    } catch {
      await rm(temp, { force: true }).catch(() => {});
    }
  }
}

/** The cache file for one engine inside a state directory: `image-details-<hash of the host>.json`. */
export function detailsCacheFile(stateDir: string, host: string): string {
  return path.join(stateDir, `image-details-${createHash('sha256').update(host).digest('hex').slice(0, 12)}.json`);
}

/** A missing file is an empty cache; a damaged one is too, and says so. */
function readEntries(file: string): { entries: [string, ImageDetails][]; dropped: number; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { entries: [], dropped: 0 };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { entries: [], dropped: 0, problem: 'is not JSON' };
  }
  const body = parsed as { version?: unknown; entries?: unknown };
  if (!body || typeof body !== 'object' || !Array.isArray(body.entries)) return { entries: [], dropped: 0, problem: 'has the wrong shape' };
  if (body.version !== FILE_VERSION) return { entries: [], dropped: 0, problem: `has version ${JSON.stringify(body.version)}, not ${FILE_VERSION}` };
  const entries = body.entries.filter(isEntry);
  return { entries, dropped: body.entries.length - entries.length };
}


function isEntry(e: unknown): e is [string, ImageDetails] {
  if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string') return false;
  const d = e[1] as Partial<ImageDetails> | null;
  return (
    !!d &&
    typeof d === 'object' &&
    Array.isArray(d.layers) &&
    d.layers.every((l) => typeof l === 'string' && l.length > 0) &&
    (d.layerSizes === undefined ||
      (Array.isArray(d.layerSizes) && d.layerSizes.length === d.layers.length && d.layerSizes.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0))) &&
    (d.lastTagged === undefined || (typeof d.lastTagged === 'number' && Number.isFinite(d.lastTagged) && d.lastTagged >= 0))
  );
}
