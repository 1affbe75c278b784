/** Git ref conventions shared by every sender. */

/** `before`/`after` of a created or deleted ref: 40 zeros (SHA-1) or 64 (SHA-256 repositories). */
export function isZeroSha(sha: string | undefined): boolean {
  return sha !== undefined && /^0{40}(0{24})?$/.test(sha);
}

export type ParsedRef = { kind: 'branch' | 'tag'; name: string } | { kind: 'other'; name: string };

/** `refs/heads/release/1.2` → branch `release/1.2`; `refs/tags/v1` → tag `v1`; anything else is other. */
export function parseRef(ref: string): ParsedRef {
  if (ref.startsWith('refs/heads/')) return { kind: 'branch', name: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { kind: 'tag', name: ref.slice('refs/tags/'.length) };
  return { kind: 'other', name: ref };
}
