import { PermanentError } from '../../core/errors';
import { CrumbJson } from './jenkins-json';
import type { CrumbIssuerOption, JenkinsClient } from './jenkins-client';
import type { CrumbMode } from './jenkins-options';

interface Crumb {
  headerName: string;
  headerValue: string;
  /** `JSESSIONID.<hex>=...`: since 2.176.2 a crumb is only valid with the session it was issued in. */
  cookies?: string;
}

/**
 * Crumb for `crumb: 'auto'`: fetched on the first POST and shared by every later one, instead of
 * the `jenkins` client's GET /crumbIssuer before EVERY POST. Dropped (and refetched once by the
 * runner) when Jenkins answers 403 "No valid crumb" — the session expired or Jenkins restarted.
 * A 404 from the crumb issuer means CSRF protection is off: POST without a crumb.
 */
export class CrumbCache {
  private pending: Promise<Crumb | null> | undefined;

  readonly issuer = async (client: JenkinsClient): Promise<Partial<Crumb>> => {
    if (!this.pending) {
      const fetching = fetchCrumb(client);
      this.pending = fetching;
      // A failed fetch must not stick: the next POST tries again.
      fetching.catch(() => {
        if (this.pending === fetching) this.pending = undefined;
      });
    }
    return (await this.pending) ?? {};
  };

  invalidate(): void {
    this.pending = undefined;
  }
}

async function fetchCrumb(client: JenkinsClient): Promise<Crumb | null> {
  let body: unknown;
  try {
    body = await client.crumbIssuer.get();
  } catch (error) {
    if ((error as { res?: { statusCode?: number } }).res?.statusCode === 404) return null;
    throw error;
  }
  const parsed = CrumbJson.safeParse(body);
  if (!parsed.success) {
    throw new PermanentError('Jenkins /crumbIssuer/api/json answered an unexpected document (no crumb)', 'ConfigurationError');
  }
  // The client collects Set-Cookie name=value pairs into `cookies` for DefaultCrumbIssuer.
  const cookies = (body as { cookies?: unknown }).cookies;
  return {
    headerName: parsed.data.crumbRequestField,
    headerValue: parsed.data.crumb,
    ...(Array.isArray(cookies) && cookies.length > 0 ? { cookies: cookies.map(String).join('; ') } : {}),
  };
}

/** The `crumbIssuer` option for the client in each mode. */
export function crumbIssuerOption(mode: CrumbMode, cache: CrumbCache): CrumbIssuerOption {
  switch (mode) {
    case 'never':
      return false;
    case 'always':
      return true;
    case 'auto':
      return cache.issuer;
  }
}

/** Jenkins' CrumbFilter rejection: 403 with "No valid crumb was included in the request". */
export function isCrumbRejection(error: unknown): boolean {
  const res = (error as { res?: { statusCode?: number; body?: unknown } } | null)?.res;
  if (res?.statusCode !== 403) return false;
  const body = Buffer.isBuffer(res.body) ? res.body.toString('utf8') : String(res.body ?? '');
  return /crumb/i.test(body);
}
