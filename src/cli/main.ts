import { runCleanup, MaxRemovalsExceededError, type CleanupReport } from '../app/cleanup';
import { defaultStateDir, openSession } from '../app/session';
import { EngineUnreachableError } from '../engine/port';
import { toJson } from '../report/json';
import { renderText } from '../report/text';
import { inFrontTermsOf } from '../settings/fronts';
import { parseSettings, SettingsError } from '../settings/parse';
import { parseCliArgs, UsageError } from './args';
import { HELP } from './help';
import { runWatch } from './watch';

export const EXIT = { ok: 0, removalsFailed: 1, badInput: 2, refused: 3 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** A terminal shows a progress line; pipes and --json do not. */
  isTty: boolean;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTty: process.stderr.isTTY === true,
};

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const args = parseCliArgs(argv);
    if (args.help) return io.stdout(HELP), EXIT.ok;
    if (args.version) return io.stdout(`${require('../../../package.json').version}\n`), EXIT.ok;
    const settings = parseSettings(args.raw);
    if (args.command === 'watch') return await runWatch(args, settings, io);
    const { engine, usage } = openSession(settings, defaultStateDir());
    const progress = !args.json && io.isTty;
    let report: CleanupReport;
    try {
      report = await runCleanup(settings, {
        engine,
        usage,
        onProgress: progress ? (done, total) => io.stderr(`\rremoving ${done}/${total}${done === total ? '\n' : ''}`) : undefined,
      });
    } catch (error) {
      if (error instanceof MaxRemovalsExceededError) {
        if (args.json) io.stdout(JSON.stringify({ refused: error.message, ...toJson(error.report) }, null, 2) + '\n');
        io.stderr(`docker-image-cleanup: ${error.message}\n`);
        return EXIT.refused;
      }
      throw error;
    }
    io.stdout(args.json ? JSON.stringify(toJson(report), null, 2) + '\n' : renderText(report));
    return report.counts.failed > 0 ? EXIT.removalsFailed : EXIT.ok;
  } catch (error) {
    if (error instanceof SettingsError) {
      io.stderr(`docker-image-cleanup: ${inFrontTermsOf(error, 'cli').message}\n`);
      return EXIT.badInput;
    }
    if (error instanceof UsageError || error instanceof EngineUnreachableError) {
      io.stderr(`docker-image-cleanup: ${error.message}\n`);
      return EXIT.badInput;
    }
    io.stderr(`docker-image-cleanup: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.badInput;
  }
}
