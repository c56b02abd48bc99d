import type { SpaceRules, Threshold } from '../settings/settings';
import type { LayerIndex } from './layer-index';
import type { EvictionSummary, EvictionTier, ImageDecision, KeepReason, PressureRule, RemoveReason } from './plan';

/** When an image was last used, from the usage record or, failing that, its arrival. */
export interface LastUse {
  time: number;
  why: string;
}

/** The filesystem holding the engine's data root, when this host can see it. */
export interface FilesystemStats {
  totalBytes: number;
  freeBytes: number;
  totalInodes: number;
  freeInodes: number;
}

export interface SpaceInput {
  rules: SpaceRules;
  now: number;
  lastUse: (imageId: string) => LastUse;
  filesystem?: FilesystemStats;
}

/** Reasons no space rule may override: the image stays whatever the disk says. */
const HARD: ReadonlySet<KeepReason['kind']> = new Set([
  'current',
  'job-image',
  'protected-pattern',
  'protected-id',
  'protected-label',
  'in-use',
  'young',
  'outside-scope',
  'tool-state',
]);

/** The tier an image belongs to, or undefined when it can never be evicted. */
function tierOf(d: ImageDecision): EvictionTier | undefined {
  if (d.keepReasons.some((r) => HARD.has(r.kind))) return undefined;
  const has = (kind: KeepReason['kind']) => d.keepReasons.some((r) => r.kind === kind);
  // A Dockerfile FROM, or the newest of its own repository that builds stand on: a base worth keeping.
  if (has('dockerfile-base') || (has('base-of') && has('newest'))) return 'base-image';
  if (has('newest') || (d.references.length === 0 && d.action === 'keep')) return 'kept-build';
  // Kept only as a base of other images: it may go once nothing that stays stands on it.
  return 'policy';
}

const TIER_RANK: Record<EvictionTier, number> = { policy: 0, 'kept-build': 1, 'base-image': 2 };

/**
 * Applies max-unused and the disk-pressure rules on top of the keep-N plan:
 * evicts in least-recently-used order, first what the policy lets go, then
 * (opt-in) kept builds, then (opt-in, emergency) base images. Mutates and
 * returns the decisions it turns into removals.
 */
export function applySpaceRules(decisions: ImageDecision[], layers: LayerIndex, input: SpaceInput): { summary?: EvictionSummary; warnings: string[] } {
  const { rules, now } = input;
  const sim = layers.simulate();
  const before = layers.totalBytes();
  let plannedFree = 0;
  for (const d of decisions) if (d.action === 'remove') plannedFree += sim.remove(d.imageId);

  const candidates = decisions
    .filter((d) => d.action !== 'remove')
    .map((d) => ({ d, tier: tierOf(d), use: input.lastUse(d.imageId) }))
    .filter((c): c is typeof c & { tier: EvictionTier } => c.tier !== undefined)
    // Equally recently used (e.g. all loaded in one go): the older build goes first.
    .sort((a, b) => a.use.time - b.use.time || a.d.created - b.d.created);

  const evict = (c: (typeof candidates)[number], reason: RemoveReason): number => {
    const bytes = sim.remove(c.d.imageId);
    c.d.action = 'remove';
    c.d.untag = c.d.references;
    c.d.delete = true;
    c.d.removeReasons.push(reason);
    return bytes;
  };

  // Removing an image can free the base under it, so sweep until nothing more goes.
  const sweep = (eligible: (c: (typeof candidates)[number]) => boolean, onEvict: (c: (typeof candidates)[number]) => boolean) => {
    for (let progress = true; progress; ) {
      progress = false;
      for (const c of candidates) {
        if (sim.isRemoved(c.d.imageId) || !eligible(c) || sim.hasSurvivingDependents(c.d.imageId)) continue;
        progress = true;
        if (onEvict(c)) return;
      }
    }
  };

  if (rules.maxUnusedMs !== undefined) {
    const limit = rules.maxUnusedMs;
    sweep(
      (c) => now - c.use.time > limit,
      (c) => {
        plannedFree += evict(c, { kind: 'unused', lastUsed: c.use.time, lastUsedWhy: c.use.why, maxUnusedMs: limit });
        return false;
      },
    );
  }

  const afterPlan = before - plannedFree;
  const needs = pressure(rules, afterPlan, plannedFree, input.filesystem);
  if (needs.rules.length === 0) return { warnings: [] };

  const allowed = new Set<EvictionTier>(['policy']);
  if (rules.evictKeptBuilds) allowed.add('kept-build');
  if (rules.evictBaseImages) allowed.add('base-image');
  const order: EvictionSummary['order'] = [];
  let freed = 0;
  // Lower tiers are exhausted before a higher one is touched.
  for (const tier of [...allowed].sort((a, b) => TIER_RANK[a] - TIER_RANK[b])) {
    if (freed >= needs.bytes) break;
    sweep(
      (c) => TIER_RANK[c.tier] <= TIER_RANK[tier],
      (c) => {
        const bytes = evict(c, { kind: 'evicted', rule: needs.rules[0], tier: c.tier, lastUsed: c.use.time, lastUsedWhy: c.use.why });
        freed += bytes;
        order.push({ imageId: c.d.imageId, references: c.d.references, lastUsed: c.use.time, lastUsedWhy: c.use.why, tier: c.tier, bytes });
        return freed >= needs.bytes;
      },
    );
  }
  const reached = freed >= needs.bytes;
  const warnings: string[] = [];
  if (!reached) {
    const off = [!rules.evictKeptBuilds && 'evict-kept-builds', !rules.evictBaseImages && 'evict-base-images'].filter(Boolean);
    const locked = off.length > 0 ? ` (${off.join(' / ')} would allow more)` : '';
    warnings.push(`${needs.rules.join(', ')}: cannot free ${needs.bytes - freed} more bytes; the rest is in use, protected, current or younger than min-age${locked}`);
  }
  return {
    summary: {
      rules: needs.rules,
      neededBytes: needs.bytes,
      freedBytes: freed,
      reached,
      shortByBytes: Math.max(0, needs.bytes - freed),
      order,
      imagesBytesBefore: before,
      imagesBytesAfter: afterPlan - freed,
    },
    warnings,
  };
}

/** Bytes the rules still want freed after the keep-N plan, and which rules ask. */
function pressure(rules: SpaceRules, imagesBytes: number, plannedFree: number, fs?: FilesystemStats): { rules: PressureRule[]; bytes: number } {
  const asks: [PressureRule, number][] = [];
  if (rules.maxImageBytes !== undefined && imagesBytes > rules.maxImageBytes) {
    asks.push(['max-image-bytes', imagesBytes - (rules.targetImageBytes ?? rules.maxImageBytes)]);
  }
  if (fs && rules.minFree) {
    const free = fs.freeBytes + plannedFree;
    if (free < amountOf(rules.minFree, fs.totalBytes)) asks.push(['min-free', amountOf(rules.targetFree ?? rules.minFree, fs.totalBytes) - free]);
  }
  if (fs && rules.minFreeInodes && fs.totalInodes > 0) {
    // Inodes per image are not reported; assume they follow bytes on this filesystem.
    const used = fs.totalBytes - fs.freeBytes;
    const bytesPerInode = used / Math.max(1, fs.totalInodes - fs.freeInodes);
    const free = fs.freeInodes + plannedFree / bytesPerInode;
    if (free < amountOf(rules.minFreeInodes, fs.totalInodes)) {
      asks.push(['min-free-inodes', Math.ceil((amountOf(rules.targetFreeInodes ?? rules.minFreeInodes, fs.totalInodes) - free) * bytesPerInode)]);
    }
  }
  return { rules: asks.map(([r]) => r), bytes: Math.max(0, ...asks.map(([, b]) => b)) };
}

function amountOf(t: Threshold, total: number): number {
  return 'percent' in t ? (t.percent / 100) * total : t.amount;
}
