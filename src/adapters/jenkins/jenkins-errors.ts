import type { IncomingHttpHeaders } from 'node:http';
import { BridgeError, PermanentError, TransientError, isAbortError, networkErrorCode } from '../../core/errors';
import { NotJsonAnswer } from './jenkins-client';

export const SYSTEM = 'jenkins';

/** What the adapter was doing, for messages: `triggering "team/app"`. */
export interface ErrorContext {
  what: string;
  user: string;
}

/** The fields papi/jenkins put on their errors (papi/lib/errors.js, jenkins/lib/jenkins.js `_onResponse`). */
interface PapiErrorFields {
  isPapi?: boolean;
  isTimeout?: boolean;
  isCodec?: boolean;
  isValidation?: boolean;
  isAbort?: boolean;
  notFound?: boolean;
  res?: { statusCode?: number; headers?: IncomingHttpHeaders; body?: unknown };
  response?: { statusCode?: number; headers?: IncomingHttpHeaders; body?: unknown };
}

export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as PapiErrorFields;
  if (e.notFound) return 404; // the client's notFound middleware replaces the error and drops `res`
  return e.res?.statusCode ?? e.response?.statusCode;
}

export function headersOf(error: unknown): IncomingHttpHeaders {
  const e = error as PapiErrorFields | null;
  return e?.res?.headers ?? e?.response?.headers ?? {};
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const decodeEntities = (s: string): string => s.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m] ?? m);

/**
 * Jenkins' own words for an error: the `X-Error` header, else Jetty's error page MESSAGE cell or
 * title, else a short plain-text body. Bounded; never contains request headers.
 */
export function jenkinsMessage(headers: IncomingHttpHeaders, body: unknown): string | undefined {
  const xError = headers['x-error'];
  if (typeof xError === 'string' && xError.trim()) return xError.trim().slice(0, 300);
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  if (!text.trim()) return undefined;
  const cell = /<th>\s*MESSAGE:\s*<\/th>\s*<td>([\s\S]*?)<\/td>/i.exec(text)?.[1];
  const title = /<title>([\s\S]*?)<\/title>/i.exec(text)?.[1]?.replace(/^\s*Error\s+\d{3}\s*/i, '');
  const plain = /<[a-z!]/i.test(text) ? undefined : text;
  const chosen = cell ?? title ?? plain;
  if (!chosen) return undefined;
  const oneLine = decodeEntities(chosen.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
  return oneLine ? oneLine.slice(0, 300) : undefined;
}

function messageOf(error: unknown): string | undefined {
  const e = error as PapiErrorFields | null;
  const res = e?.res ?? e?.response;
  return res ? jenkinsMessage(res.headers ?? {}, res.body) : undefined;
}

function retryAfterMs(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers['retry-after'];
  if (typeof raw !== 'string') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Status → error, shared by the client calls and the raw fetch streams. */
export function errorForStatus(
  status: number,
  headers: IncomingHttpHeaders,
  jenkinsSays: string | undefined,
  ctx: ErrorContext,
  cause?: unknown,
): BridgeError {
  const says = jenkinsSays ? `: ${jenkinsSays}` : '';
  if (status === 401) {
    return new PermanentError(
      `Jenkins rejected the credentials of user "${ctx.user}" while ${ctx.what} (authentication/permission, HTTP 401); check the user and its API token`,
      'ConfigurationError',
      { cause },
    );
  }
  if (status === 403) {
    const needs = typeof headers['x-required-permission'] === 'string' ? `, needs ${headers['x-required-permission']}` : '';
    return new PermanentError(
      `Jenkins denied user "${ctx.user}" while ${ctx.what} (authentication/permission, HTTP 403${needs})${says}`,
      'ConfigurationError',
      { cause },
    );
  }
  if (status === 429) {
    const wait = retryAfterMs(headers);
    return new TransientError(`Jenkins throttled the request while ${ctx.what} (HTTP 429)`, SYSTEM, {
      cause,
      throttled: true,
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    });
  }
  if (status >= 500 || status === 408) {
    const wait = retryAfterMs(headers);
    return new TransientError(`Jenkins answered HTTP ${status} while ${ctx.what}${says}`, SYSTEM, {
      cause,
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    });
  }
  if (status >= 300 && status < 400) {
    // An SSO proxy sends API calls to its identity provider; Jenkins itself does not redirect them.
    const location = typeof headers.location === 'string' ? headers.location : '';
    let where = 'elsewhere';
    try {
      const url = new URL(location);
      where = `${url.origin}${url.pathname}`;
    } catch {
      /* relative or missing Location */
    }
    return new PermanentError(
      `Jenkins redirected the request (HTTP ${status}) to ${where} while ${ctx.what} — a login or SSO page? Check the Jenkins URL and that user "${ctx.user}" authenticates with an API token`,
      'ConfigurationError',
      { cause },
    );
  }
  return new PermanentError(`Jenkins refused the request while ${ctx.what} (HTTP ${status})${says}`, 'ConfigurationError', { cause });
}

/**
 * Translates whatever the `jenkins` client (papi over node:http) threw into the core taxonomy.
 * Callers handle their expected statuses (404, 303, …) before calling this.
 */
export function toBridgeError(error: unknown, ctx: ErrorContext): Error {
  if (error instanceof BridgeError) return error;
  // The caller's AbortSignal fired: rethrown as is, the core stops rather than retries.
  if (isAbortError(error)) return error as Error;
  if (error instanceof NotJsonAnswer) {
    const html = /html/i.test(error.contentType);
    return new PermanentError(
      html
        ? `Jenkins answered HTML (login page?) while ${ctx.what}; check the Jenkins URL and that user "${ctx.user}" authenticates with an API token`
        : `Jenkins answered ${error.contentType || 'a non-JSON document'} instead of JSON while ${ctx.what}; is the URL a Jenkins?`,
      'ConfigurationError',
      { cause: error },
    );
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as PapiErrorFields;
  const status = statusOf(error);
  if (status !== undefined) {
    if (status === 404) return new PermanentError(`Jenkins found nothing (HTTP 404) while ${ctx.what}`, 'ConfigurationError', { cause: error });
    return errorForStatus(status, headersOf(error), messageOf(error), ctx, error);
  }
  if (e.isTimeout) return new TransientError(`Jenkins did not answer in time while ${ctx.what}`, SYSTEM, { cause: error });
  const code = networkErrorCode(error);
  if (code) return new TransientError(`Jenkins is unreachable (${code}) while ${ctx.what}`, SYSTEM, { cause: error });
  if (e.isCodec) return new TransientError(`Jenkins sent a malformed answer while ${ctx.what}`, SYSTEM, { cause: error });
  if (e.isAbort) return new TransientError(`the request to Jenkins was aborted while ${ctx.what}`, SYSTEM, { cause: error });
  // A bug on our side (papi's request validation, a TypeError): do not dress it up as retryable.
  if (e.isValidation && error instanceof Error) return error;
  if (!e.isPapi && error instanceof Error && typeof (error as { code?: unknown }).code !== 'string') return error;
  return new TransientError(`Jenkins request failed while ${ctx.what}: ${String((error as Error)?.message ?? error)}`, SYSTEM, { cause: error });
}
