// The core's public surface, used by the CLI, the Azure task and the GitHub Action.
export { parseSettings, SettingsError, SETTING_NAMES, type RawSettings } from './settings/parse';
export type { Settings } from './settings/settings';
export { runCleanup, MaxRemovalsExceededError, type CleanupReport, type CleanupDeps, type CleanupOptions } from './app/cleanup';
export { captureJobStart } from './app/job';
export type { JobStart } from './planner/planner';
export { DockerodeEngine } from './engine/dockerode-engine';
export { openSession, defaultStateDir, type Session } from './app/session';
export { openUsageStore } from './app/usage';
export type { UsageStore } from './usage/store';
export { EngineUnreachableError, type EnginePort } from './engine/port';
export { renderMarkdown } from './report/markdown';
export { renderText } from './report/text';
export { toJson } from './report/json';
export { removeStoppedContainers, type ContainerCleanupReport } from './app/containers';
export { pruneBuildCache, type BuildCacheReport } from './app/build-cache';
export { formatBytes } from './domain/units';
