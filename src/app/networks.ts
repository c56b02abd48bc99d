import type { EnginePort, NetworkRecord } from '../engine/port';
import { protectedBy, type LabelSelector } from '../domain/labels';
import { formatDuration } from '../domain/units';
import type { Settings } from '../settings/settings';
import type { LeftoverStatus } from './volumes';

/**
 * Networks no cleanup removes: the engines' own (dockerd's bridge, host and none, Podman's
 * podman, which its Docker-compatible API lists as bridge) and swarm's ingress and gateway bridge.
 */
export const DEFAULT_NETWORKS: readonly string[] = ['bridge', 'host', 'none', 'podman', 'ingress', 'docker_gwbridge'];

/** The reason that keeps the engine's own networks (reports leave those out). */
export const ENGINE_OWN = "the engine's own network";

export interface NetworkDecision {
  id: string;
  name: string;
  driver: string;
  action: 'keep' | 'remove';
  /** One line: why it stays or goes. */
  reason: string;
  /** Since it was created or last joined or left (network events), ms; undefined when the engine tells neither. */
  idleMs?: number;
}

export interface NetworkCleanupReport {
  /** The setting, for the report. */
  olderThanMs: number;
  /** Every network the engine listed, with why it stays or goes. */
  decisions: NetworkDecision[];
  /** One per network that goes; status planned on a dry run. */
  results: { id: string; name: string; status: LeftoverStatus; note?: string }[];
  /** kept: user-defined networks that stay (the engine's own are not counted). */
  counts: { removed: number; skipped: number; failed: number; kept: number };
  notes: string[];
}

/** How far back network events are read to tell when a container last joined or left a network. */
const NETWORK_EVENT_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * Which networks networks-older-than lets go: pure. Never a default network, never one
 * outside the engine's local scope, never one a container joins, running or stopped
 * (unless that container leaves in this run: a stopped one would join it again when
 * started, and the engine removes such a network without a word), never a protected
 * label, never one created, joined or left within the grace period.
 */
export function chooseNetworks(
  networks: readonly NetworkRecord[],
  options: { olderThanMs: number; protectLabels: LabelSelector[]; now: number; leaving?: ReadonlySet<string> },
): NetworkDecision[] {
  return networks.map((n): NetworkDecision => {
    const lastUse = Math.max(n.created ?? 0, n.lastEvent ?? 0);
    const idleMs = lastUse > 0 ? options.now - lastUse : undefined;
    const base = { id: n.id, name: n.name, driver: n.driver, ...(idleMs !== undefined ? { idleMs } : {}) };
    const keep = (reason: string): NetworkDecision => ({ ...base, action: 'keep', reason });
    const users = n.users.filter((u) => !options.leaving?.has(u.id));
    if (DEFAULT_NETWORKS.includes(n.name) || n.driver === 'host' || n.driver === 'null') return keep(ENGINE_OWN);
    if (n.scope !== 'local') return keep(`${n.scope}-scoped network`);
    if (users.length) return keep(`joined by ${users.map((u) => u.name).join(', ')}`);
    if (protectedBy(n.labels, options.protectLabels)) return keep('protected label');
    if (idleMs === undefined) return keep('the engine tells neither its creation nor its last use');
    if (idleMs < options.olderThanMs) return keep(`used ${formatDuration(idleMs)} ago, within networks-older-than`);
    return { ...base, action: 'remove', reason: `user-defined network no container joins, unused for ${formatDuration(idleMs)}` };
  });
}

/** Lists the networks and chooses (chooseNetworks); undefined when networks-older-than is off. */
export async function listNetworkChoice(engine: EnginePort, settings: Settings, options: { now: number; leaving?: ReadonlySet<string> }): Promise<NetworkCleanupReport | undefined> {
  const olderThanMs = settings.networksOlderThanMs;
  if (olderThanMs === undefined) return undefined;
  const report: NetworkCleanupReport = { olderThanMs, decisions: [], results: [], counts: { removed: 0, skipped: 0, failed: 0, kept: 0 }, notes: [] };
  if (!engine.listNetworks || !engine.inspectNetwork || !engine.removeNetwork) {
    report.notes.push('networks: this engine adapter cannot list or remove networks; skipped');
    return report;
  }
  const networks = await engine.listNetworks({ activitySince: options.now - NETWORK_EVENT_LOOKBACK_MS });
  report.decisions = chooseNetworks(networks, { olderThanMs, protectLabels: settings.protectLabels, now: options.now, leaving: options.leaving });
  report.counts.kept = report.decisions.filter((d) => d.action === 'keep' && d.reason !== ENGINE_OWN).length;
  return report;
}

/**
 * Removes the networks the choice let go, each re-checked right before its call (still
 * there, no container joins it now, no protected label) and never forced: 404 is gone,
 * in use is a skip with the engine's words. A dry run only lists them. Never throws for one network.
 */
export async function removeNetworks(engine: EnginePort, settings: Settings, chosen: NetworkCleanupReport, options: { signal?: AbortSignal } = {}): Promise<NetworkCleanupReport> {
  const report: NetworkCleanupReport = { ...chosen, results: [], counts: { ...chosen.counts } };
  for (const d of chosen.decisions.filter((x) => x.action === 'remove')) {
    if (options.signal?.aborted) break;
    const status = settings.dryRun ? { status: 'planned' as const } : await removeOne(engine, d, settings);
    report.results.push({ id: d.id, name: d.name, ...status });
  }
  for (const r of report.results) {
    if (r.status === 'removed' || r.status === 'gone' || r.status === 'planned') report.counts.removed++;
    else if (r.status === 'skipped') report.counts.skipped++;
    else report.counts.failed++;
  }
  return report;
}

async function removeOne(engine: EnginePort, d: NetworkDecision, settings: Settings): Promise<{ status: LeftoverStatus; note?: string }> {
  try {
    const current = await engine.inspectNetwork!(d.id);
    if (!current) return { status: 'gone' };
    if (current.users.length) return { status: 'skipped', note: `joined by ${current.users.join(', ')} since listing` };
    if (protectedBy(current.labels, settings.protectLabels)) return { status: 'skipped', note: 'protected label' };
    const outcome = await engine.removeNetwork!(d.id);
    if (outcome.status === 'done') return { status: 'removed' };
    if (outcome.status === 'gone') return { status: 'gone' };
    return { status: 'skipped', note: outcome.message };
  } catch (error) {
    return { status: 'failed', note: error instanceof Error ? error.message : String(error) };
  }
}
