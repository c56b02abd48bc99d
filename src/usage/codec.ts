/** The record as stored JSON: read back without ever throwing, damaged parts reported and left out. */
import { ARRIVALS, emptyRecord, USES_KEPT, WHYS, type Arrival, type UsageEntry, type UsageRecord, type UsageWhy } from './record';

/**
 * A record from stored JSON text. Never throws: damaged text gives an empty
 * record, damaged entries are left out; both are reported in `warnings`.
 */
export function parseRecord(text: string, source: string, now?: number): { record: UsageRecord; warnings: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { record: emptyRecord(), warnings: [`usage record ${source} is damaged (${(error as Error).message}); starting a new one`] };
  }
  const result = fromJson(raw, source);
  return now === undefined ? result : clampFuture(result, source, now);
}

/**
 * Times later than `now` (plus a day: clock skew, and tests that run a clock ahead) are clamped to `now`:
 * a future `lastRunAt` made every image "younger than min-age", an `updatedAt`
 * of 1e300 failed every save. Clamping only makes images look more recently
 * used, so it never widens what is removed.
 */
export function clampFuture(result: { record: UsageRecord; warnings: string[] }, source: string, now: number): { record: UsageRecord; warnings: string[] } {
  const limit = now + 86_400_000;
  let clamped = 0;
  const clamp = (t: number) => (t > limit ? (clamped++, now) : t);
  const r = result.record;
  r.updatedAt = clamp(r.updatedAt);
  if (r.lastRunAt !== undefined) r.lastRunAt = clamp(r.lastRunAt);
  for (const e of Object.values(r.images)) {
    e.firstSeen = clamp(e.firstSeen);
    e.lastUsed = clamp(e.lastUsed);
    if (e.uses) e.uses = e.uses.map(clamp).sort((x, y) => x - y);
  }
  for (const e of Object.values(r.removed)) {
    e.removedAt = clamp(e.removedAt);
    if (e.uses) e.uses = e.uses.map(clamp).sort((x, y) => x - y);
  }
  if (clamped > 0) result.warnings.push(`usage record ${source}: ${clamped} times in the future set to now`);
  return result;
}

export function fromJson(raw: unknown, source: string): { record: UsageRecord; warnings: string[] } {
  const fail = (what: string) => ({ record: emptyRecord(), warnings: [`usage record ${source} is damaged (${what}); starting a new one`] });
  if (!isObject(raw)) return fail('not an object');
  if (raw.version !== 1) return fail(`unknown version ${JSON.stringify(raw.version)}`);
  if (!isObject(raw.images) || !isObject(raw.removed)) return fail('images or removed missing');
  const record = emptyRecord();
  record.updatedAt = finite(raw.updatedAt) ? raw.updatedAt : 0;
  if (finite(raw.lastRunAt)) record.lastRunAt = raw.lastRunAt;
  let bad = 0;
  for (const [id, e] of Object.entries(raw.images)) {
    if (isObject(e) && finite(e.firstSeen) && finite(e.lastUsed) && typeof e.why === 'string' && WHYS.has(e.why) && strings(e.references) && typeof e.layersKey === 'string') {
      const entry: UsageEntry = { firstSeen: e.firstSeen, lastUsed: e.lastUsed, why: e.why as UsageWhy, references: e.references, layersKey: e.layersKey };
      // Fields added later are optional: records written before them read as before, a damaged one is dropped alone.
      Object.assign(entry, usesOf(e.uses), buildMsOf(e.buildMs));
      if (typeof e.arrived === 'string' && ARRIVALS.has(e.arrived)) entry.arrived = e.arrived as Arrival;
      record.images[id] = entry;
    } else bad++;
  }
  for (const [id, e] of Object.entries(raw.removed)) {
    if (isObject(e) && finite(e.removedAt) && strings(e.references) && typeof e.layersKey === 'string' && (e.incident === undefined || typeof e.incident === 'string')) {
      record.removed[id] = { removedAt: e.removedAt, references: e.references, layersKey: e.layersKey, ...(e.incident ? { incident: e.incident as string } : {}), ...usesOf(e.uses), ...buildMsOf(e.buildMs) };
    } else bad++;
  }
  const warnings = bad > 0 ? [`usage record ${source}: ${bad} damaged entries left out`] : [];
  return { record, warnings };
}

/** A stored use list, sorted and capped; nothing when absent or damaged (an older record, or a bad one). */
function usesOf(v: unknown): { uses?: number[] } {
  return Array.isArray(v) && v.length > 0 && v.every(finite) ? { uses: (v as number[]).slice().sort((x, y) => x - y).slice(-USES_KEPT) } : {};
}

function buildMsOf(v: unknown): { buildMs?: number } {
  return finite(v) && v >= 0 ? { buildMs: v } : {};
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}
