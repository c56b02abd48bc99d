import type { BuildCacheReport } from '../app/build-cache';
import type { ContainerCleanupReport } from '../app/containers';
import type { CleanupReport } from '../app/cleanup';
import { formatBytes } from '../domain/units';
import { SHUTDOWN_NOTE } from './stoppable-engine';
import type { CycleLogLine, CycleSummary } from './loop';

/** The report once containers and the build cache are wired into runCleanup (optional until then). */
export type MaintainedReport = CleanupReport & { containers?: ContainerCleanupReport; buildCache?: BuildCacheReport };

/** At most this many failure notes per log line. */
const MAX_ERRORS = 5;

/** What one cycle's report says, for its log line. */
export function summarize(report: MaintainedReport): CycleSummary {
  const notAttempted = report.results.filter((r) => r.status === 'failed' && r.note === SHUTDOWN_NOTE).length;
  const errors = (report.incidents ?? []).map((i) => `INCIDENT: ${i.text}`);
  errors.push(...report.results.filter((r) => r.status === 'failed' && r.note !== SHUTDOWN_NOTE).map((r) => `${r.imageId.slice(7, 19)}: ${r.note ?? 'failed'}`));
  for (const c of report.containers?.results ?? []) if (c.status === 'failed') errors.push(`container ${c.name}: ${c.note ?? 'failed'}`);
  if (report.buildCache?.status === 'failed') errors.push(report.buildCache.note ?? 'build cache prune failed');
  const summary: CycleSummary = {
    removed: report.counts.removed,
    untagged: report.counts.untagged,
    kept: report.counts.kept,
    skipped: report.counts.skipped,
    failed: report.counts.failed - notAttempted + (report.containers?.counts.failed ?? 0) + (report.counts.incidents ?? 0),
    bytesPredicted: report.bytes.predicted,
    bytesMeasured: report.bytes.measured,
  };
  if (report.containers) summary.containersRemoved = report.containers.counts.removed;
  if (report.buildCache) summary.buildCacheReclaimed = report.buildCache.spaceReclaimed;
  if (errors.length > 0) summary.errors = errors.slice(0, MAX_ERRORS);
  if (notAttempted > 0) summary.interrupted = true;
  return summary;
}

/** A cycle's log line for people (the JSON form is the object itself). */
export function formatCycleLine(line: CycleLogLine & { refused?: string }): string {
  const head = `${line.time} cycle ${line.cycle} ${line.ok ? 'ok' : 'FAILED'} in ${seconds(line.durationMs)}`;
  const next = line.nextInMs === undefined ? '' : `; next in ${seconds(line.nextInMs)}`;
  if (!line.ok) return `${head}: ${line.error ?? 'error'} (failure ${line.failures ?? 1})${next}\n`;
  const parts = [`removed ${line.removed ?? 0}`, `untagged ${line.untagged ?? 0}`, `kept ${line.kept ?? 0}`];
  if (line.skipped) parts.push(`skipped ${line.skipped}`);
  parts.push(`freed ${formatBytes(line.bytesMeasured ?? 0)} (predicted ${formatBytes(line.bytesPredicted ?? 0)})`);
  if (line.containersRemoved !== undefined) parts.push(`containers removed ${line.containersRemoved}`);
  if (line.buildCacheReclaimed !== undefined) parts.push(`build cache freed ${formatBytes(line.buildCacheReclaimed)}`);
  parts.push(`errors ${line.failed ?? 0}`);
  let text = `${head}: ${parts.join(', ')}`;
  if (line.refused) text += `; REFUSED: ${line.refused}`;
  if (line.targetNotMet) text += `; TARGET NOT MET: ${line.targetNotMet}`;
  if (line.interrupted) text += '; interrupted by shutdown';
  if (line.errors?.length) text += ` [${line.errors.join('; ')}]`;
  return `${text}${next}\n`;
}

function seconds(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
