import type { ContainerRecord, VolumeRecord } from './snapshot';
import type { LabelSelector, VolumeRules } from '../settings/settings';
import { formatDuration } from '../domain/units';
import { protectedBy } from '../domain/labels';

export type VolumeKind = 'anonymous' | 'named' | 'builder-state';

export interface VolumeDecision {
  name: string;
  kind: VolumeKind;
  action: 'keep' | 'remove';
  /** One line: why it stays or goes. */
  reason: string;
  /** From system/df; undefined when the engine did not size it. */
  bytes?: number;
  /** Since it was created or last mounted/unmounted (volume events), ms; undefined when the engine tells neither. */
  idleMs?: number;
}

/** A `buildx_buildkit_<builder><n>` container (a docker-container driver node). */
export interface BuilderDecision {
  id: string;
  name: string;
  builder: string;
  state: string;
  action: 'keep' | 'remove';
  reason: string;
  /** Writable layer (SizeRw) when the engine sized it. */
  bytes?: number;
  ageMs: number;
}

export interface VolumePlan {
  volumes: VolumeDecision[];
  builders: BuilderDecision[];
  /** Bytes of what goes, counting only what the engine sized... */
  predictedBytes: number;
  /** ...and how many removals it could not size. */
  unsized: number;
}

export interface VolumePlanInput {
  volumes: VolumeRecord[];
  containers: (ContainerRecord & { sizeRw?: number })[];
  rules: VolumeRules;
  /** Labels that protect a volume or a builder container (the images' protect-label). */
  protectLabels: LabelSelector[];
  now: number;
  /** Containers this run removes first (containers-older-than): their mounts do not hold a volume. */
  leaving?: ReadonlySet<string>;
}

const BUILDER_CONTAINER = /^buildx_buildkit_(.+)$/;
const BUILDER_STATE = /^buildx_buildkit_(.+)_state$/;
/** States in which a builder node is alive (or may be again in a moment). */
const ALIVE = new Set(['running', 'paused', 'restarting', 'removing']);
const STOPPED = new Set(['exited', 'created', 'dead']);

/** The builder a node belongs to: buildx names nodes `<builder><index>`. */
export function builderOf(node: string): string {
  return node.replace(/\d+$/, '');
}

export function isAnonymous(v: Pick<VolumeRecord, 'name' | 'labels'>): boolean {
  // Docker >= 23 labels them; older engines and Podman give them a 64-hex name.
  return Object.prototype.hasOwnProperty.call(v.labels, 'com.docker.volume.anonymous') || /^[0-9a-f]{64}$/.test(v.name);
}

/**
 * Which volumes and buildx builder leftovers go: pure, from one listing.
 * Never a volume a container mounts (unless that container is leaving in this run),
 * never a protected name or label, never one used (created, mounted, unmounted)
 * within the grace period, never a builder with a live node.
 */
export function planVolumes(input: VolumePlanInput): VolumePlan {
  const { rules, now } = input;
  const leaving = input.leaving ?? new Set<string>();
  const aliveBuilders = new Set<string>();
  for (const c of input.containers) {
    const m = BUILDER_CONTAINER.exec(c.name);
    if (m && ALIVE.has(c.state)) aliveBuilders.add(builderOf(m[1]));
  }

  const builders: BuilderDecision[] = [];
  const leavingBuilders = new Set<string>();
  for (const c of input.containers) {
    const m = BUILDER_CONTAINER.exec(c.name);
    if (!m || leaving.has(c.id)) continue;
    const builder = builderOf(m[1]);
    const ageMs = now - c.created;
    const base = { id: c.id, name: c.name, builder, state: c.state, bytes: c.sizeRw, ageMs };
    const keep = (reason: string): BuilderDecision => ({ ...base, action: 'keep', reason });
    let d: BuilderDecision;
    if (rules.buildxOlderThanMs === undefined) d = keep('builder leftovers are not cleaned (buildx-older-than not set)');
    else if (ALIVE.has(c.state)) d = keep(`builder ${builder} is ${c.state}`);
    else if (aliveBuilders.has(builder)) d = keep(`another node of builder ${builder} runs`);
    else if (!STOPPED.has(c.state)) d = keep(`state ${c.state}`);
    else if (protectedBy(c.labels, input.protectLabels)) d = keep('protected label');
    else if (ageMs < rules.buildxOlderThanMs) d = keep(`younger than buildx-older-than (${formatDuration(ageMs)} old)`);
    else d = { ...base, action: 'remove', reason: `stopped node of builder ${builder}, which no longer runs (${c.state}, created ${formatDuration(ageMs)} ago)` };
    if (d.action === 'remove') leavingBuilders.add(c.id);
    builders.push(d);
  }

  // Mounts that still hold a volume once this run's container removals are done.
  const users = new Map<string, string[]>();
  for (const c of input.containers) {
    if (leaving.has(c.id) || leavingBuilders.has(c.id)) continue;
    for (const v of c.volumes ?? []) users.set(v, [...(users.get(v) ?? []), c.name]);
  }

  const volumes = input.volumes.map((v): VolumeDecision => {
    const state = BUILDER_STATE.exec(v.name);
    const kind: VolumeKind = state ? 'builder-state' : isAnonymous(v) ? 'anonymous' : 'named';
    const lastUse = Math.max(v.created ?? 0, v.lastEvent ?? 0);
    const idleMs = lastUse > 0 ? now - lastUse : undefined;
    const base = { name: v.name, kind, bytes: v.size, idleMs };
    const keep = (reason: string): VolumeDecision => ({ ...base, action: 'keep', reason });
    const grace = kind === 'builder-state' ? rules.buildxOlderThanMs : rules.olderThanMs;
    if (grace === undefined) return keep(kind === 'builder-state' ? 'builder state is not cleaned (buildx-older-than not set)' : 'volumes are not cleaned (volumes-older-than not set)');
    const mountedBy = users.get(v.name);
    if (mountedBy) return keep(`mounted by ${mountedBy.join(', ')}`);
    const pattern = rules.protect.find((p) => globMatch(p, v.name));
    if (pattern) return keep(`protected name ${pattern}`);
    if (protectedBy(v.labels, input.protectLabels)) return keep('protected label');
    if (kind === 'named' && !rules.named) return keep('named volume (volumes-named not set)');
    if (kind === 'builder-state' && aliveBuilders.has(builderOf(state![1]))) return keep(`builder ${builderOf(state![1])} runs`);
    if (idleMs === undefined) return keep('the engine tells neither its creation nor its last use');
    if (idleMs < grace) return keep(`used ${formatDuration(idleMs)} ago, within the grace period`);
    const what =
      kind === 'builder-state' ? `state of builder ${builderOf(state![1])}, which no longer runs` : kind === 'anonymous' ? 'anonymous volume no container mounts' : 'dangling named volume';
    return { ...base, action: 'remove', reason: `${what}, unused for ${formatDuration(idleMs)}` };
  });

  let predictedBytes = 0;
  let unsized = 0;
  for (const d of [...volumes, ...builders]) {
    if (d.action !== 'remove') continue;
    if (d.bytes === undefined) unsized++;
    else predictedBytes += d.bytes;
  }
  return { volumes, builders, predictedBytes, unsized };
}

/** `*` matches any run of characters; everything else is literal. */
export function globMatch(pattern: string, name: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(name);
}
