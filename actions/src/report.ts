import * as core from '@actions/core';
import { renderMarkdown, renderText, toJson, type CleanupReport, type Outcome } from '../../src/index';
import { Output, SUMMARY_TITLE, type RunAt } from './constants';

export interface ReportContext {
  runAt: RunAt;
  /** Set when the run was refused (max-removals): the report is the plan that was not carried out. */
  refused?: string;
}

/** Step outputs, the job summary, the log, and the core's warnings as annotations. */
export async function publishReport({ report, figures }: Outcome, context: ReportContext): Promise<void> {
  core.setOutput(Output.RemovedCount, String(figures.removed));
  core.setOutput(Output.KeptCount, String(figures.kept));
  core.setOutput(Output.BytesFreed, String(figures.bytesFreed));
  core.setOutput(Output.Plan, planOutput(report));

  await core.group('Cleanup report', async () => core.info(renderText(report)));
  // The plan is the `plan` output; the log shows it only with step debug logging on.
  if (core.isDebug()) await core.group('Plan (JSON)', async () => core.info(JSON.stringify(toJson(report), null, 2)));
  for (const warning of report.warnings) core.warning(warning, { title: 'docker-image-cleanup' });

  await writeSummary(fitSummary(summaryMarkdown(report, context)));
}

/** The runner refuses a step output over 1 MiB and a step summary over 1 MiB. */
const OUTPUT_LIMIT = 1_000_000;
const SUMMARY_LIMIT = 1_000_000;

/** The plan JSON; past the output limit, only the images that were acted on (then none), marked truncated. */
function planOutput(report: CleanupReport): string {
  const plan = toJson(report) as { images: { action: string }[] };
  const full = JSON.stringify(plan);
  if (Buffer.byteLength(full) <= OUTPUT_LIMIT) return full;
  const acted = JSON.stringify({ ...plan, images: plan.images.filter((i) => i.action !== 'keep'), truncated: 'kept images left out' });
  if (Buffer.byteLength(acted) <= OUTPUT_LIMIT) return acted;
  return JSON.stringify({ ...plan, images: [], truncated: 'images left out' });
}

/** Cuts an oversized summary at a line boundary; the full report is in the log. */
function fitSummary(markdown: string): string {
  if (Buffer.byteLength(markdown) <= SUMMARY_LIMIT) return markdown;
  const note = '\n\n*The summary is cut here to fit the runner\'s limit; the full report is in the step log (Cleanup report).*\n';
  const head = Buffer.from(markdown).subarray(0, SUMMARY_LIMIT - Buffer.byteLength(note)).toString('utf8');
  return head.slice(0, head.lastIndexOf('\n')) + note;
}

async function writeSummary(markdown: string): Promise<void> {
  // Old GitHub Enterprise Server runners have no step summary file; the log has the report.
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.info('No job summary: GITHUB_STEP_SUMMARY is not set.');
    return;
  }
  await core.summary.addRaw(markdown, true).write();
}

/** What the job summary shows: where the run stood, then the core's report. */
export function summaryMarkdown(report: CleanupReport, context: ReportContext): string {
  const lines: string[] = [];
  if (context.refused !== undefined) {
    lines.push(`> [!CAUTION]`, `> **Refused, nothing was removed:** ${context.refused}`, '');
  }
  if (context.runAt === 'post') {
    const fromJob = report.plan.decisions.filter((d) => d.keepReasons.some((r) => r.kind === 'job-image')).length;
    lines.push(
      `Ran after the job's last step. ${fromJob} image${fromJob === 1 ? '' : 's'} the job built, tagged, loaded or pulled ` +
        `${fromJob === 1 ? 'was' : 'were'} kept as the current build.`,
      '',
    );
  }
  // The core's report, with the run context right under its title.
  const [title = '', ...rest] = renderMarkdown(report, SUMMARY_TITLE, 'mermaid').split('\n');
  while (rest[0] === '') rest.shift();
  return [title, '', ...lines, ...rest].join('\n');
}

/** A short summary for a cleanup that could not run at all (engine unreachable). */
export async function publishFailure(message: string, context: ReportContext): Promise<void> {
  const when = context.runAt === 'post' ? 'after the job' : 'in this step';
  await writeSummary(`## ${SUMMARY_TITLE}\n\n> [!WARNING]\n> The cleanup ${when} did not run: ${escapeMarkdown(message)}\n`);
}

function escapeMarkdown(text: string): string {
  return text.replace(/[<>|]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '|': '\\|' })[c]!);
}
