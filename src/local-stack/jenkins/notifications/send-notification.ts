import http from 'node:http';
import https from 'node:https';

export interface SendOptions {
  /** `Basic …`, or undefined. */
  authorization: string | undefined;
  /** Connect and read timeout, as HttpURLConnection#setConnectTimeout/setReadTimeout. */
  timeoutMs: number;
  signal: AbortSignal;
}

export interface SendOutcome {
  status: number;
  redirectedTo?: string;
}

/** Thrown for a delivery that got no HTTP answer; `message` reads like the plugin's console line. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

/**
 * POSTs one notification as NOTIF Protocol.HTTP does: `Content-Type: application/json;charset=UTF-8`,
 * fixed-length body, Basic auth from the URL's userinfo (or the given header), the answer's status
 * read and otherwise ignored (no error for 4xx/5xx), and a 307 followed once by re-sending to its
 * Location. The re-sent request carries only what the Location itself carries (its userinfo, its
 * query): the plugin builds the new request from that URL alone.
 */
export async function sendNotification(url: URL, body: Buffer, options: SendOptions): Promise<SendOutcome> {
  const first = await post(url, body, options.authorization ?? userinfoAuthorization(url), options);
  if (first.status !== 307 || !first.location) return { status: first.status };
  let next: URL;
  try {
    next = new URL(first.location, url);
  } catch {
    throw new DeliveryError(`java.net.MalformedURLException: ${first.location}`);
  }
  const second = await post(next, body, userinfoAuthorization(next), options);
  return { status: second.status, redirectedTo: withoutUserinfo(next).href };
}

/** Java's URL#getUserInfo is the raw (still percent-encoded) userinfo, base64-encoded as is. */
export function userinfoAuthorization(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  return `Basic ${Buffer.from(`${url.username}:${url.password}`, 'utf8').toString('base64')}`;
}

export function withoutUserinfo(url: URL): URL {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy;
}

function post(url: URL, body: Buffer, authorization: string | undefined, options: SendOptions): Promise<{ status: number; location?: string }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new DeliveryError(`java.lang.IllegalArgumentException: Not an http(s) url: ${withoutUserinfo(url).href}`));
  }
  const target = withoutUserinfo(url);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': String(body.length),
    'User-Agent': 'Java/21.0.5',
    Accept: 'text/html, image/gif, image/jpeg, */*; q=0.2',
  };
  if (authorization) headers['Authorization'] = authorization;
  return new Promise((resolve, reject) => {
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      headers,
      // No pooled sockets: nothing stays open after the simulator closes.
      agent: false,
      signal: options.signal,
    });
    request.setTimeout(options.timeoutMs, () => request.destroy(new DeliveryError('java.net.SocketTimeoutException: Read timed out')));
    request.on('response', (response) => {
      response.resume();
      const location = response.headers.location;
      resolve(location ? { status: response.statusCode ?? 0, location } : { status: response.statusCode ?? 0 });
    });
    request.on('error', (error: NodeJS.ErrnoException) => reject(error instanceof DeliveryError ? error : new DeliveryError(javaMessage(error))));
    request.end(body);
  });
}

function javaMessage(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'java.net.ConnectException: Connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `java.net.UnknownHostException: ${error.message}`;
    case 'ECONNRESET':
      return 'java.net.SocketException: Connection reset';
    case 'ABORT_ERR':
      return 'java.io.InterruptedIOException: delivery aborted (simulator closing)';
    default:
      return `java.io.IOException: ${error.message}`;
  }
}
