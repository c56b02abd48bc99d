/**
 * `docker-image-cleanup what-if [settings]`: the engine's usage record
 * replayed under this tool's orders (with the settings given: keep,
 * max-image-bytes, ...) and the other tools' rules. Read-only: it reads the
 * record and one snapshot, and removes nothing.
 */
import { defaultStateDir } from '../app/session';
import { openSession } from '../compose';
import type { EnginePort } from '../engine/port';
import { renderWhatIf, whatIf } from '../replay/what-if';
import type { RawSettings } from '../settings/parse';
import type { Settings } from '../settings/settings';
import type { UsageStore } from '../usage/store';
import { EXIT } from '../app/outcome';
import { UsageError } from './args';
import type { CliIo } from './io';

/** Settings that say where the record and engine are, not how the replayed cleanups run. */
const NOT_REPLAYED = ['host', 'usage-store', 'usage-file', 'dry-run', 'max-removals'];

export async function runWhatIf(raw: RawSettings, settings: Settings, io: CliIo, session?: { engine: EnginePort; usage?: UsageStore }): Promise<number> {
  const { engine, usage } = session ?? openSession(settings, defaultStateDir());
  if (!usage) throw new UsageError('what-if replays the usage record, and usage-store none keeps none: give --usage-store file or engine');
  const { record, warnings } = await usage.read();
  for (const w of warnings) io.stderr(`docker-image-cleanup: usage record (${usage.description}): ${w}\n`);
  if (Object.keys(record.images).length === 0) throw new UsageError(`the usage record (${usage.description}) is empty: run a cleanup (or watch) for a while first, then ask what-if`);
  const snapshot = await engine.snapshot({ activitySince: record.updatedAt });
  const replayed: RawSettings = {};
  for (const [name, value] of Object.entries(raw)) if (!NOT_REPLAYED.includes(name)) replayed[name] = value;
  io.stdout(renderWhatIf(await whatIf(record, snapshot, replayed, settings.space)));
  return EXIT.ok;
}
