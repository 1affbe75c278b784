/** Builds that may have started since the newest number we know of (and slack for the estimate). */
export const WINDOW_MARGIN = 100;
/** Upper bound of one list read (~250 bytes a build with the status tree: ≤ ~0.5 MB). */
export const MAX_WINDOW = 2000;

/**
 * How many of a job's newest builds one `allBuilds{0,K}` read must return to contain every followed
 * build. `allBuilds` is newest first, so build n sits at index (number of existing builds newer than
 * n) ≤ newest − n; deleted builds only make that smaller. `newest` is the job's lastBuild as the
 * previous round saw it (or the newest followed number), and the margin covers builds started since.
 * Followed builds beyond the cap (or beyond a burst of new builds) are read one by one that round.
 */
export function buildWindow(followed: readonly number[], lastSeenNewest?: number): number {
  if (followed.length === 0) return WINDOW_MARGIN;
  let oldest = Number.POSITIVE_INFINITY;
  let newest = lastSeenNewest ?? 0;
  for (const n of followed) {
    if (n < oldest) oldest = n;
    if (n > newest) newest = n;
  }
  return Math.min(MAX_WINDOW, Math.max(1, newest - oldest + 1 + WINDOW_MARGIN));
}
