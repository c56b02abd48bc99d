/**
 * What-if on an engine's own history: its usage record replayed under this
 * tool's orders (with the settings given) and the other tools' rules, at one
 * budget. Pure: the record and a snapshot in, the table out; nothing is removed
 * from anything but the replayer's simulated engine.
 */
import { formatBytes, formatDuration } from '../domain/units';
import { LayerIndex } from '../planner/layer-index';
import type { Snapshot } from '../planner/snapshot';
import type { RawSettings } from '../settings/parse';
import type { SpaceRules } from '../settings/settings';
import type { UsageRecord } from '../usage/record';
import { traceFromRecord } from './from-record';
import { allPolicies } from './policies';
import { replay, type Figures } from './replay';
import { figuresTable, verdictLine } from './table';

/** Without max-image-bytes: a budget of this share of what the images use now. */
const DEFAULT_BUDGET_SHARE = 0.75;

export interface WhatIf {
  since: number;
  until: number;
  budgetBytes: number;
  budgetGiven: boolean;
  leftOut: number;
  uses: number;
  /** The pull-bandwidth setting: bytes fetched again cost bytes over this many per second. */
  pullBytesPerSecond: number;
  rows: Figures[];
}

export async function whatIf(record: UsageRecord, snapshot: Snapshot, settings: RawSettings, space: Pick<SpaceRules, 'maxImageBytes' | 'pullBytesPerSecond'>): Promise<WhatIf> {
  const { maxImageBytes, pullBytesPerSecond } = space;
  const budgetBytes = maxImageBytes ?? Math.floor(new LayerIndex(snapshot.images).totalBytes() * DEFAULT_BUDGET_SHARE);
  const { trace, since, until, leftOut } = traceFromRecord(record, snapshot, budgetBytes, pullBytesPerSecond);
  const rows: Figures[] = [];
  for (const policy of allPolicies(settings)) rows.push(await replay(trace, policy));
  return { since, until, budgetBytes, budgetGiven: maxImageBytes !== undefined, leftOut, pullBytesPerSecond, uses: trace.jobs.reduce((n, j) => n + j.uses.length, 0), rows };
}

export function renderWhatIf(w: WhatIf): string {
  const lines = [
    `What-if: the usage record covers ${formatDuration(w.until - w.since)} (${new Date(w.since).toISOString()} to ${new Date(w.until).toISOString()}), ${w.uses} recorded uses.`,
    `Budget ${formatBytes(w.budgetBytes)} of images (${w.budgetGiven ? 'max-image-bytes' : `${DEFAULT_BUDGET_SHARE * 100}% of what they use now; set max-image-bytes for another`}); pulls at ${formatBytes(w.pullBytesPerSecond)}/s (pull-bandwidth).`,
    ...(w.leftOut > 0 ? [`${w.leftOut} images the record names are no longer on the engine: their sizes are unknown, so they are left out.`] : []),
    'Nothing was removed: this replays the record on a simulated engine.',
    '',
    figuresTable(w.rows),
    '',
    verdictLine(w.rows),
  ];
  return lines.join('\n') + '\n';
}
