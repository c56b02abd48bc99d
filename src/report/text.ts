import type { CleanupReport } from '../app/cleanup';
import { formatBytes, formatDuration } from '../domain/units';
import { familiar, shortId } from './reasons';
import { byOutcome, reportRows, type ReportRow } from './rows';
import { volumeRows } from './volumes';

/** The human report: removed and kept images with reasons and sizes, then totals. */
export function renderText(report: CleanupReport): string {
  const { going, staying } = byOutcome(reportRows(report));
  const lines: string[] = [];
  if (report.dryRun) lines.push('DRY RUN: nothing was removed; this is what a real run would do.', '');
  lines.push(`Engine: ${report.engine.kind} ${report.engine.version} (API ${report.engine.apiVersion}), ${report.counts.images} images`);
  lines.push('');
  lines.push(going.length > 0 ? (report.dryRun ? 'To remove or untag:' : 'Removed or untagged:') : 'Nothing to remove.');
  if (going.length > 0) lines.push(...table(going, (r) => [...r.removeReasons, ...(r.outcome.includes('untag') ? r.keepReasons.map((k) => `keeps image: ${k}`) : [])]));
  lines.push('');
  lines.push('Kept:');
  lines.push(...table(staying, (r) => r.keepReasons));
  lines.push('');
  lines.push(...totals(report));
  lines.push(...pressureLines(report));
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

function table(rows: ReportRow[], reasons: (r: ReportRow) => string[]): string[] {
  const cells = rows.map((r) => [
    r.id,
    r.references.length > 0 ? r.references.join(', ') : '<none>',
    r.outcome + (r.untag.length > 0 && r.outcome.includes('untag') ? ` ${r.untag.join(', ')}` : ''),
    formatBytes(r.size),
    formatBytes(r.uniqueBytes),
    reasons(r).join('; ') + (r.note ? ` [${r.note}]` : ''),
  ]);
  const header = ['IMAGE ID', 'REFERENCES', 'OUTCOME', 'SIZE', 'UNIQUE', 'WHY'];
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...cells.map((c) => c[i].length))));
  const fmt = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(header), ...cells.map(fmt)].map((l) => '  ' + l);
}

/** The disk-pressure outcome and the regrets, when there are any. */
export function pressureLines(report: CleanupReport): string[] {
  const lines: string[] = [];
  const e = report.plan.eviction;
  if (e) {
    lines.push(
      `Disk pressure (${e.rules.join(', ')}): needed ${formatBytes(e.neededBytes)} beyond keep-N, eviction frees ${formatBytes(e.freedBytes)}` +
        (e.reached ? '' : `, short by ${formatBytes(e.shortByBytes)}`) +
        `; images ${formatBytes(e.imagesBytesBefore)} -> ${formatBytes(e.imagesBytesAfter)}`,
    );
    if (e.rules.includes('max-docker-bytes')) lines.push(`  images + build cache + volumes: ${formatBytes(e.dockerBytesBefore)} -> ${formatBytes(e.dockerBytesAfter)}`);
    e.order.forEach((o, i) =>
      lines.push(
        `  ${i + 1}. ${o.kind === 'build-cache' ? `build cache ${o.imageId.slice(0, 12)} ${o.references[0] ?? ''}` : o.references.map(familiar).join(', ') || shortId(o.imageId)}  last used ${new Date(o.lastUsed).toISOString()} (${o.lastUsedWhy}), ${o.tier}, frees ${formatBytes(o.bytes)}`,
      ),
    );
  }
  const c = report.containers;
  if (c && c.results.length > 0) {
    lines.push(`Stopped containers older than ${formatDuration(c.olderThanMs)}:`);
    for (const r of c.results) lines.push(`  ${r.name} (${r.state}, ${r.image}, ${formatDuration(r.ageMs)} old): ${r.status}${r.note ? ` [${r.note}]` : ''}`);
  }
  const b = report.buildCache;
  if (b) lines.push(`Build cache: ${b.status}${b.status === 'pruned' ? `, ${formatBytes(b.spaceReclaimed)} reclaimed (${b.cachesDeleted} records)` : ''}${b.note ? ` (${b.note})` : ''}`);
  const ce = report.cacheEviction;
  if (ce) {
    const done = ce.results.filter((r) => r.status !== 'planned');
    lines.push(`Build cache records evicted: ${ce.results.length} (${formatBytes(ce.predicted)} predicted` + (done.length ? `, ${formatBytes(ce.reclaimed)} reclaimed by the engine` : '') + (ce.before !== undefined && ce.after !== undefined ? `; cache ${formatBytes(ce.before)} -> ${formatBytes(ce.after)}` : '') + ')');
    for (const r of ce.results.filter((x) => x.status === 'skipped' || x.status === 'failed')) lines.push(`  ${r.id.slice(0, 12)} ${r.description}: ${r.status}${r.note ? ` [${r.note}]` : ''}`);
  }
  if (report.byKind && report.byKind.length > 1) {
    lines.push('By kind: ' + report.byKind.map((k) => `${k.kind} ${formatBytes(k.predicted)} predicted${k.measured !== undefined ? `, ${formatBytes(k.measured)} freed` : ''}`).join('; '));
  }
  const v = report.volumes;
  if (v) {
    const rows = volumeRows(v);
    const measured = v.bytes.measured !== undefined ? `, ${formatBytes(v.bytes.measured)} freed (${formatBytes(v.bytes.before ?? 0)} -> ${formatBytes(v.bytes.after ?? 0)})` : '';
    lines.push(`Volumes and builder leftovers: ${formatBytes(v.bytes.predicted)} predicted${measured}; sizes from ${v.sizeSource}`);
    for (const r of rows) lines.push(`  ${r.kind} ${r.name}: ${r.outcome}, ${r.bytes === undefined ? 'size unknown' : formatBytes(r.bytes)} (${r.why})`);
  }
  for (const r of report.regrets) {
    lines.push(`Regret: ${r.references.map(familiar).join(', ') || shortId(r.imageId)} came back ${formatDuration(r.returnedAt - r.removedAt)} after it was removed (keep or min-age may be too tight)`);
  }
  return lines;
}

export function totals(report: CleanupReport): string[] {
  const c = report.counts;
  const b = report.bytes;
  const lines = [
    `Images: ${c.images} seen, ${c.removed} ${report.dryRun ? 'to remove' : 'removed'}, ${c.untagged} ${report.dryRun ? 'to untag' : 'untagged'}, ${c.kept} kept` +
      (c.skipped ? `, ${c.skipped} skipped` : '') +
      (c.failed ? `, ${c.failed} failed` : ''),
    `Space: ${formatBytes(b.predicted)} predicted` +
      (b.measured !== undefined ? `, ${formatBytes(b.measured)} freed (engine image disk use ${formatBytes(b.before ?? 0)} -> ${formatBytes(b.after ?? 0)})` : ''),
  ];
  return lines;
}
