/**
 * `npm run replay`: every policy on every generated trace at the trace's disk
 * budget, printed as Markdown. `npm run replay -- --write` also stores the
 * output in bench/replay/results.md, which a unit test holds the replayer to.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { replayAll } from './run';

async function main(): Promise<void> {
  const text = await replayAll();
  process.stdout.write(text);
  if (process.argv.includes('--write')) fs.writeFileSync(path.join(__dirname, 'results.md'), text);
}

main().catch((error: Error) => {
  process.stderr.write(`replay failed: ${error.message}\n`);
  process.exitCode = 1;
});
