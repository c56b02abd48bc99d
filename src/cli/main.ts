import { cleanupOutcome, EXIT, exitCodeOf } from '../app/outcome';
import { defaultStateDir, openSession } from '../app/session';
import { EngineUnreachableError } from '../engine/port';
import { toJson } from '../report/json';
import { renderText } from '../report/text';
import { inFrontTermsOf } from '../settings/fronts';
import { parseSettings, SettingsError } from '../settings/parse';
import { parseCliArgs, UsageError } from './args';
import { HELP } from './help';
import { processIo, type CliIo } from './io';
import { runWatch } from './watch';

export { EXIT } from '../app/outcome';
export type { CliIo } from './io';

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const args = parseCliArgs(argv);
    if (args.help) return io.stdout(HELP), EXIT.ok;
    if (args.version) return io.stdout(`${require('../../../package.json').version}\n`), EXIT.ok;
    const settings = parseSettings(args.raw);
    if (args.command === 'watch') return await runWatch(args, settings, io);
    const { engine, usage } = openSession(settings, defaultStateDir());
    const progress = !args.json && io.isTty;
    const outcome = await cleanupOutcome(settings, {
      engine,
      usage,
      onProgress: progress ? (done, total) => io.stderr(`\rremoving ${done}/${total}${done === total ? '\n' : ''}`) : undefined,
    });
    if (outcome.kind === 'refused') {
      if (args.json) io.stdout(JSON.stringify({ refused: outcome.message, ...toJson(outcome.report) }, null, 2) + '\n');
      io.stderr(`docker-image-cleanup: ${outcome.message}\n`);
    } else {
      io.stdout(args.json ? JSON.stringify(toJson(outcome.report), null, 2) + '\n' : renderText(outcome.report));
    }
    return exitCodeOf(outcome.kind);
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
