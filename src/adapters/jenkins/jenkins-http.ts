import type { IncomingHttpHeaders } from 'node:http';
import { BridgeError, TransientError, networkErrorCode } from '../../core/errors';
import { SYSTEM, errorForStatus, jenkinsMessage, type ErrorContext } from './jenkins-errors';
import type { JenkinsSettings } from './jenkins-options';

const MAX_REDIRECTS = 5;

/**
 * Streaming GETs (artifacts, console text) over fetch, which the `jenkins` client cannot do
 * (papi buffers every body). Redirects are followed by hand: a Resource Root URL or an artifact
 * manager sends file downloads to another host with a token in the URL, and the Authorization
 * header must not travel there (jenkins.md §3 Artifacts).
 *
 * Resolves with 2xx and 404 responses (the caller names what was missing); other statuses throw.
 * `requestTimeoutMs` bounds the wait for response headers only: a long download is governed by
 * `signal`, not by a per-request timer.
 */
export async function jenkinsGet(settings: JenkinsSettings, url: URL, ctx: ErrorContext, signal?: AbortSignal): Promise<Response> {
  signal?.throwIfAborted();
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(), settings.requestTimeoutMs);
  const combined = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      const sameOrigin = current.origin === settings.base.origin;
      const res = await fetch(current, {
        headers: sameOrigin ? { authorization: settings.authorization } : {},
        redirect: 'manual',
        signal: combined,
      });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
        await res.body?.cancel().catch(() => undefined);
        current = new URL(location, current);
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || res.status === 404) return res;
      throw errorForStatus(res.status, headersOf(res), jenkinsMessage(headersOf(res), await snippet(res)), ctx);
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (timer.signal.aborted) {
      throw new TransientError(`Jenkins did not answer within ${settings.requestTimeoutMs} ms while ${ctx.what}`, SYSTEM, { cause: error });
    }
    if (error instanceof BridgeError) throw error;
    const code = networkErrorCode(error);
    throw new TransientError(`Jenkins is unreachable${code ? ` (${code})` : ''} while ${ctx.what}`, SYSTEM, { cause: error });
  } finally {
    clearTimeout(timeout);
  }
}

function headersOf(res: Response): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  res.headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/** The start of an error body, for Jenkins' message; the rest is discarded. */
async function snippet(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 8192) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}
