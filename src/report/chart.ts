import type { CleanupReport } from '../app/cleanup';
import { familiarRepository, repositoryOf } from '../domain/reference';
import { formatBytes } from '../domain/units';

/** How a summary page draws its charts: GitHub renders Mermaid; Azure's summary tab does not, so it gets bars of text. */
export type ChartStyle = 'mermaid' | 'text';

/** One kind of disk use before and after the run, as the engine measured it (or as the plan predicts on a dry run). */
export interface KindBar {
  kind: 'images' | 'build cache' | 'volumes';
  before: number;
  after: number;
}

/** A repository and the bytes its removed images held alone (shared layers are in the run's total only). */
export interface RepositoryBar {
  repository: string;
  bytes: number;
  images: number;
}

export interface DiskChart {
  kinds: KindBar[];
  /** Measured by the engine, or predicted by the plan (a dry run). */
  measured: boolean;
  repositories: RepositoryBar[];
}

/** How many repositories the chart names; the rest add up under "others". */
export const TOP_REPOSITORIES = 5;
const UNTAGGED = '<untagged>';

/** The figures the charts draw, read from the report: no figure is made up where the run has none. */
export function diskChart(report: CleanupReport): DiskChart {
  const kinds: KindBar[] = [];
  const measured = report.bytes.before !== undefined && report.bytes.after !== undefined;
  if (measured) kinds.push({ kind: 'images', before: report.bytes.before!, after: report.bytes.after! });
  else if (report.plan.eviction) kinds.push({ kind: 'images', before: report.plan.eviction.imagesBytesBefore, after: report.plan.eviction.imagesBytesAfter });
  const cache = report.cacheEviction;
  if (cache?.before !== undefined && cache.after !== undefined) kinds.push({ kind: 'build cache', before: cache.before, after: cache.after });
  const volumes = report.volumes?.bytes;
  if (volumes?.before !== undefined && volumes.after !== undefined) kinds.push({ kind: 'volumes', before: volumes.before, after: volumes.after });
  return { kinds, measured, repositories: repositoriesFreed(report) };
}

function repositoriesFreed(report: CleanupReport): RepositoryBar[] {
  const removed = new Set(report.results.filter((r) => r.status === 'removed').map((r) => r.imageId));
  const byRepository = new Map<string, RepositoryBar>();
  for (const d of report.plan.decisions) {
    if (d.action !== 'remove' || (!report.dryRun && !removed.has(d.imageId)) || d.uniqueBytes <= 0) continue;
    const repository = d.references[0] ? familiarRepository(repositoryOf(d.references[0])) : UNTAGGED;
    const bar = byRepository.get(repository) ?? { repository, bytes: 0, images: 0 };
    bar.bytes += d.uniqueBytes;
    bar.images++;
    byRepository.set(repository, bar);
  }
  const sorted = [...byRepository.values()].sort((a, b) => b.bytes - a.bytes || a.repository.localeCompare(b.repository));
  if (sorted.length <= TOP_REPOSITORIES + 1) return sorted;
  const rest = sorted.slice(TOP_REPOSITORIES);
  return [...sorted.slice(0, TOP_REPOSITORIES), { repository: `${rest.length} others`, bytes: sum(rest.map((r) => r.bytes)), images: sum(rest.map((r) => r.images)) }];
}

/** The charts as Markdown, empty when the run has nothing to draw. */
export function renderCharts(chart: DiskChart, style: ChartStyle, dryRun: boolean): string[] {
  const out: string[] = [];
  const after = dryRun ? 'after (predicted)' : 'after';
  const freedTitle = `${dryRun ? 'Would free' : 'Freed'}, by repository (bytes its removed images held alone)`;
  if (chart.kinds.some((k) => k.before > 0)) {
    const title = `Disk use by kind: before and ${after}${chart.measured ? '' : ' (layer accounting)'}`;
    out.push(...(style === 'mermaid' ? mermaidBars(title, chart.kinds) : textBars(title, chart.kinds.flatMap((k) => [[`${k.kind} before`, k.before], [`${k.kind} ${dryRun ? 'after*' : 'after'}`, k.after]] as const))), '');
  }
  if (chart.repositories.length) {
    out.push(...(style === 'mermaid' ? mermaidPie(freedTitle, chart.repositories) : textBars(freedTitle, chart.repositories.map((r) => [`${r.repository} (${r.images})`, r.bytes] as const))), '');
  }
  return out;
}

/** Mermaid's bar chart draws a second series over the first: the tall bar is before, the one inside it after. */
function mermaidBars(title: string, kinds: KindBar[]): string[] {
  const unit = unitFor(Math.max(...kinds.map((k) => k.before)));
  const values = (pick: (k: KindBar) => number) => `[${kinds.map((k) => round(pick(k) / unit.bytes)).join(', ')}]`;
  return [
    '```mermaid',
    'xychart-beta',
    `    title "${mermaidText(title)}"`,
    `    x-axis [${kinds.map((k) => `"${k.kind}"`).join(', ')}]`,
    `    y-axis "${unit.name}"`,
    `    bar ${values((k) => k.before)}`,
    `    bar ${values((k) => k.after)}`,
    '```',
    '',
    `_Each column: the taller bar is before, the bar inside it after. ${kinds.map((k) => `${k.kind} ${formatBytes(k.before)} → ${formatBytes(k.after)}`).join('; ')}._`,
  ];
}

function mermaidPie(title: string, repositories: RepositoryBar[]): string[] {
  // the smallest slice still reads as a number
  const unit = unitFor(Math.min(...repositories.map((r) => r.bytes)));
  return ['```mermaid', `pie showData title ${mermaidText(title)} (${unit.name})`, ...repositories.map((r) => `    "${mermaidText(r.repository)}" : ${round(r.bytes / unit.bytes)}`), '```'];
}

const BAR_WIDTH = 30;

/** Bars of block characters in a code block: any Markdown renderer shows them, in a fixed-width font. */
function textBars(title: string, rows: readonly (readonly [string, number])[]): string[] {
  const max = Math.max(...rows.map(([, v]) => v), 1);
  const labelWidth = Math.max(...rows.map(([l]) => l.length));
  const line = ([label, value]: readonly [string, number]) => {
    const cells = Math.round((value / max) * BAR_WIDTH);
    return `${label.padEnd(labelWidth)}  ${'█'.repeat(cells)}${'░'.repeat(BAR_WIDTH - cells)}  ${formatBytes(value)}`;
  };
  return [`**${title}**`, '', '```text', ...rows.map(line), '```'];
}

/** The unit a chart's axis counts in: the largest value reads as 1 to 999. */
function unitFor(max: number): { name: string; bytes: number } {
  for (const [name, bytes] of [['GB', 1e9], ['MB', 1e6], ['kB', 1e3]] as const) if (max >= bytes) return { name, bytes };
  return { name: 'B', bytes: 1 };
}

const round = (n: number) => Math.round(n * 10) / 10;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
/** Mermaid ends a quoted string at a double quote; the names here are image references, which have none, but be sure. */
const mermaidText = (text: string) => text.replaceAll('"', "'");
