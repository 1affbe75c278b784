import type { Clock } from '../../ports/clock';

export type RateDecision = { readonly ok: true } | { readonly ok: false; /** Whole seconds until a request would pass (Retry-After). */ readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (a webhook source): holds up to `perMinute` tokens, refilled evenly at
 * `perMinute` a minute, one taken per request. So a sender may burst a minute's worth at once
 * (a push of many branches, an org hook after an outage) but not sustain more than the rate.
 * Keys are only ever configured sources, so the map stays small. `perMinute` 0 = no limit.
 *
 * A hand-written bucket rather than express-rate-limit: that library counts fixed windows per
 * client IP by default, while this needs a refilling bucket per endpoint, decided before the body
 * is read, and the whole of it is these few lines.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    this.perMs = perMinute / 60_000;
  }

  take(key: string): RateDecision {
    if (this.perMinute <= 0) return { ok: true };
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }
}
