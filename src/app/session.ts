import * as os from 'node:os';
import * as path from 'node:path';
import type { EnginePort } from '../engine/port';
import type { UsageStore } from '../usage/store';

/**
 * Where the CLI keeps what outlives one run (usage record, inspect cache):
 * $XDG_STATE_HOME/docker-image-cleanup, else ~/.local/state/docker-image-cleanup.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'docker-image-cleanup');
}

/** What one run works with: the engine (behind its port) and the usage store, if any. Built by src/compose.ts. */
export interface Session {
  engine: EnginePort;
  usage?: UsageStore;
}
