import type { FailureType } from '../ports/pipeline-job';

/**
 * The error taxonomy. Adapters translate transport errors into these; the core decides from the class:
 *  - PermanentError       → report the job failed (with its FailureType), never retry.
 *  - TransientError       → retry with backoff (throttling, 5xx, resets, timeouts).
 *  - OutageError          → the system stayed unreachable after retries: back off / SystemUnavailable.
 *  - JobNoLongerActiveError → CodePipeline will not take a result any more (timed out, stopped).
 */
export abstract class BridgeError extends Error {
  abstract readonly kind: 'permanent' | 'transient' | 'outage' | 'inactive';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class PermanentError extends BridgeError {
  readonly kind = 'permanent' as const;
  constructor(
    message: string,
    readonly failureType: FailureType = 'JobFailed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class TransientError extends BridgeError {
  readonly kind = 'transient' as const;
  constructor(
    message: string,
    readonly system: string,
    options?: { cause?: unknown; retryAfterMs?: number; throttled?: boolean },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
    this.throttled = options?.throttled ?? false;
  }
  readonly retryAfterMs: number | undefined;
  readonly throttled: boolean;
}

export class OutageError extends BridgeError {
  readonly kind = 'outage' as const;
  constructor(
    message: string,
    readonly system: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class JobNoLongerActiveError extends BridgeError {
  readonly kind = 'inactive' as const;
  constructor(
    message: string,
    readonly jobId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for the errors an aborted AbortSignal produces (ours, fetch's, the SDK's). */
export function isAbortError(error: unknown): boolean {
  // Structural, not `instanceof Error`: Node's internal AbortError and DOMException come from
  // another realm under test runners, and from undici/the SDK in their own classes.
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'ABORT_ERR';
}

/** The error an aborted wait rejects with (same shape as timers/promises'), the signal's reason as cause. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/** Network-level failures worth retrying, by Node/undici error code. */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

const SDK_WRAPPER = 'AWS SDK error wrapper for ';
const CODE_IN_MESSAGE = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/;

/**
 * Finds a network error code anywhere in a cause chain (fetch wraps them in `TypeError: fetch failed`).
 * The AWS SDK's retry middleware replaces a thrown value that fails `instanceof Error` (a socket
 * error from another realm, as under jest's VM contexts) with `Error('AWS SDK error wrapper for …')`,
 * dropping `code` and `cause`: for those the code is read from the message.
 */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return code;
    if (typeof message === 'string') {
      if (message.startsWith(SDK_WRAPPER)) {
        const found = CODE_IN_MESSAGE.exec(message)?.[1];
        if (found && RETRYABLE_NETWORK_CODES.has(found)) return found;
      }
      // Node's http client says this when the server closed the socket before answering.
      if (message.includes('socket hang up')) return 'ECONNRESET';
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
