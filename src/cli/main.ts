import { cleanupOutcome, EXIT, exitCodeOf } from '../app/outcome';
import { EnsureFreeUnmeasurableError } from '../app/cleanup';
import { defaultStateDir } from '../app/session';
import { openSession } from '../compose';
import { EngineUnreachableError } from '../engine/port';
import { describeFailure } from '../report/failure';
import { EngineLostError, EngineTimeoutError } from '../engine/connection';
import { RunLockBusyError } from '../engine/run-lock';
import { toJson } from '../report/json';
import { progressReporter } from '../report/progress';
import { renderText } from '../report/text';
import { inFrontTermsOf } from '../settings/fronts';
import { parseSettings, SettingsError } from '../settings/parse';
import { parseCliArgs, UsageError } from './args';
import { HELP } from './help';
import { processIo, type CliIo } from './io';
import { runRunnerHook } from './runner-hook';
import { runWatch } from './watch';
import { runWhatIf } from './what-if';

export { EXIT } from '../app/outcome';
export type { CliIo } from './io';

/** A refused plan shows this many rows per table; `--dry-run` shows it whole. */
const REFUSED_ROWS = 20;

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  // Known before the flags are parsed, so even a bad flag is answered in JSON (and in detail).
  let json = argv.includes('--json');
  let debug = argv.includes('--debug');
  // The runner's job hook: settings from the environment too, and its own catch (it exits 0 on problems).
  if (argv[0] === 'runner-hook') return runRunnerHook(argv, io);
  try {
    const args = parseCliArgs(argv);
    json = args.json;
    debug = args.debug;
    if (args.help) return io.stdout(HELP), EXIT.ok;
    if (args.version) return io.stdout(`${require('../../../package.json').version}\n`), EXIT.ok;
    const settings = parseSettings(args.raw);
    if (args.command === 'watch') return await runWatch(args, settings, io);
    if (args.command === 'what-if') return await runWhatIf(args.raw, settings, io);
    const { engine, usage } = openSession(settings, defaultStateDir());
    const outcome = await cleanupOutcome(settings, {
      engine,
      usage,
      onLockWait: (message) => io.stderr(`docker-image-cleanup: ${message}\n`),
      onProgress: args.json ? undefined : progressReporter({ write: io.stderr, isTty: io.isTty, now: io.now ?? Date.now }),
    });
    if (outcome.kind === 'refused') {
      if (args.json) io.stdout(JSON.stringify({ refused: outcome.message, ...toJson(outcome.report) }, null, 2) + '\n');
      else io.stdout(renderText(outcome.report, { width: io.width, maxRows: REFUSED_ROWS, heading: [`REFUSED: ${outcome.message}.`, 'This is the plan that was refused:'] }));
      io.stderr(`docker-image-cleanup: ${outcome.message}; the refused plan is shown (run with --dry-run to see it whole)\n`);
    } else {
      io.stdout(args.json ? JSON.stringify(toJson(outcome.report), null, 2) + '\n' : renderText(outcome.report, { width: io.width }));
      if (outcome.kind === 'engine-lost' || outcome.kind === 'short-of-free') io.stderr(`docker-image-cleanup: ${outcome.message}\n`);
    }
    return exitCodeOf(outcome.kind);
  } catch (error) {
    // The one top-level catch: one line naming what failed and what to do; details only with --debug.
    const message =
      error instanceof SettingsError
        ? inFrontTermsOf(error, 'cli').message
        : error instanceof UsageError || error instanceof EngineUnreachableError || error instanceof EnsureFreeUnmeasurableError
          ? error.message
          : error instanceof RunLockBusyError || error instanceof EngineTimeoutError || error instanceof EngineLostError
            ? `${error.message}; nothing was removed`
            : describeFailure(error);
    const code = error instanceof RunLockBusyError ? EXIT.busy : EXIT.badInput;
    if (json) io.stdout(JSON.stringify({ error: { kind: errorKind(error), message }, exitCode: code }, null, 2) + '\n');
    io.stderr(`docker-image-cleanup: ${message}\n`);
    if (debug && error instanceof Error) io.stderr(`${error.stack ?? error.message}\n${debugDetails(error)}`);
    return code;
  }
}

function errorKind(error: unknown): 'bad-input' | 'engine-unreachable' | 'failed' {
  if (error instanceof SettingsError || error instanceof UsageError) return 'bad-input';
  if (error instanceof EngineUnreachableError) return 'engine-unreachable';
  return 'failed';
}

/** What dockerode keeps of the engine's answer, and a wrapped cause. */
function debugDetails(error: Error): string {
  const e = error as Error & { statusCode?: number; json?: unknown; cause?: unknown };
  const lines: string[] = [];
  if (e.statusCode !== undefined) lines.push(`engine answer: HTTP ${e.statusCode} ${JSON.stringify(e.json ?? null)}`);
  if (e.cause instanceof Error) lines.push(`cause: ${e.cause.stack ?? e.cause.message}`);
  return lines.map((l) => `${l}\n`).join('');
}
