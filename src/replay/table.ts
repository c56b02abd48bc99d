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
