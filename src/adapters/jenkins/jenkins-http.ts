import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { BridgeError, TransientError, networkErrorCode } from '../../core/errors';
import { SYSTEM, errorForStatus, jenkinsMessage, type ErrorContext } from './jenkins-errors';
import type { JenkinsSettings } from './jenkins-options';

const MAX_REDIRECTS = 5;
/**
 * Idle keep-alive sockets are closed after this long: below the 5 s keep-alive timeout of Node
 * servers and Jetty's 30 s idle timeout, so a reused socket is rarely one the server is closing.
 * A shorter `Keep-Alive: timeout=N` announced by the server wins (Node's agent honours it).
 */
const IDLE_SOCKET_MS = 4_000;
/** Error bodies are read this far for Jenkins' message; small bodies are drained to keep the socket. */
const SNIPPET_BYTES = 8192;
const DRAIN_MAX_BYTES = 64 * 1024;

/**
 * Keep-alive connection pools for every stream GET of the process (artifacts, console text), like
 * fetch's global dispatcher: a build with 2,000 small artifacts is 2,000 GETs, and a new TCP (and
 * TLS) connection for each costs more than the file. The agent unrefs idle sockets, so they never
 * keep the process alive.
 */
const AGENTS: Record<string, http.Agent> = {
  'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

export interface JenkinsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /**
   * The body as sent (no content decoding; none is asked for). Read it to the end or pass it to
   * `discardBody`. Aborting the request's signal destroys it with the signal's reason.
   */
  body: IncomingMessage;
}

/**
 * Streaming GETs (artifacts, console text) over node:http, which the `jenkins` client cannot do
 * (papi buffers every body). node:http rather than fetch: the body is a Node stream with no
 * WHATWG-stream adapter in between, which halves the client CPU per small artifact. Redirects are
 * followed by hand: a Resource Root URL or an artifact manager sends file downloads to another
 * host with a token in the URL, and the Authorization header must not travel there (jenkins.md §3
 * Artifacts).
 *
 * Resolves with 2xx and 404 responses (the caller names what was missing); other statuses throw.
 * `requestTimeoutMs` bounds the wait for response headers only: a long download is governed by
 * `signal`, not by a per-request timer.
 */
export async function jenkinsGet(settings: JenkinsSettings, url: URL, ctx: ErrorContext, signal?: AbortSignal): Promise<JenkinsResponse> {
  signal?.throwIfAborted();
  let timedOut = false;
  let pending: ClientRequest | undefined;
  const timeout = setTimeout(() => {
    timedOut = true;
    pending?.destroy(Object.assign(new Error(`no response within ${settings.requestTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
  }, settings.requestTimeoutMs);
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      const sameOrigin = current.origin === settings.base.origin;
      const res = await get(current, sameOrigin ? { authorization: settings.authorization } : {}, signal, (req) => (pending = req));
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location && hop < MAX_REDIRECTS) {
        discard(res);
        current = new URL(location, current);
        continue;
      }
      if ((status >= 200 && status < 300) || status === 404) {
        if (signal) destroyOnAbort(res, signal);
        return { status, headers: res.headers, body: res };
      }
      throw errorForStatus(status, res.headers, jenkinsMessage(res.headers, await snippet(res)), ctx);
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (timedOut) {
      throw new TransientError(`Jenkins did not answer within ${settings.requestTimeoutMs} ms while ${ctx.what}`, SYSTEM, { cause: error });
    }
    if (error instanceof BridgeError) throw error;
    const code = networkErrorCode(error);
    throw new TransientError(`Jenkins is unreachable${code ? ` (${code})` : ''} while ${ctx.what}`, SYSTEM, { cause: error });
  } finally {
    clearTimeout(timeout);
  }
}

/** Lets go of a body that will not be read: small ones are drained so the socket can be reused. */
export function discardBody(res: JenkinsResponse): void {
  discard(res.body);
}

function discard(res: IncomingMessage): void {
  const length = Number(res.headers['content-length']);
  if (Number.isFinite(length) && length <= DRAIN_MAX_BYTES) {
    res.on('error', () => undefined);
    res.resume();
  } else {
    res.destroy();
  }
}

/**
 * One GET, resolved at the response headers. A keep-alive socket the server closed while it sat
 * idle fails before any byte of the answer (ECONNRESET on a reused socket): that request never
 * reached Jenkins, so it is sent once more on a fresh socket.
 */
function get(url: URL, headers: OutgoingHttpHeaders, signal: AbortSignal | undefined, started: (req: ClientRequest) => void, retried = false): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, { method: 'GET', headers, agent: AGENTS[url.protocol] });
    started(req);
    const onAbort = (): void => {
      req.destroy(signal?.reason instanceof Error ? signal.reason : undefined);
    };
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('response', (res) => {
      if (settle()) resolve(res);
      else res.destroy();
    });
    // Not once: a socket error after the headers is emitted here too (the body gets it as well).
    req.on('error', (error: Error & { code?: string }) => {
      if (!settle()) return;
      if (!retried && req.reusedSocket && error.code === 'ECONNRESET' && !signal?.aborted) {
        get(url, headers, signal, started, true).then(resolve, reject);
        return;
      }
      reject(error);
    });
    req.end();
  });
}

/** Aborting after the headers arrived must still stop the body download. */
function destroyOnAbort(res: IncomingMessage, signal: AbortSignal): void {
  const onAbort = (): void => {
    res.destroy(signal.reason instanceof Error ? signal.reason : new Error('The Jenkins download was aborted'));
  };
  if (signal.aborted) return onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  // Jobs download thousands of files under one signal: every listener goes with its response.
  res.once('close', () => signal.removeEventListener('abort', onAbort));
}

/** The start of an error body, for Jenkins' message; the rest is discarded. */
async function snippet(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= SNIPPET_BYTES) break;
    }
  } catch {
    // The message is a courtesy; the status decides.
  } finally {
    res.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}
