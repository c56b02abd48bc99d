import * as os from 'node:os';
import * as path from 'node:path';
import { DockerodeEngine } from '../engine/dockerode-engine';
import { FileDetailsCache, detailsCacheFile } from '../engine/details-cache';
import { describeHost, type EngineCallTiming } from '../engine/connection';
import type { Settings } from '../settings/settings';
import type { UsageStore } from '../usage/store';
import { openUsageStore } from './usage';

/**
 * Where the CLI keeps what outlives one run (usage record, inspect cache):
 * $XDG_STATE_HOME/docker-image-cleanup, else ~/.local/state/docker-image-cleanup.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'docker-image-cleanup');
}

export interface Session {
  engine: DockerodeEngine;
  usage?: UsageStore;
}

/** The engine adapter and the usage store a front needs, from the settings and its state directory. */
export function openSession(settings: Settings, stateDir?: string, options: { onCallTimed?: (call: EngineCallTiming) => void } = {}): Session {
  // Image IDs are content addresses: what one run inspected, the next need not.
  // One file per engine: last-tag times are per engine, and engines sharing a file would evict each other's entries.
  const cache = stateDir ? new FileDetailsCache(detailsCacheFile(stateDir, describeHost(settings.host))) : undefined;
  const engine = new DockerodeEngine({ host: settings.host, cache, timeoutMs: settings.timeoutMs, onCallTimed: options.onCallTimed });
  return { engine, usage: openUsageStore(settings, engine, stateDir) };
}
