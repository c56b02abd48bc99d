import { ENGINE_OWN, type NetworkCleanupReport } from '../app/networks';
import { formatDuration } from '../domain/units';

/** One line per network: what became of it (planned on a dry run) and why; the engine's own are left out. */
export function networkRows(n: NetworkCleanupReport): { name: string; outcome: string; why: string }[] {
  const results = new Map(n.results.map((r) => [r.id, r]));
  const rows = n.decisions
    .filter((d) => d.reason !== ENGINE_OWN)
    .map((d) => {
      const r = results.get(d.id);
      const outcome = d.action === 'keep' ? 'keep' : r ? r.status + (r.note ? ` [${r.note}]` : '') : 'not reached';
      return { name: d.name, outcome, why: d.reason };
    });
  return [...rows.filter((r) => r.outcome !== 'keep'), ...rows.filter((r) => r.outcome === 'keep')];
}

/** "Networks unused for longer than 1d: 2 removed, 1 skipped" (a dry run: to remove). */
export function networkSummary(n: NetworkCleanupReport, dryRun: boolean): string {
  const c = n.counts;
  return `Networks unused for longer than ${formatDuration(n.olderThanMs)}: ${c.removed} ${dryRun ? 'to remove' : 'removed'}` + (c.skipped ? `, ${c.skipped} skipped` : '') + (c.failed ? `, ${c.failed} failed` : '') + `, ${c.kept} kept`;
}
