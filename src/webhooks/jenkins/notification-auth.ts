import { createHash, timingSafeEqual } from 'node:crypto';

/** What the request offered as a credential; never logged. */
export interface OfferedCredential {
  /** `?token=` (a repeated parameter arrives as an array and counts as wrong). */
  queryToken: unknown;
  /** The `Authorization` header, if any. */
  authorization: string | undefined;
}

export type CredentialCheck = 'ok' | 'missing' | 'wrong';

/**
 * Checks the two ways the Notification plugin can carry a credential (jenkins.md §4, NOTIF
 * Protocol.HTTP): a token in the endpoint URL's query, or `user:password@` userinfo in the endpoint
 * URL, which the plugin turns into `Authorization: Basic` (any user name; the password is the token).
 *
 * The plugin base64-encodes the userinfo exactly as written in the URL, still percent-encoded
 * (Java's URL#getUserInfo), so a token with `@`, `:` or `%` reaches us encoded: the decoded form
 * is accepted as well. Comparisons hash both sides first so timingSafeEqual always sees equal
 * lengths and the time taken says nothing about the token.
 */
export function checkJenkinsCredential(expected: string, offered: OfferedCredential): CredentialCheck {
  const candidates: string[] = [];
  if (offered.queryToken !== undefined) candidates.push(typeof offered.queryToken === 'string' ? offered.queryToken : '');
  const password = basicPassword(offered.authorization);
  if (password !== undefined) {
    candidates.push(password);
    const decoded = percentDecoded(password);
    if (decoded !== undefined && decoded !== password) candidates.push(decoded);
  }
  if (candidates.length === 0) return 'missing';
  // Every candidate is compared (no early exit), so which form matched does not show in the timing.
  let matched = false;
  for (const candidate of candidates) matched = sameSecret(candidate, expected) || matched;
  return matched ? 'ok' : 'wrong';
}

/** The password of `Authorization: Basic base64(user:password)`; undefined for any other scheme. */
export function basicPassword(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]*)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // RFC 7617: the user id cannot contain a colon, the password can.
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function percentDecoded(value: string): string | undefined {
  if (!value.includes('%')) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
