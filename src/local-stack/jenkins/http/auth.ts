import { createHash, randomBytes } from 'node:crypto';
import type { SimUser } from '../types';
import type { Principal } from './sim-request';

export const CRUMB_FIELD = 'Jenkins-Crumb';

export type AuthOutcome = { kind: 'anonymous' } | { kind: 'invalid'; user: string } | { kind: 'ok'; principal: Principal };

/**
 * Basic auth against configured users plus DefaultCrumbIssuer semantics: the crumb is a SHA-256
 * over user, HTTP session id and a per-instance salt (≥ 2.176.2, SECURITY-626), so a crumb is only
 * valid together with the `JSESSIONID.<8 hex>` cookie it was issued with.
 */
export class Authenticator {
  /** Jetty names the session cookie JSESSIONID.<hash of the instance>. */
  readonly cookieName = `JSESSIONID.${randomBytes(4).toString('hex')}`;
  private readonly salt = randomBytes(16).toString('hex');
  private readonly sessions = new Map<string, string>();

  constructor(private readonly users: readonly SimUser[]) {}

  authenticate(authorization: string | undefined): AuthOutcome {
    if (!authorization) return { kind: 'anonymous' };
    const match = /^Basic\s+(\S+)$/i.exec(authorization.trim());
    if (!match) return { kind: 'anonymous' };
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const secret = colon < 0 ? '' : decoded.slice(colon + 1);
    const known = this.users.find((u) => u.user === user);
    if (known && secret === known.apiToken) return { kind: 'ok', principal: { user, kind: 'token' } };
    if (known && known.password !== undefined && secret === known.password) return { kind: 'ok', principal: { user, kind: 'password' } };
    return { kind: 'invalid', user };
  }

  /** `GET /crumbIssuer/api/json`: reuses the caller's session or opens one (Set-Cookie). */
  issueCrumb(user: string, cookieHeader: string | undefined): { crumb: string; setCookie?: string } {
    let session = this.sessionOf(cookieHeader);
    let setCookie: string | undefined;
    if (!session) {
      session = `node0${randomBytes(12).toString('hex')}`;
      this.sessions.set(session, user);
      setCookie = `${this.cookieName}=${session}.node0; Path=/; HttpOnly`;
    }
    return { crumb: this.crumbFor(user, session), setCookie };
  }

  crumbValid(user: string, cookieHeader: string | undefined, crumb: string | undefined): boolean {
    const session = this.sessionOf(cookieHeader);
    return crumb !== undefined && session !== undefined && crumb === this.crumbFor(user, session);
  }

  private crumbFor(user: string, session: string): string {
    return createHash('sha256').update(`${user}${session}${this.salt}`).digest('hex');
  }

  private sessionOf(cookieHeader: string | undefined): string | undefined {
    for (const part of (cookieHeader ?? '').split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name !== this.cookieName) continue;
      const id = rest.join('=').replace(/\.node0$/, '');
      if (this.sessions.has(id)) return id;
    }
    return undefined;
  }
}
