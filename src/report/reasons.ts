import { formatBytes, formatDuration } from '../domain/units';
import type { BuildPlace, CostNote, KeepReason, RemoveReason } from '../planner/plan';
import { shortImageId } from '../domain/image-id';
import type { PlatformPart } from '../planner/snapshot';

/** Short ID as `docker images` shows it. */
export const shortId = shortImageId;

/** Familiar form for humans: `node:20`, not `docker.io/library/node:20`. */
export function familiar(reference: string): string {
  return reference.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

/** 2nd, 3rd, 4th, 11th, 21st… */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** `newest in app`, `4th newest in app`: the place among all the repository's images. */
function place(r: BuildPlace): string {
  return `${r.position === 1 ? 'newest' : `${ordinal(r.position)} newest`} in ${familiar(r.repository)}`;
}

/** The current build takes no slot: said when it is what makes position and rank differ. */
function besidesCurrent(r: BuildPlace): string {
  return r.currentNewer ? ' besides the current build' : '';
}

export function describeKeep(r: KeepReason): string {
  switch (r.kind) {
    case 'current':
      return `current build (${r.pattern})`;
    case 'job-image':
      return r.detail === 'new' ? 'built or pulled during this job' : `tagged ${familiar(r.reference ?? '')} during this job`;
    case 'newest':
      // "newest 1 of 2" read as "one of two images" in a repository holding one.
      return `${place(r)}, within keep ${r.keep}${besidesCurrent(r)}`;
    case 'protected-pattern':
      return `protected by pattern ${r.pattern}`;
    case 'protected-id':
      return `protected by id ${r.pattern}`;
    case 'protected-label':
      return `protected by label ${r.label}`;
    case 'dockerfile-base':
      return `base image in ${r.dockerfile}`;
    case 'base-of':
      return `base of kept ${r.reference ? familiar(r.reference) : shortId(r.imageId)}`;
    case 'in-use':
      return `used by container ${r.containerName} (${r.state})`;
    case 'young':
      return `younger than min-age ${formatDuration(r.minAgeMs)} (${r.source} ${formatDuration(r.ageMs)} ago)`;
    case 'outside-scope':
      return r.reference === undefined ? 'untagged: in no repository of the scope (repositories)' : 'outside the repositories in scope';
    case 'tool-state':
      return `this tool's usage record`;
  }
}

export function describeRemove(r: RemoveReason): string {
  switch (r.kind) {
    case 'old-build':
      // The newest image of a repository is no "older build", even under keep 0.
      if (r.position === 1) return `${place(r)}, but keep 0 keeps no build besides the current one`;
      return `${place(r)}, beyond keep ${r.keep}${besidesCurrent(r)}`;
    case 'dangling':
      return 'dangling (untagged, nothing needs it)';
    case 'evicted':
      if (r.cost) return `evicted for ${r.rule} (${r.tier === 'policy' ? 'no longer needed' : r.tier}, cheapest to get back: ${describeCost(r.cost)})`;
      return `evicted for ${r.rule} (${r.tier === 'policy' ? 'no longer needed' : r.tier}, least recently used: ${r.lastUsedWhy} ${formatDuration(Math.max(0, Date.now() - r.lastUsed))} ago)`;
    case 'unused':
      return `not used for over ${formatDuration(r.maxUnusedMs)} (last: ${r.lastUsedWhy})`;
  }
}

/** "40 MB, pulled, used once in 9 days". */
export function describeCost(c: CostNote): string {
  const used = c.uses === 0 ? 'no use recorded' : c.uses === 1 ? 'used once' : `used ${c.uses} times`;
  return `${formatBytes(c.bytes)}, ${c.arrived ?? 'arrival unknown'}, ${used} in ${formatDuration(c.overMs)}`;
}

/** Distinct descriptions in order, so two tags with the same reason read once. */
export function describeAll(keep: readonly KeepReason[], remove: readonly RemoveReason[]): { keep: string[]; remove: string[] } {
  // "base of kept a; base of kept b; …" reads better as one reason naming its first few.
  const bases = keep.filter((r): r is Extract<KeepReason, { kind: 'base-of' }> => r.kind === 'base-of');
  const others = keep.filter((r) => r.kind !== 'base-of').map(describeKeep);
  if (bases.length > 1) {
    const names = unique(bases.map((b) => (b.reference ? familiar(b.reference) : shortId(b.imageId))));
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
    others.push(`base of ${names.length} kept images (${shown})`);
  } else if (bases.length === 1) {
    others.push(describeKeep(bases[0]));
  }
  return { keep: unique(others), remove: unique(remove.map(describeRemove)) };
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** One platform of a multi-platform image: what it holds here, and whether it counts. */
export function describePlatform(p: PlatformPart): string {
  if (!p.available) return `${p.kind === 'attestation' ? `attestation for ${p.platform}` : p.platform}: not present here, counts nothing`;
  if (p.kind === 'attestation') return `attestation for ${p.platform}: ${formatBytes(p.contentBytes)} of content, no snapshot`;
  return `${p.platform}: ${formatBytes(p.unpackedBytes)} unpacked (counted) + ${formatBytes(p.contentBytes)} of content`;
}
