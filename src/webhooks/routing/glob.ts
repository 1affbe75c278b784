import picomatch from 'picomatch';

export type GlobMatcher = (value: string) => boolean;

/**
 * Any-of glob matching with picomatch: `*` stops at `/` (`release/*` matches `release/1.2`, not
 * `release/1/2`), `**` crosses it (`src/**`). `dot: true` because a file like `src/.env` or a
 * branch like `.hotfix` is as much a change as any other.
 */
export function globMatcher(patterns: readonly string[], options: { nocase?: boolean } = {}): GlobMatcher {
  const isMatch = picomatch([...patterns], { dot: true, nocase: options.nocase ?? false });
  return (value) => isMatch(value);
}

/** Throws when picomatch cannot compile a pattern (config validation reports it against the key). */
export function checkGlob(pattern: string): void {
  picomatch.makeRe(pattern, { dot: true });
}
