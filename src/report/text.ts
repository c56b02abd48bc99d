import type { CleanupReport } from '../app/cleanup';
import { formatBytes, formatDuration } from '../domain/units';
import { familiar, shortId } from './reasons';
import { byOutcome, reportRows, type ReportRow } from './rows';
import { volumeRows } from './volumes';
import { cacheKept } from './build-cache';
import { networkRows, networkSummary } from './networks';
import { layoutColumns, renderRows, wrapItems, type Column } from './columns';

export interface TextOptions {
  /** Columns to fit the table into: the terminal's width, else what CI logs show comfortably. */
  width?: number;
  /** Rows shown per table; the rest are counted (a refused plan shows its first lines). */
  maxRows?: number;
  /** Lines instead of the dry-run notice (a refused plan says so). */
  heading?: string[];
}

/** Without a terminal (CI logs): a width their viewers show without wrapping. */
export const LOG_WIDTH = 120;

/** A list cell shows at most this many lines; the rest are counted (`--json` lists them all). */
const MAX_CELL_LINES = 4;

const COLUMNS: Column[] = [
  { header: 'IMAGE ID', separator: ', ' },
  { header: 'REFERENCES', separator: ', ', flexible: true, maxLines: MAX_CELL_LINES },
  { header: 'OUTCOME', separator: ' ' },
  { header: 'SIZE', separator: ' ', alignRight: true },
  { header: 'UNIQUE', separator: ' ', alignRight: true },
  { header: 'WHY', separator: '; ', flexible: true },
];

/** The human report: removed and kept images with reasons and sizes, then totals. */
export function renderText(report: CleanupReport, options: TextOptions = {}): string {
  const { going, staying } = byOutcome(reportRows(report));
  const maxRows = options.maxRows ?? Infinity;
  const goingCells = going.slice(0, maxRows).map((r) => cellsOf(r, goingReasons(r)));
  const stayingCells = staying.slice(0, maxRows).map((r) => cellsOf(r, r.keepReasons));
  const width = options.width ?? LOG_WIDTH;
  // One layout for both tables, so their columns line up; a narrow screen gets one image per block instead.
  const widths = layoutColumns(COLUMNS, [...goingCells, ...stayingCells], width - INDENT.length);
  const table = (cells: string[][][], total: number) => [
    ...(width < MIN_TABLE_WIDTH ? stackedRows(cells, width) : renderRows(COLUMNS, widths, cells).map((l) => INDENT + l)),
    ...(total > cells.length ? [`${INDENT}… and ${total - cells.length} more (--dry-run --json lists every image)`] : []),
  ];
  const lines: string[] = [];
  if (options.heading) lines.push(...options.heading, '');
  else if (report.dryRun) lines.push('DRY RUN: nothing was removed; this is what a real run would do.', '');
  // A current build that matches nothing on a real run is the classic typo that removes the build in progress.
  for (const u of report.plan.unmatched) {
    if (u.setting === 'current' && !report.dryRun) lines.push(`WARNING: current "${u.pattern}" matches no image: no image was kept as the current build (see the warnings below)`, '');
  }
  lines.push(`Engine: ${report.engine.kind} ${report.engine.version} (API ${report.engine.apiVersion}), ${report.counts.images} images`);
  lines.push('');
  if (going.length > 0) lines.push(report.dryRun ? 'To remove or untag:' : 'Removed or untagged:', ...table(goingCells, going.length));
  else lines.push('Nothing to remove.');
  lines.push('');
  if (staying.length > 0) lines.push('Kept:', ...table(stayingCells, staying.length));
  else lines.push('Kept: nothing.');
  lines.push('');
  lines.push(...totals(report));
  lines.push(...pressureLines(report));
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

const INDENT = '  ';
/** Below this the six columns leave references and reasons too little room: one block per image instead. */
export const MIN_TABLE_WIDTH = 110;

/** `ID  OUTCOME  SIZE, unique N`, then the references and the reasons on their own wrapped lines. */
function stackedRows(cells: string[][][], width: number): string[] {
  const inner = Math.max(20, width - 2 * INDENT.length);
  return cells.flatMap(([id, refs, outcome, size, unique, why]) => [
    `${INDENT}${id![0]}  ${outcome![0]}  ${size![0]}, unique ${unique![0]}`,
    ...wrapItems(refs!, ', ', inner, MAX_CELL_LINES).map((l) => INDENT + INDENT + l),
    ...(why!.length > 0 ? wrapItems(why!, '; ', inner).map((l) => INDENT + INDENT + l) : []),
  ]);
}

/** What goes or is untagged, and for an untag what keeps the image. */
function goingReasons(r: ReportRow): string[] {
  const untag = r.outcome.includes('untag');
  return [...(untag ? [`untags ${r.untag.join(', ')}`] : []), ...r.removeReasons, ...(untag ? r.keepReasons.map((k) => `keeps image: ${k}`) : [])];
}

function cellsOf(r: ReportRow, reasons: string[]): string[][] {
  return [
    [r.id],
    r.references.length > 0 ? r.references : ['<none>'],
    [r.outcome],
    [formatBytes(r.size)],
    [formatBytes(r.uniqueBytes)],
    [...reasons, ...(r.note ? [`[${r.note}]`] : [])],
  ];
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
  if (report.freePath) lines.push(`Free space measured on ${report.freePath}`);
  const c = report.containers;
  if (c && c.results.length > 0) {
    lines.push(`Stopped containers older than ${formatDuration(c.olderThanMs)}:`);
    for (const r of c.results) lines.push(`  ${r.name} (${r.state}, ${r.image}, ${formatDuration(r.ageMs)} old): ${r.status}${r.note ? ` [${r.note}]` : ''}`);
  }
  const b = report.buildCache;
  if (b) lines.push(`Build cache: ${b.status}${b.status === 'pruned' ? `, ${formatBytes(b.spaceReclaimed)} reclaimed (${b.cachesDeleted} records)` : ''}${b.note ? ` (${b.note})` : ''}${cacheKept(b)}`);
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
  const n = report.networks;
  if (n) {
    lines.push(networkSummary(n, report.dryRun));
    for (const r of networkRows(n)) lines.push(`  ${r.name}: ${r.outcome} (${r.why})`);
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
      (c.failed ? `, ${c.failed} failed` : '') +
      (c.incidents ? `, ${c.incidents} INCIDENTS (the engine untagged or deleted what the plan did not name; see the warnings)` : ''),
    ...(report.engineLost ? [`ENGINE LOST during the removals (${report.engineLost}): the counts above are what was done before; the rest was not attempted`] : []),
    `Space: ${formatBytes(b.predicted)} predicted` +
      (b.measured !== undefined ? `, ${formatBytes(b.measured)} freed (engine image disk use ${formatBytes(b.before ?? 0)} -> ${formatBytes(b.after ?? 0)})` : ''),
    `Time: ${formatSeconds(report.finishedAt - report.startedAt)}`,
  ];
  return lines;
}

/** `0.42s`, `3.1s`, `2m5s`: one format for run times. */
export function formatSeconds(ms: number): string {
  if (ms >= 60_000) return formatDuration(ms);
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}
