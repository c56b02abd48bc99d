import type { Settings } from '../settings/settings';
import type { ReferencePattern } from '../domain/pattern';
import { repositoryOf, tagOf } from '../domain/reference';
import { LayerIndex } from './layer-index';
import { compareNatural } from './natural-order';
import type { ImageDecision, KeepReason, Plan, RemoveReason, UnmatchedPattern } from './plan';
import { formatDuration } from '../domain/units';
import type { ImageRecord, Snapshot } from './snapshot';
import { arrivalTimes } from './arrival';
import { applySpaceRules, type FilesystemStats, type LastUse } from './eviction';
import type { SpaceRules } from '../settings/settings';
import type { BuildCacheRecord } from './snapshot';
import { idHasPrefix, idHex, shortImageId } from '../domain/image-id';

/** An external image a Dockerfile depends on (FROM, COPY --from). */
export interface DockerfileReference {
  reference: string;
  dockerfile: string;
}

/** What the engine held when the CI job started (recorded by the fronts' pre-job step). */
export interface JobStart {
  startedAt: number;
  imageIds: string[];
  references: string[];
}

export interface PlanInput {
  snapshot: Snapshot;
  settings: Pick<
    Settings,
    'keep' | 'current' | 'protect' | 'protectLabels' | 'repositories' | 'minAgeMs' | 'dangling' | 'order'
  > & { space?: SpaceRules };
  now: number;
  dockerfileReferences?: DockerfileReference[];
  jobStart?: JobStart;
  /** Last use per image ID from the usage record; arrival times stand in for unknown images. */
  usage?: ReadonlyMap<string, LastUse>;
  filesystem?: FilesystemStats;
  /** Build cache records, when the space rules span the build cache. */
  buildCache?: BuildCacheRecord[];
  /** Volume bytes and what the volume rules already remove, when those rules are on. */
  volumes?: { bytes: number; freed: number };
  /**
   * Patterns a front filled in as its own default (`node:*`): that they match
   * nothing on an agent is no typo, so it is listed in `unmatched` but not warned about.
   */
  quietUnmatched?: readonly string[];
}

/** The repository of the tool's own images on the engine (usage record, locks): never a candidate. The one place its name is written. */
export const TOOL_STATE_REPOSITORY = 'docker.io/library/docker-image-cleanup-state';

/**
 * The pure planner: snapshot + settings + clock in, a plan with every reason out.
 * No I/O, no engine, no time source of its own.
 */
export function plan(input: PlanInput): Plan {
  const { snapshot, settings, now } = input;
  const images = snapshot.images;
  const byId = new Map<string, ImageRecord>();
  for (const image of images) byId.set(image.id, image);
  // Most images have no image-level reason: arrays are made on the first one.
  const imageReasons = new Map<string, KeepReason[]>();
  const reasonsOf = (id: string): KeepReason[] => imageReasons.get(id) ?? NO_REASONS;
  const refKeep = new Map<string, KeepReason[]>();
  const refRemove = new Map<string, RemoveReason[]>();
  const warnings: string[] = [];
  const add = (id: string, reason: KeepReason) => push(imageReasons, id, reason);

  // Image-level protections: any one keeps the image with all its references.
  const jobIds = input.jobStart ? new Set(input.jobStart.imageIds) : undefined;
  const jobRefs = input.jobStart ? new Set(input.jobStart.references) : undefined;
  const dockerfileRefs = new Map<string, string>();
  for (const d of input.dockerfileReferences ?? []) dockerfileRefs.set(d.reference, d.dockerfile);
  const arrivals = arrivalTimes(snapshot);
  const current = new Set<string>();
  // Patterns that select something, so the ones that select nothing can be named (a typo is silent otherwise).
  const matched = new Set<object>();

  for (const image of images) {
    const refs = referencesOf(image);
    for (const p of settings.current) {
      const hit = firstMatch(p, image, refs);
      if (hit !== undefined) {
        add(image.id, { kind: 'current', reference: hit, pattern: p.text });
        current.add(image.id);
        matched.add(p);
      }
    }
    if (jobIds && jobRefs) {
      if (!jobIds.has(image.id)) {
        add(image.id, { kind: 'job-image', detail: 'new' });
        current.add(image.id);
      } else {
        const retagged = refs.find((r) => !jobRefs.has(r));
        if (retagged) {
          add(image.id, { kind: 'job-image', detail: 'retagged', reference: retagged });
          current.add(image.id);
        }
      }
    }
    for (const p of settings.protect) {
      if (p.idPrefix && idHasPrefix(image.id, p.idPrefix)) {
        add(image.id, { kind: 'protected-id', pattern: p.text });
        matched.add(p);
      }
      const ref = refs.find((r) => p.matchesReference(r));
      if (ref) {
        add(image.id, { kind: 'protected-pattern', reference: ref, pattern: p.text });
        matched.add(p);
      }
    }
    for (const label of settings.protectLabels) {
      const value = image.labels[label.key];
      if (value !== undefined && (label.value === undefined || label.value === value)) {
        add(image.id, { kind: 'protected-label', label: label.text });
        matched.add(label);
      }
    }
    for (const ref of refs) {
      const dockerfile = dockerfileRefs.get(ref);
      if (dockerfile) add(image.id, { kind: 'dockerfile-base', reference: ref, dockerfile });
    }
    for (const ref of refs) {
      if (repositoryOf(ref) === TOOL_STATE_REPOSITORY) add(image.id, { kind: 'tool-state', reference: ref });
    }
    const arrival = arrivals.get(image.id);
    if (arrival && now - arrival.time < settings.minAgeMs) {
      add(image.id, { kind: 'young', ageMs: Math.max(0, now - arrival.time), minAgeMs: settings.minAgeMs, source: arrival.source });
    }
  }

  for (const c of snapshot.containers) {
    const image = byId.get(c.imageId) ?? resolveTyped(c.image, images);
    if (image) add(image.id, { kind: 'in-use', containerId: c.id, containerName: c.name, state: c.state });
  }

  // Keep-N per repository, judged per reference; the current build does not take a slot.
  const scoped = settings.repositories.length > 0;
  const inScope = (repository: string) => {
    if (!scoped) return true;
    let hit = false;
    for (const p of settings.repositories) {
      if (p.matchesRepository(repository)) {
        matched.add(p);
        hit = true;
      }
    }
    return hit;
  };
  // Untagged images belong to no repository: a limited scope leaves them alone.
  const removeDangling = settings.dangling && !scoped;
  if (scoped) for (const image of images) if (referencesOf(image).length === 0) add(image.id, { kind: 'outside-scope' });
  for (const [repository, members] of groupByRepository(images)) {
    if (!inScope(repository)) {
      for (const { refs } of members) for (const r of refs) push(refKeep, r, { kind: 'outside-scope', reference: r });
      continue;
    }
    // One order for the whole repository, the current build included, so a reason
    // can say both its place among all builds and its place among those keep counts.
    const sorted = settings.order === 'tag' ? byTagFamilies(members) : members.slice().sort(byCreatedDescending);
    let rank = 0;
    let currentNewer = false;
    sorted.forEach(({ image, refs }, index) => {
      if (current.has(image.id)) {
        currentNewer = true;
        return;
      }
      rank++;
      const place = { repository, rank, position: index + 1, currentNewer, keep: settings.keep };
      for (const r of refs) {
        if (rank <= settings.keep) push(refKeep, r, { kind: 'newest', reference: r, ...place });
        else push(refRemove, r, { kind: 'old-build', reference: r, ...place });
      }
    });
  }

  // Base images of everything that stays, found from the layer chains and Parent links.
  const layers = new LayerIndex(images, {
    countContent: snapshot.engine.diskUseCountsContent === true,
    snapshotsAreCopies: snapshot.engine.containerdStore === true && snapshot.engine.storageDriver === 'native',
  });
  const isKept = (image: ImageRecord) =>
    reasonsOf(image.id).length > 0 ||
    referencesOf(image).some((r) => refKeep.has(r)) ||
    (referencesOf(image).length === 0 && !removeDangling);
  const queue = images.filter(isKept);
  const protectedAsBase = new Set<string>();
  while (queue.length > 0) {
    const kept = queue.pop()!;
    for (const base of basesOf(kept, layers, byId)) {
      if (base.id === kept.id) continue;
      if (!reasonsOf(base.id).some((r) => r.kind === 'base-of' && r.imageId === kept.id)) {
        add(base.id, { kind: 'base-of', imageId: kept.id, reference: referencesOf(kept)[0] });
      }
      if (!protectedAsBase.has(base.id)) {
        protectedAsBase.add(base.id);
        queue.push(base);
      }
    }
  }

  const decisions = images.map((image) => decide(image, reasonsOf(image.id), refKeep, refRemove, removeDangling, layers));
  const space = settings.space;
  let eviction: Plan['eviction'];
  let buildCacheEvictions: Plan['buildCacheEvictions'] = [];
  if (space && (space.maxImageBytes !== undefined || space.maxDockerBytes !== undefined || space.ensureFreeBytes !== undefined || space.maxUnusedMs !== undefined || space.minFree || space.minFreeInodes)) {
    const result = applySpaceRules(decisions, layers, {
      rules: space,
      now,
      filesystem: input.filesystem,
      lastUse: (id) => input.usage?.get(id) ?? fromArrival(arrivals.get(id)),
      buildCache: input.buildCache,
      minAgeMs: settings.minAgeMs,
      volumes: input.volumes,
    });
    eviction = result.summary;
    buildCacheEvictions = result.cacheEvictions;
    warnings.push(...result.warnings);
  }
  const removedIds = decisions.filter((d) => d.action === 'remove').map((d) => d.imageId);
  const unmatched = unmatchedPatterns(settings, matched);
  const unknownArrivals = arrivalUnknown(snapshot, decisions, now, settings.minAgeMs);
  const quiet = new Set(input.quietUnmatched ?? []);
  warnings.unshift(...unmatched.filter((u) => !quiet.has(u.pattern)).map(describeUnmatched), ...(unknownArrivals ? [describeUnknownArrivals(unknownArrivals)] : []));
  const contentNote = snapshot.engine.diskUseCountsContent ? unplacedContent(removedIds, layers) : unpredictedContent(removedIds, byId);
  if (contentNote) warnings.push(contentNote);
  return {
    createdAt: now,
    decisions,
    predictedBytes: layers.bytesFreedBy(removedIds),
    warnings,
    eviction,
    buildCacheEvictions,
    unmatched,
    arrivalUnknown: unknownArrivals,
  };
}

function unmatchedPatterns(settings: PlanInput['settings'], matched: Set<object>): UnmatchedPattern[] {
  const out: UnmatchedPattern[] = [];
  for (const p of settings.current) if (!matched.has(p)) out.push({ setting: 'current', pattern: p.text });
  for (const p of settings.protect) if (!matched.has(p)) out.push({ setting: 'protect', pattern: p.text });
  for (const l of settings.protectLabels) if (!matched.has(l)) out.push({ setting: 'protect-label', pattern: l.text });
  for (const p of settings.repositories) if (!matched.has(p)) out.push({ setting: 'repositories', pattern: p.text });
  return out;
}

function describeUnmatched(u: UnmatchedPattern): string {
  switch (u.setting) {
    case 'current':
      return `current "${u.pattern}" matches no image: nothing is kept as the current build. If the build in progress has images, they are judged as older builds and may be removed: check the pattern for a typo (max-removals is the hard stop)`;
    case 'protect':
      return `protect "${u.pattern}" matches no image: it protects nothing`;
    case 'protect-label':
      return `protect-label "${u.pattern}" matches no image: it protects nothing`;
    case 'repositories':
      return `repositories "${u.pattern}" matches no repository: nothing is removed on its account`;
  }
}

/** Names shown in one warning line before "and N more". */
const NAMED_IN_WARNING = 5;

/**
 * The engine keeps only its last 256 events. When they do not reach back over
 * the grace period, an image pulled in the gap leaves no trace (a pull of an
 * old image sets no tag time on graphdriver engines): only the images the plan
 * removes or untags are affected, so only they are named.
 */
function arrivalUnknown(snapshot: Snapshot, decisions: ImageDecision[], now: number, minAgeMs: number): Plan['arrivalUnknown'] {
  const window = snapshot.activityWindow;
  if (window.complete || minAgeMs <= 0) return undefined;
  const coveredSince = window.oldest ?? now;
  if (coveredSince <= now - minAgeMs) return undefined;
  const images = decisions.filter((d) => d.action !== 'keep').map((d) => ({ imageId: d.imageId, references: d.action === 'untag' ? d.untag : d.references }));
  return images.length > 0 ? { coveredMs: Math.max(0, now - coveredSince), minAgeMs, images } : undefined;
}

function describeUnknownArrivals(a: NonNullable<Plan['arrivalUnknown']>): string {
  const names = a.images.map((i) => i.references[0]?.replace(/^docker\.io\/(library\/)?/, '') ?? shortImageId(i.imageId));
  const shown = names.slice(0, NAMED_IN_WARNING).join(', ') + (names.length > NAMED_IN_WARNING ? ` and ${names.length - NAMED_IN_WARNING} more` : '');
  return (
    `the engine's last 256 events reach back only ${formatDuration(a.coveredMs)}, not over min-age ${formatDuration(a.minAgeMs)}: ` +
    `${a.images.length === 1 ? 'this image' : `these ${a.images.length} images`} the plan removes may have been pulled within min-age without a trace: ${shown}. ` +
    `If a concurrent job may have pulled them, protect them (protect) or run the cleanup when the engine is quieter`
  );
}

/**
 * Containerd image store: the bytes predicted and measured are the unpacked
 * snapshots (what system df counts). The removed images' blobs in the content
 * store go too, but the engine counts them in no disk-use figure and does not
 * say which blobs images share (each image's content size includes its base's),
 * so they are named, not predicted.
 */
function unpredictedContent(removedIds: readonly string[], byId: ReadonlyMap<string, ImageRecord>): string | undefined {
  if (!removedIds.some((id) => byId.get(id)?.contentBytes !== undefined)) return undefined;
  return (
    "containerd image store: the space figures are unpacked snapshots (what the engine's disk use counts); " +
    "the removed images' compressed blobs in the content store are freed too, but neither predicted nor measured: " +
    'the engine counts them in no disk-use figure and does not say which blobs images share'
  );
}

/**
 * Engines that count content blobs (containerd store from dockerd 28.2): the prediction covers
 * them, except where the API cannot tell a shared layer's blob from the images' above it.
 */
function unplacedContent(removedIds: readonly string[], layers: LayerIndex): string | undefined {
  const unplaced = layers.unplacedSharedContent(removedIds);
  if (unplaced === 0) return undefined;
  return (
    `content store: ${unplaced} layer${unplaced === 1 ? '' : 's'} shared by the removed images with others, none of which is an image of its own, ` +
    "hold blobs the engine's API does not size apart (it gives one content total per image): the prediction splits the content " +
    'of the images above such a layer by the data each layer adds, an estimate that may differ from the bytes measured'
  );
}

function fromArrival(arrival: { time: number; source: string } | undefined): LastUse {
  return arrival ? { time: arrival.time, why: arrival.source === 'created' ? 'built' : arrival.source } : { time: 0, why: 'unknown' };
}

function decide(
  image: ImageRecord,
  imageReasons: KeepReason[],
  refKeep: Map<string, KeepReason[]>,
  refRemove: Map<string, RemoveReason[]>,
  removeDangling: boolean,
  layers: LayerIndex,
): ImageDecision {
  const refs = referencesOf(image);
  // Arrays are made at their final size (a push onto [] reserves 17 slots, which
  // 100,000 decisions would keep); the maps' own lists are taken over when they
  // are the whole answer (a reference names one image, so no list is shared).
  let keepReasons = imageReasons.slice();
  let removeReasons: RemoveReason[] = NO_REMOVE_REASONS;
  let keptRefs = 0;
  for (const r of refs) {
    const keep = refKeep.get(r);
    if (keep) {
      keptRefs++;
      keepReasons = keepReasons.length === 0 ? keep : keepReasons.concat(keep);
    }
    const remove = refRemove.get(r);
    if (remove) removeReasons = removeReasons.length === 0 ? remove : removeReasons.concat(remove);
  }
  if (removeReasons === NO_REMOVE_REASONS) removeReasons = [];
  let action: ImageDecision['action'] = 'keep';
  let untag: string[] = [];
  if (refs.length === 0) {
    if (imageReasons.length === 0 && removeDangling) {
      removeReasons = [{ kind: 'dangling' }];
      action = 'remove';
    }
  } else if (imageReasons.length === 0) {
    if (keptRefs === 0) {
      action = 'remove';
      untag = refs;
    } else if (keptRefs < refs.length) {
      action = 'untag';
      untag = refs.filter((r) => !refKeep.has(r));
    }
  }
  return {
    imageId: image.id,
    references: refs,
    action,
    keepReasons,
    removeReasons,
    untag,
    delete: action === 'remove',
    created: image.created,
    size: image.size,
    uniqueBytes: layers.uniqueBytes(image.id),
    platforms: image.platforms,
  };
}

/** Tags first, then digest references. */
function referencesOf(image: ImageRecord): string[] {
  return image.digests.length === 0 ? image.tags : [...image.tags, ...image.digests];
}

interface Member {
  image: ImageRecord;
  repository: string;
  refs: string[];
  /** Highest tag in this repository, for tag ordering: worked out on first use (null: none). */
  topTag?: string | null;
}

/** One entry per image per repository: an image with two tags in one repository is one build. */
function groupByRepository(images: readonly ImageRecord[]): Map<string, Member[]> {
  const groups = new Map<string, Member[]>();
  const mine: Member[] = []; // this image's entries so far (one per repository it is in)
  for (const image of images) {
    mine.length = 0;
    for (const ref of referencesOf(image)) {
      let repository = repositoryOf(ref);
      // An image's references are few: a scan beats a per-repository map of image IDs.
      let member: Member | undefined;
      for (const m of mine) if (m.repository === repository) member = m;
      if (member) {
        member.refs.push(ref);
        continue;
      }
      const members = groups.get(repository);
      if (members) repository = members[0]!.repository; // one string per repository, not one per image
      member = { image, repository, refs: [ref], topTag: undefined };
      mine.push(member);
      if (members) members.push(member);
      else groups.set(repository, [member]);
    }
  }
  return groups;
}

function topTagOf(member: Member): string | null {
  if (member.topTag === undefined) {
    let top: string | null = null;
    for (const ref of member.refs) {
      const tag = tagOf(ref);
      if (tag !== undefined && (top === null || compareNatural(tag, top) > 0)) top = tag;
    }
    member.topTag = top;
  }
  return member.topTag;
}

function byCreatedDescending(a: Member, b: Member): number {
  return b.image.created - a.image.created || compareNatural(topTagOf(b) ?? '', topTagOf(a) ?? '');
}

/**
 * `order: tag`: tags compare as versions within a family (the tag's leading
 * non-digit text: `ci-` for `ci-3291`, `release-` for `release-2.4`, `v` for
 * `v1.2`); versions of different families do not compare, so families are
 * ranked by their newest build's creation time (most recent family first).
 */
function byTagFamilies(members: Member[]): Member[] {
  const familyOf = (m: Member) => /^\D*/.exec(topTagOf(m) ?? '')![0];
  const newest = new Map<string, number>();
  for (const m of members) {
    const family = familyOf(m);
    newest.set(family, Math.max(newest.get(family) ?? -Infinity, m.image.created));
  }
  return members.slice().sort((a, b) => {
    const fa = familyOf(a);
    const fb = familyOf(b);
    if (fa !== fb) return newest.get(fb)! - newest.get(fa)! || (fa < fb ? -1 : 1);
    return compareNatural(topTagOf(b) ?? '', topTagOf(a) ?? '') || b.image.created - a.image.created;
  });
}

function basesOf(image: ImageRecord, layers: LayerIndex, byId: Map<string, ImageRecord>): ImageRecord[] {
  const bases = layers.basesOf(image.id);
  // Same layers, other config (e.g. FROM x + LABEL): a base only when it is not
  // an older build of the same repository, which would otherwise never go.
  const ownRepos = new Set(referencesOf(image).map(repositoryOf));
  for (const twin of layers.sameChainAs(image.id)) {
    const twinRefs = referencesOf(twin);
    if (twinRefs.length > 0 && twin.created <= image.created && !twinRefs.some((r) => ownRepos.has(repositoryOf(r)))) {
      bases.push(twin);
    }
  }
  for (let p = image.parentId && byId.get(image.parentId); p; p = p.parentId ? byId.get(p.parentId) : undefined) {
    bases.push(p);
  }
  return bases;
}

function firstMatch(p: ReferencePattern, image: ImageRecord, refs: string[]): string | undefined {
  if (p.idPrefix && idHasPrefix(image.id, p.idPrefix)) return image.id;
  return refs.find((r) => p.matchesReference(r));
}

/** A container created by ID, short ID or digest whose ImageID is not in the list (c8d shapes). */
function resolveTyped(typed: string, images: readonly ImageRecord[]): ImageRecord | undefined {
  const hex = idHex(typed);
  if (/^[0-9a-f]{12,64}$/.test(hex)) {
    const hit = images.find((i) => idHasPrefix(i.id, hex));
    if (hit) return hit;
  }
  return images.find((i) => i.tags.includes(typed) || i.digests.some((d) => typed.endsWith(d.slice(d.indexOf('@')))));
}

const NO_REASONS: KeepReason[] = [];
const NO_REMOVE_REASONS: RemoveReason[] = [];

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
