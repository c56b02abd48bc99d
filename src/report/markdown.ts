import { volumeRows } from './volumes';
import { cacheKept } from './build-cache';
import type { CleanupReport } from '../app/cleanup';
import { formatBytes, formatDuration } from '../domain/units';
import { familiar, shortId } from './reasons';
import { byOutcome, reportRows, type ReportRow } from './rows';
import { diskChart, renderCharts, type ChartStyle } from './chart';

/**
 * The CI summary page (Azure `task.uploadsummary`, GitHub job summary): charts of the disk
 * before and after and of the repositories that freed most, in the style the page renders
 * (none: tables only), then the tables.
 */
export function renderMarkdown(report: CleanupReport, title = 'Docker image cleanup', charts?: ChartStyle): string {
  const { going, staying } = byOutcome(reportRows(report));
  const c = report.counts;
  const b = report.bytes;
  const out: string[] = [`## ${title}${report.dryRun ? ' (dry run)' : ''}`, ''];
  if (report.dryRun) out.push('> **Dry run:** nothing was removed. The tables show what a real run would do.', '');
  if (charts) out.push(...renderCharts(diskChart(report), charts, report.dryRun));
  out.push('| | |', '|---|---|');
  out.push(`| Images seen | ${c.images} |`);
  out.push(`| ${report.dryRun ? 'To remove' : 'Removed'} | ${c.removed} |`);
  out.push(`| ${report.dryRun ? 'To untag' : 'Untagged'} | ${c.untagged} |`);
  out.push(`| Kept | ${c.kept} |`);
  if (c.skipped) out.push(`| Skipped (in use or changed) | ${c.skipped} |`);
  if (c.failed) out.push(`| Failed | ${c.failed} |`);
  out.push(`| Space predicted | ${formatBytes(b.predicted)} |`);
  if (b.measured !== undefined) out.push(`| Space freed (measured) | ${formatBytes(b.measured)} |`);
  out.push(`| Engine | ${escape(`${report.engine.kind} ${report.engine.version}`)} |`, '');
  out.push(`### ${report.dryRun ? 'Would remove' : 'Removed'} (${going.length})`, '');
  out.push(...(going.length ? table(going, (r) => r.removeReasons) : ['Nothing.']), '');
  out.push(`### Kept (${staying.length})`, '');
  out.push(...(staying.length ? table(staying, (r) => r.keepReasons) : ['Nothing.']), '');
  const e = report.plan.eviction;
  if (e) {
    out.push('### Disk pressure', '');
    out.push(
      `${e.rules.join(', ')}: needed ${formatBytes(e.neededBytes)} beyond keep-N; eviction frees ${formatBytes(e.freedBytes)}` +
        (e.reached ? ' (target reached)' : ` (**short by ${formatBytes(e.shortByBytes)}**)`) +
        `; images ${formatBytes(e.imagesBytesBefore)} → ${formatBytes(e.imagesBytesAfter)}.`,
      '',
    );
    if (e.order.length) {
      out.push('| # | Image | Last used | Tier | Frees |', '|---:|---|---|---|---:|');
      e.order.forEach((o, i) =>
        out.push(`| ${i + 1} | ${escape(o.references.map(familiar).join(', ') || shortId(o.imageId))} | ${new Date(o.lastUsed).toISOString()} (${o.lastUsedWhy}) | ${o.tier} | ${formatBytes(o.bytes)} |`),
      );
      out.push('');
    }
  }
  const stopped = report.containers;
  if (stopped && stopped.results.length > 0) {
    out.push(`### Stopped containers (older than ${formatDuration(stopped.olderThanMs)})`, '', '| Container | Image | State | Age | Outcome |', '|---|---|---|---|---|');
    for (const r of stopped.results) out.push(`| ${escape(r.name)} | ${escape(r.image)} | ${r.state} | ${formatDuration(r.ageMs)} | ${r.status}${r.note ? ` (${escape(r.note)})` : ''} |`);
    out.push('');
  }
  const cache = report.buildCache;
  if (cache) out.push('### Build cache', '', `${cache.status}${cache.status === 'pruned' ? `: ${formatBytes(cache.spaceReclaimed)} reclaimed (${cache.cachesDeleted} records)` : ''}${cache.note ? ` (${escape(cache.note)})` : ''}${escape(cacheKept(cache))}`, '');
  const volumes = report.volumes;
  if (volumes) {
    const measured = volumes.bytes.measured !== undefined ? `, ${formatBytes(volumes.bytes.measured)} freed` : '';
    out.push('### Volumes and builder leftovers', '', `${formatBytes(volumes.bytes.predicted)} predicted${measured} (sizes from ${escape(volumes.sizeSource)})`, '');
    const rows = volumeRows(volumes);
    if (rows.length) {
      out.push('| Kind | Name | Outcome | Size | Why |', '|---|---|---|---:|---|');
      for (const r of rows) out.push(`| ${r.kind} | ${escape(r.name)} | ${escape(r.outcome)} | ${r.bytes === undefined ? '?' : formatBytes(r.bytes)} | ${escape(r.why)} |`);
      out.push('');
    }
  }
  if (report.regrets.length) {
    out.push('### Regrets', '', 'Removed images that came back (keep or min-age may be too tight):', '');
    for (const r of report.regrets) out.push(`- ${escape(r.references.map(familiar).join(', ') || shortId(r.imageId))}: back after ${formatDuration(r.returnedAt - r.removedAt)}`);
    out.push('');
  }
  if (report.warnings.length) out.push('### Warnings', '', ...report.warnings.map((w) => `- ${escape(w)}`), '');
  return out.join('\n');
}

function table(rows: ReportRow[], reasons: (r: ReportRow) => string[]): string[] {
  return [
    '| Image | References | Outcome | Size | Unique | Why |',
    '|---|---|---|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| \`${r.id}\` | ${escape(r.references.join(', ') || '<none>')} | ${escape(r.outcome + (r.outcome.includes('untag') ? ` ${r.untag.join(', ')}` : ''))} | ${formatBytes(r.size)} | ${formatBytes(r.uniqueBytes)} | ${escape(reasons(r).join('; ') + (r.note ? ` (${r.note})` : ''))} |`,
    ),
  ];
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
