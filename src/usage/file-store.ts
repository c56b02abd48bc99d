import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { parseRecord } from './codec';
import { emptyRecord, type UsageRecord } from './record';
import { changeAndWrite, type UsageStore } from './store';

export interface FileUsageStoreOptions {
  /** A lock older than this is broken (ms). */
  staleMs?: number;
  /** How long `update` waits for another run's lock before giving up (ms). */
  waitMs?: number;
}

/**
 * The usage record as a JSON file: atomic replacement (temp file in the same
 * directory, fsync, rename) and a `proper-lockfile` lock (`<path>.lock`)
 * around every update, so concurrent runs on one agent serialize.
 */
export class FileUsageStore implements UsageStore {
  readonly description: string;
  private readonly staleMs: number;
  private readonly waitMs: number;

  constructor(
    readonly path: string,
    options: FileUsageStoreOptions = {},
  ) {
    this.description = `file ${path}`;
    this.staleMs = options.staleMs ?? 30_000;
    this.waitMs = options.waitMs ?? 120_000;
  }

  async read(): Promise<{ record: UsageRecord; warnings: string[] }> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { record: emptyRecord(), warnings: [] };
      return { record: emptyRecord(), warnings: [`usage record ${this.path} is unreadable (${(error as Error).message}); starting a new one`] };
    }
    return parseRecord(text, this.path, Date.now());
  }

  async update(change: (current: UsageRecord) => UsageRecord): Promise<{ record: UsageRecord; warnings: string[] }> {
    await fs.promises.mkdir(path.dirname(this.path), { recursive: true });
    let compromised: Error | undefined;
    const release = await this.lock((error) => {
      compromised = error;
    });
    try {
      const result = await changeAndWrite(() => this.read(), (record) => this.write(record), change);
      if (compromised) {
        result.warnings.push(`the lock on ${this.path} was taken over during the update (${compromised.message}); concurrent changes were merged`);
      }
      return result;
    } finally {
      await release().catch(() => undefined);
    }
  }

  private async lock(onCompromised: (error: Error) => void): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      try {
        return await lockfile.lock(this.path, {
          realpath: false,
          stale: this.staleMs,
          update: Math.min(10_000, Math.floor(this.staleMs / 2)),
          // short inner retries; the loop around them enforces waitMs
          retries: { retries: 5, factor: 1.5, minTimeout: 10, maxTimeout: Math.max(20, Math.min(500, this.waitMs / 4)), randomize: true },
          onCompromised,
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline) {
          throw new Error(`cannot lock the usage record ${this.path}: ${(error as Error).message}`);
        }
      }
    }
  }

  /** Temp file in the same directory, fsync, rename over the record, fsync the directory. */
  private async write(record: UsageRecord): Promise<void> {
    const dir = path.dirname(this.path);
    const temp = path.join(dir, `.${path.basename(this.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.promises.open(temp, 'w', 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(record)}\n`, 'utf8');
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.promises.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await fs.promises.rename(temp, this.path);
    } catch (error) {
      await fs.promises.rm(temp, { force: true });
      throw error;
    }
    try {
      const d = await fs.promises.open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } catch {
      // Not every platform can fsync a directory; the rename is still atomic.
    }
  }
}
