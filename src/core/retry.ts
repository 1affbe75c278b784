import type { Clock } from '../ports/clock';
import { isAbortError, OutageError, TransientError } from './errors';

/**
 * Retry policy as data: capped exponential backoff with "full jitter" weighted high
 * (delay = cap(base·2^n) · (0.5 + rand/2)), so retries spread out but never collapse to ~0.
 * With base 200 ms, factor 2, max 10 s the series is about 150, 300, 600, 1200, 2400, 4800, 7500 ms.
 */
export interface RetryPolicy {
  /** Attempts in total, first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  factor?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 10_000, factor: 2 };

export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'factor'>, random = Math.random): number {
  const raw = policy.baseDelayMs * Math.pow(policy.factor ?? 2, Math.max(0, attempt));
  const capped = Math.min(policy.maxDelayMs, raw);
  return Math.round(capped * (0.5 + random() / 2));
}

/**
 * Runs `fn`, retrying only TransientError. After the last attempt a TransientError becomes an
 * OutageError naming the system, so callers can report SystemUnavailable. Other errors pass through.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: { policy: RetryPolicy; clock: Clock; signal?: AbortSignal; onRetry?: (error: TransientError, delayMs: number, attempt: number) => void },
): Promise<T> {
  const { policy, clock, signal } = options;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (isAbortError(error) || !(error instanceof TransientError)) throw error;
      if (attempt + 1 >= policy.maxAttempts) {
        throw new OutageError(`${error.system} unavailable after ${policy.maxAttempts} attempts: ${error.message}`, error.system, {
          cause: error,
        });
      }
      const delay = Math.max(error.retryAfterMs ?? 0, backoffDelay(attempt, policy));
      options.onRetry?.(error, delay, attempt);
      await clock.sleep(delay, signal);
    }
  }
}
