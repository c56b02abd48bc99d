// How dockerode reports an Engine API failure: the HTTP status and the engine's own message.

export function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number })?.statusCode;
}

export function messageOf(error: unknown): string {
  const e = error as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? e?.message ?? String(error);
}

/** 404, or Podman's 500 for a container or image removed while we looked at it. */
export function isGone(error: unknown): boolean {
  return statusOf(error) === 404 || /no such (container|image)|does not exist in database/i.test(messageOf(error));
}

/** The answer of an inspect: undefined when the object is gone (404), else the error. */
export async function unlessMissing<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** The answer of a delete without force: 404 is gone, 409 is in use (skipped, never forced). */
export async function removal<T extends { status: 'done' }>(call: () => Promise<T>): Promise<T | { status: 'gone' } | { status: 'conflict'; message: string }> {
  try {
    return await call();
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) return { status: 'gone' };
    if (status === 409) return { status: 'conflict', message: messageOf(error) };
    throw error;
  }
}

/** How long a whole-store read is asked again, the first pause between tries (doubled each time) and the longest. */
export const STORE_READ_WINDOW_MS = 20_000;
const FIRST_PAUSE_MS = 25;
const LONGEST_PAUSE_MS = 1_000;

/**
 * A read of the whole image store (image list, system df), asked again while it meets images
 * that go or arrive meanwhile. On the containerd store a read that walks every image fails with
 * "content digest … not found" or "snapshot … does not exist" when another job removes an image
 * or finishes a load; the next read no longer meets it. With 8 jobs loading and removing at full
 * speed, 28% of image lists and 35% of df calls failed once on dockerd 28.5, 1 to 2% on 26.1;
 * none needed more than 4 tries. dockerd 20.10 rarely fails such a read (500 "layer does not
 * exist"). Podman 4.3 answers 500 "image not known", and under such churn each of its reads takes
 * seconds and needed up to 11 tries: hence a time window, not a count (test/engine/faults.test.ts,
 * "store reads"). Each try has the call's own deadline.
 */
export async function readRacingChanges<T>(read: () => Promise<T>, windowMs = STORE_READ_WINDOW_MS, firstPauseMs = FIRST_PAUSE_MS): Promise<T> {
  const until = Date.now() + windowMs;
  for (let pause = firstPauseMs; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    try {
      return await read();
    } catch (error) {
      if (!metAChange(error) || Date.now() + pause >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * The store read met an image that went while it read: the containerd store's 404, Podman's 500
 * "image not known", the graph driver's 500 "layer does not exist" (dockerd 20.10, 1 of 72 reads
 * in a CI run of "store reads").
 */
function metAChange(error: unknown): boolean {
  return statusOf(error) === 404 || wentMidRead(error);
}

/** The 500 of an image removed while the engine read it: Podman's "image not known", dockerd 20.10's "layer does not exist". */
export function wentMidRead(error: unknown): boolean {
  return statusOf(error) === 500 && /image not known|layer does not exist/i.test(messageOf(error));
}
