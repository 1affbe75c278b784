import pLimit from 'p-limit';

/**
 * `Promise.allSettled(items.map(fn))` with at most `limit` calls in flight: a status round that
 * finds 500 queue items gone must not open 500 connections to Jenkins at once.
 */
export function settleLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const run = pLimit(Math.max(1, limit));
  return Promise.allSettled(items.map((item) => run(() => fn(item))));
}
