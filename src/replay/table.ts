/** The policy x trace figures as Markdown tables: one per trace, one row per policy. */
import { formatBytes, formatDuration } from '../domain/units';
import type { Figures } from './replay';
import type { Trace } from './trace';

export function traceHeading(trace: Trace): string {
  const first = trace.jobs[0]?.at ?? 0;
  const last = trace.jobs.length ? trace.jobs[trace.jobs.length - 1]!.at : first;
  return (
    `### ${trace.name}\n\n${trace.description}\n\n` +
    `Source: ${trace.source}. ${trace.jobs.length} jobs over ${formatDuration(last - first)}; ` +
    `budget ${formatBytes(trace.budgetBytes)} of images; pulls at ${formatBytes(trace.bandwidthBytesPerSecond)}/s.`
  );
}

export function figuresTable(rows: readonly Figures[]): string {
  const lines = [
    '| policy | fetched again | seconds lost | over budget after a cleanup | removals | freed |',
    '|---|--:|--:|--:|--:|--:|',
    ...rows.map((f) => `| ${f.policy} | ${formatBytes(f.bytesFetchedAgain)} | ${f.secondsLost} | ${f.overBudget} of ${f.cleanups} | ${f.removals} | ${formatBytes(f.bytesFreed)} |`),
  ];
  return lines.join('\n');
}

/** Within this share of the best seconds lost, the default counts as tied with the best. */
export const TIED_SHARE = 0.01;
/** The row of this tool's default settings (eviction-order cost). */
export const DEFAULT_ROW = 'this tool, cost';

/** Whether the default is the best or tied (within TIED_SHARE) on seconds lost, and by how much. */
export function defaultVerdict(rows: readonly Figures[]): { best: Figures; byDefault: Figures; bestOrTied: boolean } {
  const byDefault = rows.find((f) => f.policy === DEFAULT_ROW)!;
  const best = rows.reduce((a, b) => (b.secondsLost < a.secondsLost ? b : a));
  return { best, byDefault, bestOrTied: byDefault.secondsLost <= best.secondsLost * (1 + TIED_SHARE) };
}

export function verdictLine(rows: readonly Figures[]): string {
  const { best, byDefault, bestOrTied } = defaultVerdict(rows);
  const others = rows.filter((f) => f.policy !== DEFAULT_ROW && !f.policy.startsWith('this tool'));
  const bestOther = others.reduce((a, b) => (b.secondsLost < a.secondsLost ? b : a));
  return (
    `Default (${DEFAULT_ROW}): ${byDefault.secondsLost} s lost; best other tool: ${bestOther.secondsLost} s (${bestOther.policy}); ` +
    `best row: ${best.secondsLost} s (${best.policy}). Best or tied (within ${TIED_SHARE * 100}%): ${bestOrTied ? 'yes' : 'NO'}.`
  );
}
