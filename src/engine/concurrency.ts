/** Runs fn over items with at most `limit` calls in flight; results keep input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A promise's outcome, held without throwing. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * Like mapConcurrent, but each of the `limit` workers starts `ahead` for its
 * next item while `fn` works on the current one, so a cheap read (ahead) runs
 * while the engine is busy with a slow write (fn) instead of between writes.
 */
export async function mapConcurrentAhead<T, A, R>(
  items: readonly T[],
  limit: number,
  ahead: (item: T) => Promise<A>,
  fn: (item: T, prepared: Settled<A>, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const start = () => {
    const index = next++;
    if (index >= items.length) return undefined;
    let preparing: Promise<A>;
    try {
      preparing = ahead(items[index]); // called now, not a tick later: before fn's writes
    } catch (error) {
      preparing = Promise.reject(error);
    }
    return { index, prepared: settle(preparing) };
  };
  const worker = async () => {
    let current = start();
    while (current) {
      const prepared = await current.prepared;
      const following = start();
      results[current.index] = await fn(items[current.index], prepared, current.index);
      current = following;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
