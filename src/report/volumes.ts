import type { VolumeCleanupReport } from '../app/volumes';

/** One line of the volumes table: a volume or a buildx builder node, with what happened and why. */
export interface VolumeRow {
  kind: 'anonymous' | 'named' | 'builder-state' | 'builder-container';
  name: string;
  /** keep, or the removal's status (planned on a dry run). */
  outcome: string;
  bytes?: number;
  why: string;
}

/** Removals first, then what stays; rules that are off contribute no rows. */
export function volumeRows(report: VolumeCleanupReport): VolumeRow[] {
  const results = new Map(report.results.map((r) => [`${r.kind === 'volume' ? 'v' : 'c'}:${r.name}`, r]));
  const outcome = (key: string, action: 'keep' | 'remove') => {
    if (action === 'keep') return 'keep';
    const r = results.get(key);
    return r ? r.status + (r.note ? ` [${r.note}]` : '') : 'not reached';
  };
  const rows: VolumeRow[] = [
    ...report.plan.builders.map((b) => ({ kind: 'builder-container' as const, name: b.name, outcome: outcome(`c:${b.name}`, b.action), bytes: b.bytes, why: b.reason, off: b.reason.includes('not set') })),
    ...report.plan.volumes.map((v) => ({ kind: v.kind, name: v.name, outcome: outcome(`v:${v.name}`, v.action), bytes: v.bytes, why: v.reason, off: v.reason.includes('not set)') })),
  ]
    .filter((r) => !r.off)
    .map(({ off: _off, ...r }) => r);
  return [...rows.filter((r) => r.outcome !== 'keep'), ...rows.filter((r) => r.outcome === 'keep')];
}
