import { createHash, timingSafeEqual } from 'node:crypto';

export type CredentialCheck = 'ok' | 'missing' | 'wrong';

/**
 * The two ways an EventBridge connection can carry our token to an API destination:
 * - API_KEY connection, header `Authorization`, value `Bearer <token>`;
 * - BASIC connection (`Authorization: Basic base64(user:password)`): any user, the password is the token.
 * Both sides are hashed before timingSafeEqual, so lengths match and the time taken says nothing
 * about the token. The token itself is never logged (the Bridge registers it with the redactor).
 */
export function checkEventCredential(expected: string, authorization: string | undefined): CredentialCheck {
  const offered = offeredToken(authorization);
  if (offered === undefined) return 'missing';
  return sameSecret(offered, expected) ? 'ok' : 'wrong';
}

function offeredToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer\s+(\S.*?)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // RFC 7617: the user id has no colon, the password may. No colon → no password → wrong.
    return colon < 0 ? '' : decoded.slice(colon + 1);
  }
  // Another scheme (or a bare token without "Bearer "): a credential, but not one we accept.
  return '';
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
