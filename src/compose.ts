/**
 * The composition root: the one place that builds concrete adapters (the dockerode engine with
 * its inspect cache, the usage store the settings ask for). The CLI, watch mode, the GitHub
 * Action and the Azure task get their engine and usage store here; the core below only sees
 * the ports (EnginePort, StateImagesPort, UsageStore).
 */
import * as path from 'node:path';
import type { Session } from './app/session';
import { FileDetailsCache, detailsCacheFile } from './engine/details-cache';
import { describeHost, type EngineCallTiming } from './engine/connection';
import { DockerodeEngine } from './engine/dockerode-engine';
import type { Settings } from './settings/settings';
import { EngineUsageStore } from './usage/engine-store';
import { FileUsageStore } from './usage/file-store';
import type { UsageStore } from './usage/store';

export interface ConnectOptions {
  /** Every Engine API call's method, endpoint and outcome, for watch mode's metrics. */
  onCallTimed?: (call: EngineCallTiming) => void;
}

/** The engine adapter for the settings' host and deadline; with a state directory, its inspect cache lives there. */
export function connectEngine(settings: Settings, stateDir?: string, options: ConnectOptions = {}): DockerodeEngine {
  // Image IDs are content addresses: what one run inspected, the next need not.
  // One file per engine: last-tag times are per engine, and engines sharing a file would evict each other's entries.
  const cache = stateDir ? new FileDetailsCache(detailsCacheFile(stateDir, describeHost(settings.host))) : undefined;
  return new DockerodeEngine({ host: settings.host, cache, timeoutMs: settings.timeoutMs, onCallTimed: options.onCallTimed });
}

/**
 * The store the settings ask for. A file store needs a path: the setting, or
 * the front's state directory; the core never writes where nobody said.
 */
export function openUsageStore(settings: Settings, engine: DockerodeEngine, stateDir?: string): UsageStore | undefined {
  switch (settings.usage.store) {
    case 'none':
      return undefined;
    case 'engine':
      return new EngineUsageStore(engine.stateImages());
    case 'file': {
      const file = settings.usage.file ?? (stateDir ? path.join(stateDir, 'usage.json') : undefined);
      return file ? new FileUsageStore(file) : undefined;
    }
  }
}

/** The engine adapter and the usage store a front needs, from the settings and its state directory. */
export function openSession(settings: Settings, stateDir?: string, options: ConnectOptions = {}): Session {
  const engine = connectEngine(settings, stateDir, options);
  return { engine, usage: openUsageStore(settings, engine, stateDir) };
}
