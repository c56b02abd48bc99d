// Images lost per race: this tool as built here, an older build of it (any
// lib/ directory, e.g. a worktree of an earlier commit), and the engine's own
// `docker image prune -a`, under the same event-driven races (test/support/races.ts).
// Prints a table; not a test (the fault suite asserts, this measures).
//
// Each run: a fresh engine state, n images (n - 1 candidates), the tool's own
// removal concurrency (8 in flight unless the store's tuning says otherwise),
// one injection per untag/delete event of the engine onto the next candidate
// not yet touched (the one about to be deleted), up to --injections of them.
// Per run it prints lost/injected and, for the tool, losses no incident names
// (silent); the table gives every run and the sums.
//
//   node lib/bench/races.js --host unix:///…/docker.sock [--runs 5] [--n 300] [--injections 250]
//     [--races protected-tag,container-by-id] [--tools before,after,prune] [--before /path/to/old/lib]
import * as path from 'node:path';
import Docker from 'dockerode';
import { connectionOptions } from '../src/engine/connection';
import { RACES, enginePrune, isReported, raceCleanup, seed, type Race } from '../test/support/races';
import { resetEngine } from '../test/support/engine';

interface Tool {
  name: string;
  run: (host: string) => Promise<unknown>;
  /** Raced on a timer (ms) as well as on its image events. */
  everyMs?: number;
}

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** runCleanup of a lib/ directory (this build by default), with the README's policy and --min-age 0s. */
function tool(name: string, lib: string): Tool {
  const { runCleanup } = require(path.join(lib, 'src/app/cleanup'));
  const { parseSettings } = require(path.join(lib, 'src/settings/parse'));
  const { DockerodeEngine } = require(path.join(lib, 'src/engine/dockerode-engine'));
  return {
    name,
    run: async (host) => {
      const settings = parseSettings({ host, keep: 1, 'min-age': '0s', protect: ['node:*'], 'usage-store': 'none' });
      return runCleanup(settings, { engine: new DockerodeEngine({ host }) }).catch((error: Error) => ({ error: error.message }));
    },
  };
}

async function main() {
  const host = arg('host');
  if (!host) throw new Error('--host unix:///path/to/docker.sock is required');
  const runs = Number(arg('runs', '5'));
  const n = Number(arg('n', '300'));
  const injections = Number(arg('injections', '250'));
  const races = (arg('races')?.split(',') as Race[] | undefined) ?? [...RACES];
  const chosen = arg('tools', 'before,after,prune')!.split(',');
  const docker = new Docker(connectionOptions(host));
  const tools: Tool[] = [];
  const before = arg('before');
  if (before && chosen.includes('before')) tools.push(tool('before', path.resolve(before)));
  if (chosen.includes('after')) tools.push(tool('after (this build)', path.resolve(__dirname, '..')));
  const version = await docker.version();
  const info = await docker.info();
  const containerd = (info.DriverStatus ?? []).some(([k, v]: [string, string]) => k === 'driver-type' && /containerd/.test(v));
  // The containerd store's prune logs no untag or delete events while it works: it is raced every 40 ms instead.
  const podman = ((version as { Components?: { Name?: string }[] }).Components ?? []).some((c) => /podman/i.test(c.Name ?? ''));
  // Podman's prune fails whole (500, "image is in use by a container") when a container appears meanwhile: a result, not the end.
  const prune = () => enginePrune(docker, podman).catch((error: Error) => ({ error: error.message }));
  if (chosen.includes('prune')) tools.push({ name: 'engine prune -a', run: prune, everyMs: containerd ? 40 : undefined });
  process.stdout.write(
    `engine: ${podman ? 'Podman' : 'dockerd'} ${version.Version} (API ${version.ApiVersion}${containerd ? ', containerd image store' : ''}), ${n} images, ${n - 1} candidates, up to ${injections} injections per run, ${runs} runs` +
      `${containerd ? ' (the prune raced every 40 ms: it logs no events while it works)' : ''}\n\n`,
  );
  const rows: string[] = [];
  for (const race of races) {
    // Interleaved (run 1 of each tool, then run 2, ...): a machine whose load drifts weighs on all alike.
    const tally = tools.map(() => ({ perRun: [] as string[], lost: 0, injected: 0, silent: 0, reports: 0 }));
    for (let r = 0; r < runs; r++) {
      for (const [ti, t] of tools.entries()) {
        const s = tally[ti];
        await resetEngine(docker);
        const seeded = await seed(docker, n);
        const started = Date.now();
        const outcome = await raceCleanup(docker, seeded, race, injections, () => t.run(host), { everyMs: t.everyMs });
        const seconds = (Date.now() - started) / 1000;
        const incidents = (outcome.result as { incidents?: { untagged: string[]; deleted: string[]; text: string }[] })?.incidents;
        const unreported = incidents ? outcome.lossKeys.filter((k) => !isReported(k, incidents)).length : undefined;
        s.lost += outcome.lost;
        s.injected += outcome.injected;
        if (unreported !== undefined) (s.silent += unreported), s.reports++;
        s.perRun.push(`${outcome.lost}/${outcome.injected}${unreported ? ` (${unreported} silent)` : ''}`);
        process.stderr.write(`${race} ${t.name} run ${r + 1}: lost ${outcome.lost} of ${outcome.injected}, ${incidents ? `${incidents.length} incidents, ${unreported} losses unreported` : 'no report'}, ${seconds.toFixed(1)} s\n`);
        for (const loss of outcome.losses.slice(0, 3)) process.stderr.write(`  ${loss}\n`);
        // What the run said, when the harness could not match it to a loss: to tell a silent loss from a harness blind spot.
        if (unreported) for (const i of incidents!.slice(0, 3)) process.stderr.write(`  incident: untagged ${JSON.stringify(i.untagged)}, deleted ${JSON.stringify(i.deleted)}: ${i.text.slice(0, 300)}\n`);
        const error = (outcome.result as { error?: string })?.error;
        if (error) process.stderr.write(`${t.name} ${race} run ${r + 1}: ${error}\n`);
      }
    }
    const cells = tally.map((s) => `${s.perRun.join(', ')}; **${s.lost} of ${s.injected}**${s.reports > 0 ? `, ${s.silent} silent` : ''}`);
    rows.push(`| ${race} | ${cells.join(' | ')} |`);
  }
  process.stdout.write(`| race | ${tools.map((t) => t.name).join(' | ')} |\n| --- |${tools.map(() => ' --- |').join('')}\n${rows.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
