/**
 * Names another job moved onto a new image while a call of ours was removing
 * them. Both engines remove an image's names by name: dockerd reads the tags of
 * the image it resolved, checks for conflicts, then deletes each tag from its
 * reference store whatever the tag names by then; the containerd store deletes
 * the name record likewise ("TODO: Add target option" in moby). A tag moved
 * onto a new image in between is taken from the new image, and the engine logs
 * and answers it under the image it resolved: `Untagged: app:ci-1`, which the
 * plan named. What it leaves are engine facts: an image got a name (tag, load,
 * import, pull event) while the call ran, and has lost it since without any
 * untag or delete event of its own.
 */
import { idHex, prefixedImageId, shortImageId } from '../domain/image-id';
import type { ImageEvent, ImageEventWatch, ImageState } from '../engine/port';
import { EngineLostError, EngineTimeoutError } from '../engine/connection';
import type { Incident } from './incident';

/** One removal call of the run that answered with untagged names. */
export interface RemovalCall {
  /** The image the call was made for. */
  imageId: string;
  /** e.g. `DELETE /images/sha256:…` */
  call: string;
  /** The names the engine said it untagged (normalized). */
  untagged: string[];
  /** The answer says the call deleted the image it was made for. */
  deleted: boolean;
  /** The names the plan untags or removes on that image. */
  planned: readonly string[];
  /** Local clock (ms epoch) when the call was sent and answered. */
  sentAt: number;
  answeredAt: number;
}

/** How far (ms) an image's naming event may lie outside a call and still be that call's doing (the engine logs it just after). */
export const CALL_SLACK_MS = 1_000;

/**
 * Incidents for names lost that way; ends the watch. `touched`: bare IDs of the
 * images the plan untags or removes (their names are the plan's). `inspect` is
 * the engine now. The watch ends only after the suspects were looked at, so an
 * image another job removes openly meanwhile shows its own untag or delete.
 */
export async function movedNameIncidents(
  calls: readonly RemovalCall[],
  watch: ImageEventWatch,
  touched: ReadonlySet<string>,
  inspect: (idOrReference: string) => Promise<ImageState | undefined>,
): Promise<{ incidents: Incident[]; gaps: string[]; kept: KeptMidDelete[] }> {
  const gaps: string[] = [];
  const kept: KeptMidDelete[] = [];
  const naming = calls.filter((c) => c.untagged.length > 0);
  const deleting = calls.filter((c) => c.deleted);
  const suspects: { event: ImageEvent; call: RemovalCall; lost: { names: string[]; gone: boolean } }[] = [];
  const incidents: Incident[] = [];
  const done = new Set<string>();
  for (const event of naming.length > 0 || deleting.length > 0 ? await watch.seen() : []) {
    if (!NAMING.includes(event.action)) continue;
    const id = event.imageId && idHex(event.imageId);
    if (id && touched.has(id)) continue; // after the watch ends: see namedMidDelete
    // The call of ours nearest in time that untagged this name (the event's, else the ones the image had
    // when first looked at), or any name when neither is known.
    const names = event.reference ? [event.reference] : event.namesAtArrival?.length ? event.namesAtArrival : undefined;
    const byName = names && naming.filter((c) => c.untagged.some((n) => names.includes(n)));
    const call = nearest(byName?.length || event.reference ? (byName ?? []) : naming, event.time);
    if (!call) continue;
    const key = id ?? event.reference!;
    if (done.has(key)) continue;
    const lost = await lostNames(event, inspect);
    if (!lost) continue;
    done.add(key);
    suspects.push({ event, call, lost });
  }
  const { events, complete } = await watch.stop({ deleted: deleting.map((c) => c.imageId) });
  if (!complete) gaps.push(WATCH_GAP);
  // A name added to a planned image before our call read its names is the re-check's and the engine's 409's
  // business (or named in the answer); one added while our call deleted the image went with it unnamed.
  // Read from every event, the last moments' too: such a tag lands at the end of a call.
  const named = new Set<string>();
  for (const event of deleting.length > 0 ? events : []) {
    const id = event.imageId && idHex(event.imageId);
    if (!id || !touched.has(id) || !NAMING.includes(event.action)) continue;
    const { incident: lost, kept: survivor } = await namedMidDelete(event, deleting, inspect);
    if (survivor) kept.push(survivor);
    if (!lost || lost.untagged.every((n) => named.has(n))) continue;
    for (const n of lost.untagged) named.add(n);
    incidents.push(lost);
  }
  for (const { event, call, lost } of suspects) {
    // An untag or delete under its own ID is someone removing it openly (or the engine resolving the moved name, which the answer shows).
    const id = event.imageId && idHex(event.imageId);
    if (id && events.some((e) => (e.action === 'untag' || e.action === 'delete') && e.imageId && idHex(e.imageId) === id && e.time >= event.time)) continue;
    const when = new Date(event.time).toISOString();
    const what = id ? `image ${shortImageId(id)}` : `the image ${event.reference} named`;
    const names = lost.names.length > 0 ? lost.names.join(', ') : 'its name';
    incidents.push({
      imageId: call.imageId,
      call: call.call,
      untagged: lost.names.filter((n) => call.untagged.includes(n)),
      deleted: id && lost.gone ? [prefixedImageId(id)] : [],
      text:
        `${call.call} (for ${shortImageId(call.imageId)}) untagged ${call.untagged.join(', ')} while another job gave ${what} ` +
        `${lost.names.length > 0 ? names : 'a name'} (${event.action} at ${when}); it has lost ${names} since${lost.gone ? ' and is gone' : ''}, ` +
        'without an untag or delete of its own: the engine removes names by name, so this call most likely took it (the engine answers under the image it resolved)',
    });
  }
  return { incidents, gaps, kept };
}

/**
 * An image the engine said it deleted that still stands: the containerd store keeps an
 * image whose new name record came after the engine listed its names, though its answer
 * says `Deleted`. The result must not say removed.
 */
export interface KeptMidDelete {
  imageId: string;
  /** The names it stands under, given while our call ran. */
  names: string[];
}

/** The watch could not be read whole: a loss in the part not seen would go unreported, so the report says so. */
export const WATCH_GAP =
  "the engine's image events during the removals could not be read whole (the stream broke, or the engine had not logged this run's deletes 3 s after answering them): " +
  'a name another job gave an image while this run removed it may be lost without an incident; check `docker events --filter type=image` for that time';

const NAMING = ['tag', 'load', 'import', 'pull'];

/**
 * An image of the plan that got a name while our call deleted it, and the name is
 * gone with it: the engine read the image's names, the other job's tag landed,
 * the engine deleted the image (dockerd 20.10: the tag's record is left naming
 * nothing; the containerd store: the new name record's content is collected).
 * The answer names only what the engine read, so only the events tell.
 */
async function namedMidDelete(
  event: ImageEvent,
  deleting: readonly RemovalCall[],
  inspect: (idOrReference: string) => Promise<ImageState | undefined>,
): Promise<{ incident?: Incident; kept?: KeptMidDelete }> {
  const id = idHex(event.imageId!);
  const call = nearest(
    deleting.filter((c) => idHex(c.imageId) === id),
    event.time,
  );
  if (!call) return {};
  // Planned names are the plan's to remove; names the answer gave are incidents of the answer already.
  const given = (event.reference ? [event.reference] : (event.namesAtArrival ?? [])).filter((n) => !call.planned.includes(n) && !call.untagged.includes(n));
  const lost: string[] = [];
  const standing: string[] = [];
  for (const name of given) {
    // Still naming the image (the containerd store keeps an image whose name record came after its listing),
    // or moved on to another image since (that job's doing): not a loss.
    const holder = await inspect(name).catch(unlessEngineLost);
    if (holder && idHex(holder.id) === id) standing.push(name);
    if (!holder) lost.push(name);
  }
  const kept = standing.length > 0 ? { imageId: call.imageId, names: standing } : undefined;
  if (lost.length === 0) return { kept };
  const when = new Date(event.time).toISOString();
  const incident: Incident = {
    imageId: call.imageId,
    call: call.call,
    untagged: lost,
    deleted: [],
    text:
      `${call.call} (for ${shortImageId(call.imageId)}) deleted the image while another job gave it ${lost.join(', ')} (${event.action} at ${when}): ` +
      `the name went with the image, though the engine's answer names only ${call.untagged.length > 0 ? call.untagged.join(', ') : 'the image'} ` +
      '(the engine reads the names before it deletes; no API call closes that window)',
  };
  return { incident, kept };
}

/** A name the engine cannot show (404, or a name record whose content is gone: 500 on the containerd store) names no image; a lost engine is still an error. */
function unlessEngineLost(error: unknown): undefined {
  if (error instanceof EngineLostError || error instanceof EngineTimeoutError) throw error;
  return undefined;
}

/** What the image an event named has lost since, or undefined when nothing took it (or it moved on to another image). */
async function lostNames(event: ImageEvent, inspect: (idOrReference: string) => Promise<ImageState | undefined>): Promise<{ names: string[]; gone: boolean } | undefined> {
  if (!event.imageId) {
    // A pull names only the reference: lost when it names nothing now.
    return (await inspect(event.reference!)) ? undefined : { names: [event.reference!], gone: false };
  }
  const id = idHex(event.imageId);
  const now = await inspect(prefixedImageId(id));
  const given = event.reference ? [event.reference] : (event.namesAtArrival ?? []);
  if (given.length > 0) {
    const missing: string[] = [];
    for (const name of given) {
      if (now?.references.includes(name)) continue;
      // Moved on to yet another image: another job's doing, not a loss to this run.
      const holder = await inspect(name);
      if (holder && idHex(holder.id) !== id) continue;
      missing.push(name);
    }
    return missing.length > 0 ? { names: missing, gone: !now } : undefined;
  }
  // Nameless (or gone) right after it got a name, and still: it lost that name at once.
  if (event.namesAtArrival === undefined) return undefined; // not looked at: no evidence
  return now && now.references.length > 0 ? undefined : { names: [], gone: !now };
}

function nearest(calls: readonly RemovalCall[], time: number): RemovalCall | undefined {
  let best: RemovalCall | undefined;
  let bestDistance = Infinity;
  for (const c of calls) {
    const distance = time < c.sentAt ? c.sentAt - time : time > c.answeredAt ? time - c.answeredAt : 0;
    if (distance <= CALL_SLACK_MS && distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}
