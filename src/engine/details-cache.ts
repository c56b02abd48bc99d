import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** What one image inspect + history tells that the image list does not. */
export interface ImageDetails {
  layers: string[];
  layerSizes?: number[];
  lastTagged?: number;
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

/**
 * The cache kept in a JSON file between runs, so a run on an unchanged engine
 * inspects no image a previous run inspected. A missing or damaged file is an
 * empty cache; saving keeps only entries this run used (images still present).
 */
export class FileDetailsCache implements ImageDetailsCache {
  private readonly entries: Map<string, ImageDetails>;
  private readonly used = new Map<string, ImageDetails>();

  constructor(readonly file: string) {
    this.entries = new Map(readJson(file));
  }

  get(key: string): ImageDetails | undefined {
    const details = this.entries.get(key);
    if (details) this.used.set(key, details);
    return details;
  }

  set(key: string, details: ImageDetails): void {
    this.entries.set(key, details);
    this.used.set(key, details);
  }

  /** Atomic replace (temp file + rename); a failure only costs the next run some inspects. */
  async save(): Promise<void> {
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify([...this.used]));
      await rename(temp, this.file);
    } catch {
      // best effort: the cache is an optimisation
    }
  }
}

function readJson(file: string): [string, ImageDetails][] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(parsed) ? (parsed.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && e[1] && Array.isArray(e[1].layers)) as [string, ImageDetails][]) : [];
  } catch {
    return [];
  }
}
