import type { RemovalResult } from '../app/apply';
import type { CleanupReport } from '../app/cleanup';
import type { ImageDecision } from '../planner/plan';
import { describeAll, familiar, shortId } from './reasons';

/** One image as every report shows it: what happened, to what, and why. */
export interface ReportRow {
  id: string;
  references: string[];
  /** removed / untagged / kept, or what the engine did instead (in-use, changed, gone, failed). */
  outcome: string;
  size: number;
  uniqueBytes: number;
  keepReasons: string[];
  removeReasons: string[];
  untag: string[];
  note?: string;
}

export function reportRows(report: CleanupReport): ReportRow[] {
  const results = new Map<string, RemovalResult>(report.results.map((r) => [r.imageId, r]));
  return report.plan.decisions.map((d) => row(d, results.get(d.imageId), report.dryRun));
}

function row(d: ImageDecision, result: RemovalResult | undefined, dryRun: boolean): ReportRow {
  const reasons = describeAll(d.keepReasons, d.removeReasons);
  return {
    id: shortId(d.imageId),
    references: d.references.map(familiar),
    outcome: outcomeOf(d, result, dryRun),
    size: d.size,
    uniqueBytes: d.uniqueBytes,
    keepReasons: reasons.keep,
    removeReasons: reasons.remove,
    untag: d.untag.map(familiar),
    note: result?.note,
  };
}

function outcomeOf(d: ImageDecision, result: RemovalResult | undefined, dryRun: boolean): string {
  if (d.action === 'keep') return 'kept';
  const planned = d.action === 'remove' ? 'removed' : 'untagged';
  if (dryRun || !result) return dryRun ? `would be ${planned}` : planned;
  switch (result.status) {
    case 'removed':
    case 'untagged':
      return result.status;
    case 'gone':
      return 'already gone';
    case 'in-use':
      return 'skipped (in use)';
    case 'changed':
      return 'skipped (changed)';
    case 'failed':
      return 'failed';
  }
}

/** Order for display: what went first, then what stayed. */
export function byOutcome(rows: ReportRow[]): { going: ReportRow[]; staying: ReportRow[] } {
  const going = rows.filter((r) => r.outcome !== 'kept');
  const staying = rows.filter((r) => r.outcome === 'kept');
  return { going, staying };
}
