import { rebase } from './merge';
import type { UsageRecord } from './record';

/** Where the usage record lives between runs. */
export interface UsageStore {
  /** For reports: `file /home/agent/.local/state/…/usage.json`, `engine image docker-image-cleanup-state:usage-v1`. */
  readonly description: string;
  /** The stored record; a missing one is empty, a damaged one is reported in warnings and empty. Never throws for damage. */
  read(): Promise<{ record: UsageRecord; warnings: string[] }>;
  /**
   * Locked read -> change -> merge with what is stored -> write. A damaged
   * record is reported in warnings and `change` starts from an empty one.
   * Returns what was written.
   */
  update(change: (current: UsageRecord) => UsageRecord): Promise<{ record: UsageRecord; warnings: string[] }>;
}

/**
 * The part of `update` both stores share, once the lock is held: read, change,
 * re-read right before writing and fold in whatever another writer stored
 * meanwhile (only possible when a stale lock was broken), write.
 */
export async function changeAndWrite(
  read: () => Promise<{ record: UsageRecord; warnings: string[] }>,
  write: (record: UsageRecord) => Promise<void>,
  change: (current: UsageRecord) => UsageRecord,
): Promise<{ record: UsageRecord; warnings: string[] }> {
  const before = await read();
  const changed = change(before.record);
  const now = await read();
  const warnings = [...before.warnings];
  for (const w of now.warnings) if (!warnings.includes(w)) warnings.push(w);
  const record = rebase(before.record, changed, now.record);
  await write(record);
  return { record, warnings };
}
