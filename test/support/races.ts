/**
 * Races against a cleanup on a real engine, driven by the engine's own event
 * stream: each time the cleanup untags or deletes an image, another "job"
 * changes a candidate the cleanup has not touched yet, so the change lands in
 * the window between the cleanup's re-check and its call. Shared by the fault
 * suite (test/engine/faults.test.ts) and the measurement (bench/races.ts).
 */
import type Docker from 'dockerode';
import { buildArchive, expectedImageId, loadArchive, loadImages, type ImageSpec, type LayerSpec } from '../../src/demo/image-factory';
import { DEFAULT_CMD } from '../../src/demo/image-factory';
import { onJsonLines } from '../../src/engine/json-lines';

export type Race = 'tag-move' | 'protected-tag' | 'container-by-id' | 'container-by-name';
export const RACES: readonly Race[] = ['tag-move', 'protected-tag', 'container-by-id', 'container-by-name'];

/** What each race does to a candidate (`app:ci-K`) mid-run. */
export const RACE_TEXT: Record<Race, string> = {
  'tag-move': 'another job loads a new image onto the tag',
  'protected-tag': "another job tags the image node:99-alpine-K (protected by --protect 'node:*')",
  'container-by-id': 'another job creates a container from the image by ID',
  'container-by-name': 'another job creates a container from the image by its tag',
};

/**
 * A tiny shared base: on the vfs driver every layer is a full copy of its
 * parent, and a busybox base made seeding 60 images take 16 s. Containers of
 * these images are created, not started: a created container is in use for
 * the engine's conflict check all the same.
 */
const BASE: LayerSpec = { id: 'race-base', bytes: 1_000 };
const DAY = 86_400_000;

export interface Seeded {
  /** `app:ci-K` -> image ID, K = 1..n (ci-n the newest: kept by keep 1). */
  candidates: Map<string, string>;
}

/** n builds of `app` on a shared base, a day apart. */
export async function seed(docker: Docker, n: number): Promise<Seeded> {
  const specs: ImageSpec[] = Array.from({ length: n }, (_, i) => ({
    tags: [`app:ci-${i + 1}`],
    created: new Date(Date.now() - (n - i) * DAY),
    layers: [BASE, { id: `race-app-ci-${i + 1}`, bytes: 4_000 }],
  }));
  await loadImages(docker, specs);
  const candidates = new Map<string, string>();
  // Asked, not computed: on the containerd store the ID is the manifest's digest.
  for (const spec of specs.slice(0, -1)) candidates.set(spec.tags[0]!, (await docker.getImage(spec.tags[0]!).inspect()).Id);
  return { candidates };
}

export interface RaceOutcome {
  race: Race;
  /** Changes injected while the cleanup ran. */
  injected: number;
  /** What the race put at stake and the cleanup (or prune) then removed: new images, protected tags, images under containers. */
  lost: number;
  /** The losses, one line each. */
  losses: string[];
  /** What each loss took, to find the incident that reports it: the image's ID, or the name. */
  lossKeys: LossKey[];
}

/** An image lost (its ID) or a name lost (normalized, as incidents name it). */
export interface LossKey {
  imageId?: string;
  name?: string;
  /**
   * A loaded image gone before its ID could be asked (on the containerd store its ID is a manifest
   * digest the harness cannot compute): when (ms epoch) the load was sent and answered. An incident
   * naming an image that got a name by a load then, and is gone, names it.
   */
  loadedWithin?: [number, number];
}

interface Stake {
  /** Still intact after the run? Else a line saying what was lost. */
  check: () => Promise<string | undefined>;
  key: () => LossKey;
}

/** Whether an incident of the run names the loss. */
export function isReported(key: LossKey, incidents: readonly { untagged: string[]; deleted: string[]; text: string }[]): boolean {
  return incidents.some(
    (i) =>
      (key.name !== undefined && i.untagged.some((n) => n === key.name || n.endsWith(`/${key.name}`))) ||
      (key.imageId !== undefined && (i.deleted.some((d) => bare(d) === bare(key.imageId!)) || i.text.includes(bare(key.imageId).slice(0, 12)))) ||
      (key.loadedWithin !== undefined && i.deleted.length > 0 && loadedWithin(i.text, key.loadedWithin)),
  );
}

/** The incident's `(load at <ISO time>)` falls within the window, give or take the engine's clock (1 s). */
function loadedWithin(text: string, [from, to]: [number, number]): boolean {
  const at = /\(load at ([0-9T:.\-]+Z)\)/.exec(text);
  const time = at ? Date.parse(at[1]!) : NaN;
  return time >= from - 1_000 && time <= to + 1_000;
}

/**
 * Runs `cleanup` while injecting `race` into up to `injections` untouched
 * candidates, one per untag/delete event of the run; then counts the losses.
 */
export async function raceCleanup(
  docker: Docker,
  seeded: Seeded,
  race: Race,
  injections: number,
  cleanup: () => Promise<unknown>,
  options: { everyMs?: number } = {},
): Promise<RaceOutcome & { result: unknown }> {
  const touched = new Set<string>();
  const pending: Promise<unknown>[] = [];
  const stakes: Stake[] = [];
  const untouched = [...seeded.candidates.entries()];
  // New images for the tag-move race, built before the run so injecting is one load.
  const fresh = race === 'tag-move' ? await freshImages(untouched.map(([tag]) => tag)) : new Map<string, { archive: Buffer; configId: string }>();
  const events = (await docker.getEvents({ filters: JSON.stringify({ type: ['image'], event: ['untag', 'delete'] }) } as Docker.GetEventsOptions)) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
  let count = 0;
  const next = () => {
    if (count >= injections) return;
    // The next candidate the run has not reached (it works roughly in plan order: oldest first).
    const index = untouched.findIndex(([, id]) => !touched.has(bare(id)));
    if (index < 0) return;
    const [tag, id] = untouched.splice(index, 1)[0]!;
    count++;
    pending.push(inject(docker, race, tag, id, count, fresh, stakes).catch(() => undefined));
  };
  onJsonLines(events, (event: { Actor?: { ID?: string } }) => {
    if (event.Actor?.ID) touched.add(bare(event.Actor.ID));
    next();
  });
  const errors: unknown[] = [];
  events.on('error', (e) => errors.push(e));
  await new Promise((r) => setTimeout(r, 100)); // the stream is subscribed before the run starts
  let result: unknown;
  // A cleanup that logs no image events while it works (the containerd store's prune) is raced on a timer instead.
  const timer = options.everyMs ? setInterval(next, options.everyMs) : undefined;
  try {
    result = await cleanup();
  } finally {
    clearInterval(timer);
    await Promise.all(pending);
    events.destroy?.();
  }
  const losses: string[] = [];
  const lossKeys: LossKey[] = [];
  for (const stake of stakes) {
    const loss = await stake.check();
    if (loss) losses.push(loss), lossKeys.push(stake.key());
  }
  return { race, injected: stakes.length, lost: losses.length, losses, lossKeys, result };
}

async function freshImages(tags: string[]): Promise<Map<string, { archive: Buffer; configId: string }>> {
  const out = new Map<string, { archive: Buffer; configId: string }>();
  const stamp = Date.now();
  for (const tag of tags) {
    const spec: ImageSpec = { tags: [tag], created: new Date(), layers: [{ id: `fresh-${tag}-${stamp}`, bytes: 2_000 }] };
    out.set(tag, { archive: await buildArchive([spec]), configId: await expectedImageId(spec) });
  }
  return out;
}

async function inject(docker: Docker, race: Race, tag: string, id: string, k: number, fresh: Map<string, { archive: Buffer; configId: string }>, stakes: Stake[]): Promise<void> {
  switch (race) {
    case 'tag-move': {
      const sent = Date.now();
      await loadArchive(docker, fresh.get(tag)!.archive);
      const answered = Date.now();
      // Asked right away (the ID is the manifest digest on the containerd store); gone already counts as lost.
      const loaded = (await inspectOrUndefined(docker, tag))?.Id as string | undefined;
      stakes.push({
        // Gone before it could be asked: its ID is its config's digest (graph driver, Podman); on the
        // containerd store (the manifest's digest) the incident names the tag it lost.
        key: () => (loaded && loaded !== id ? { imageId: loaded, name: tag } : { imageId: fresh.get(tag)!.configId, name: tag, loadedWithin: [sent, answered] }),
        check: async () => {
          if (!loaded || loaded === id) return `new image loaded onto ${tag} was lost at once`;
          const now = await inspectOrUndefined(docker, loaded);
          if (!now) return `new image ${loaded.slice(7, 19)} loaded onto ${tag} was deleted`;
          const tags: string[] = now.RepoTags ?? [];
          return tags.some((t) => t.endsWith(tag)) ? undefined : `new image ${loaded.slice(7, 19)} lost its tag ${tag}`;
        },
      });
      return;
    }
    case 'protected-tag': {
      const protectedTag = `99-alpine-${k}`;
      await docker.getImage(id).tag({ repo: 'node', tag: protectedTag });
      stakes.push({
        key: () => ({ name: `library/node:${protectedTag}` }),
        check: async () => ((await inspectOrUndefined(docker, `node:${protectedTag}`)) ? undefined : `protected tag node:${protectedTag} (on ${id.slice(7, 19)}) was lost`),
      });
      return;
    }
    case 'container-by-id':
    case 'container-by-name': {
      const container = await docker.createContainer({
        Image: race === 'container-by-id' ? id : tag,
        Cmd: DEFAULT_CMD,
        StopTimeout: 1,
        HostConfig: { NetworkMode: 'none' },
      });
      const info = await container.inspect();
      stakes.push({
        key: () => ({ imageId: info.Image }),
        check: async () => ((await inspectOrUndefined(docker, info.Image)) ? undefined : `image ${info.Image.slice(7, 19)} was deleted under container ${info.Id.slice(0, 12)} (created from ${race === 'container-by-id' ? 'its ID' : tag})`),
      });
      return;
    }
  }
}

async function inspectOrUndefined(docker: Docker, name: string): Promise<any | undefined> {
  try {
    return await docker.getImage(name).inspect();
  } catch (error) {
    // 404, or (the containerd store) a name record whose content is gone: it names no usable image.
    if ([404, 500].includes((error as { statusCode?: number }).statusCode ?? 0)) return undefined;
    throw error;
  }
}

function bare(id: string): string {
  return id.replace(/^sha256:/, '');
}

/**
 * The engine's own `docker image prune -a` (POST /images/prune, dangling=false):
 * every image no container uses, deleted by the engine itself. The floor for the
 * container races (its own window between the in-use check and the delete).
 */
export async function enginePrune(docker: Docker, podman = false): Promise<void> {
  // Podman's compatible endpoint refuses `dangling=false` (500, "dangling filter more than once"):
  // `podman image prune -a` is its own endpoint's `all=true`.
  if (podman) {
    await new Promise((resolve, reject) =>
      docker.modem.dial({ path: '/v4.0.0/libpod/images/prune?', method: 'POST', options: { all: true }, statusCodes: { 200: true, 500: 'server error' } }, (error, data) => (error ? reject(error) : resolve(data))),
    );
    return;
  }
  await docker.pruneImages({ filters: JSON.stringify({ dangling: ['false'] }) } as never);
}
