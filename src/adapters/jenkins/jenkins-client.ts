import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { JenkinsSettings } from './jenkins-options';

/**
 * The `jenkins` npm client (1.1.0, untyped; `@types/jenkins` describes another API), one instance
 * per adapter call so that the call's AbortSignal and its last response travel with it.
 *
 * Only the object-argument forms are used: the client's `utils.parse` takes the LAST object argument
 * as its options, so `job.build("x", { A: "1" })` silently triggers a plain `/build` without the
 * parameters (jenkins.md §5, defect 4). `job.build({ name, parameters })` is the safe form.
 */
export interface JenkinsClient {
  info(opts: { tree: string }): Promise<unknown>;
  job: {
    get(opts: { name: string; tree: string }): Promise<unknown>;
    /** Resolves with the client's own queue-id guess (NaN on a 302 to the job): not used, see queue-location.ts. */
    build(opts: { name: string; parameters?: Record<string, string> }): Promise<unknown>;
  };
  queue: {
    item(opts: { number: number; tree: string }): Promise<unknown>;
    /** Resolves with the `items` array of `/queue/api/json`. */
    list(opts: { tree: string }): Promise<unknown>;
    /** Deprecated `/queue/item/N/cancelQueue`, and it requires a 302 where Jenkins answers 204: unused. */
    cancel(opts: { number: number }): Promise<void>;
  };
  build: {
    get(opts: { name: string; number: number; tree: string }): Promise<unknown>;
    stop(opts: { name: string; number: number }): Promise<void>;
  };
  crumbIssuer: { get(): Promise<unknown> };
  /** papi's POST primitive (the client's base class), for `/queue/cancelItem` which the client lacks. */
  _post(request: { name: string; path: string; query?: Record<string, string> }): Promise<unknown>;
  _ext(event: 'onCreate' | 'onResponse', fn: PapiExtension): void;
}

/** papi's per-request state as extensions see it (papi/lib/client.js `_request`). */
interface PapiRequestState {
  opts: { path?: string; method?: string };
  res?: IncomingMessage & { body?: unknown };
  err?: unknown;
  /** papi aborts the HTTP request when this emitter emits `cancel` (its only cancellation hook). */
  ctx?: EventEmitter & { canceled?: boolean };
}
type PapiExtension = (this: unknown, request: PapiRequestState, next: (err?: unknown) => void) => void;

/** What the client's `crumbIssuer` option accepts: a function, or true for "fetch before every POST". */
export type CrumbIssuerOption = boolean | ((client: JenkinsClient) => Promise<{ headerName?: string; headerValue?: string; cookies?: string }>);

interface JenkinsConstructor {
  new (options: {
    baseUrl: string;
    headers: Record<string, string>;
    crumbIssuer: CrumbIssuerOption;
    timeout: number;
  }): JenkinsClient;
}
// The package ships no types; the interface above is checked against node_modules/jenkins/lib/*.js.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Jenkins = require('jenkins') as JenkinsConstructor;

/** Thrown (inside papi's pipeline) when an `api/json` URL answered something other than JSON. */
export class NotJsonAnswer extends Error {
  constructor(
    readonly contentType: string,
    readonly res: IncomingMessage,
  ) {
    super(`Jenkins answered ${contentType || 'no content type'} where JSON was expected`);
  }
}

export interface JenkinsCall {
  readonly client: JenkinsClient;
  /** Status and headers of the last response this call received (a trigger's Location). */
  readonly lastResponse: { statusCode: number; headers: IncomingHttpHeaders } | undefined;
  /**
   * The socket-level error of the last request, as Node raised it. papi re-wraps errors that fail
   * its `instanceof Error` check (another realm, e.g. under a test runner) and loses their `code`.
   */
  readonly transportError: unknown;
  /** Detaches from the AbortSignal; call when the operation is over. */
  close(): void;
}

const isJson = (contentType: string): boolean => /^(application|text)\/json\b/i.test(contentType.trim());

export function openJenkinsCall(settings: JenkinsSettings, crumbIssuer: CrumbIssuerOption, signal?: AbortSignal): JenkinsCall {
  const client = new Jenkins({
    // papi refuses a trailing slash; a context path (`/jenkins`) stays.
    baseUrl: settings.base.href.replace(/\/+$/, ''),
    // Explicit header rather than user:token@ in baseUrl: the client copies baseUrl into the Referer.
    headers: { authorization: settings.authorization },
    crumbIssuer,
    timeout: settings.requestTimeoutMs,
  });
  const cancel: EventEmitter & { canceled?: boolean } = new EventEmitter();
  const onAbort = (): void => {
    cancel.canceled = true;
    cancel.emit('cancel');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();

  const call: { lastResponse: JenkinsCall['lastResponse']; transportError: unknown } = { lastResponse: undefined, transportError: undefined };
  // Runs after the client's own onCreate (the crumb fetch), so the crumb GET is cancellable too.
  client._ext('onCreate', (request, next) => {
    request.ctx = cancel;
    next();
  });
  client._ext('onResponse', (request, next) => {
    const res = request.res;
    if (!res && request.err) call.transportError = request.err;
    if (res?.statusCode !== undefined) {
      call.lastResponse = { statusCode: res.statusCode, headers: res.headers };
      // A login page or SSO interstitial answers 200 text/html; papi would hand its text to
      // `middleware.body` and the caller would "parse" a string (backstage#4849 symptom).
      const contentType = String(res.headers['content-type'] ?? '');
      if (!request.err && /\/api\/json$/.test(request.opts.path ?? '') && res.statusCode < 300 && !isJson(contentType)) {
        request.err = new NotJsonAnswer(contentType, res);
      }
    }
    next();
  });
  return {
    client,
    get lastResponse() {
      return call.lastResponse;
    },
    get transportError() {
      return call.transportError;
    },
    close: () => signal?.removeEventListener('abort', onAbort),
  };
}
