/**
 * The queue item id from a trigger's `Location` header. Only `/queue/item/<id>/` counts: a 302 to
 * the job URL (nothing queued) must not yield a number, which the `jenkins` client's own
 * "second-last path segment" parsing does for a job named `123` (jenkins.md §1, NJ queueLocation).
 * The host part is ignored: Jenkins builds it from the request, so it can be an internal name.
 */
const QUEUE_ITEM = /\/queue\/item\/(\d+)\/?$/;

export function queueIdFromLocation(location: string | string[] | undefined): number | undefined {
  if (typeof location !== 'string') return undefined;
  let path: string;
  try {
    path = new URL(location, 'http://placeholder.invalid/').pathname;
  } catch {
    return undefined;
  }
  const match = QUEUE_ITEM.exec(path);
  if (!match) return undefined;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}
