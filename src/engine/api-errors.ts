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
