/**
 * Demo entry: `node lib/src/demo/main.js seed [--host URL] [--keep-events]`
 * seeds the engine at DOCKER_HOST (or --host) like a busy CI agent and prints
 * a short summary. Meant for a private engine (scripts/engine.sh reset demo);
 * it refuses an engine that already holds images or containers.
 */
import { formatBytes } from '../domain/units';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { connectionOptions, describeHost } from '../engine/connection';
import { seedAgent, type SeedSummary } from './seed';

const USAGE = 'usage: node lib/src/demo/main.js seed [--host URL] [--keep-events]\n';

export async function main(argv: string[]): Promise<number> {
  let values: { host?: string; 'keep-events'?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { host: { type: 'string' }, 'keep-events': { type: 'boolean' } },
      allowPositionals: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (positionals.length !== 1 || positionals[0] !== 'seed') {
    process.stderr.write(USAGE);
    return 2;
  }
  const host = values.host ?? process.env.DOCKER_HOST;
  const docker = new Docker(connectionOptions(host));
  try {
    const expireEvents = !values['keep-events'];
    const summary = await seedAgent(docker, new Date(), { expireEvents });
    process.stdout.write(render(summary, describeHost(host), expireEvents));
    return 0;
  } catch (error) {
    process.stderr.write(`seed: ${(error as Error).message}\n`);
    return 1;
  }
}

function render(s: SeedSummary, host: string, eventsExpired: boolean): string {
  const lines = [
    `Seeded ${host} like a busy CI agent in ${(s.durationMs / 1000).toFixed(1)} s:`,
    `  ${s.images} images (${s.dangling} dangling), ${s.tags.length} tags, ${formatBytes(s.layerBytes)} of distinct layers (sizes scaled down ~10x)`,
  ];
  for (const [repo, tags] of Object.entries(s.repositories)) {
    const names = tags.map((t) => t.slice(repo.length + 1));
    const shown = names.length > 4 ? `${names.slice(0, 3).join(', ')} … ${names[names.length - 1]}` : names.join(', ');
    lines.push(`  ${repo.padEnd(38)} ${String(names.length).padStart(2)}  ${shown}`);
  }
  lines.push('  containers:');
  for (const c of s.containers) lines.push(`    ${c.name.padEnd(26)} ${c.state.padEnd(8)} ${c.image}`);
  if (eventsExpired) {
    lines.push(
      "  engine events: the seed's own were pushed out of the engine's buffer (it keeps the last 256), as on a busy",
      '  agent, so --min-age judges the builds by their dates, not by this load; the runs below warn that the buffer',
      '  reaches back only seconds: expected here',
    );
  }
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
