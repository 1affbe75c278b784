import { setMaxListeners } from 'node:events';
import type { BuildObservation, BuildRef, BuildRunner, ObserveRequest } from '../../ports/build-runner';
import type { Clock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import { abortError } from '../errors';
import type { BuildNotice, BuildNoticeSink } from './build-notice';

export interface BuildWatchSettings {
  /** Longest wait between two looks at a running build. */
  statusIntervalMs: number;
}

interface Waiter {
  request: ObserveRequest;
  due: number;
  signal: AbortSignal;
  resolve(observation: BuildObservation): void;
  reject(error: unknown): void;
  onAbort(): void;
  settled: boolean;
  /** Its look is in flight: a round owns it until that round settles. */
  looking: boolean;
}

/** A round takes every waiter due within this much of its start (timers fire a little late). */
const ROUND_TOLERANCE_MS = 10;
/** A notice that arrives while its build is between two looks is kept this long for the next one. */
const NOTICE_MEMORY_MS = 10_000;

/**
 * Status checks for every followed build, in shared rounds: one `observeMany` per round, so Jenkins
 * sees one build-list read per Jenkins job (plus one queue read) per round whatever the number of
 * builds followed.
 *
 * Timing contract: `next(ref, …, delayMs)` resolves with an observation taken about `delayMs` from
 * now, on a grid of `min(delayMs, statusInterval)` shared by all builds (its due time lies within
 * ±half a grid step of now + delayMs), so builds that settled at the status interval all fall into
 * the same round, and a build is never looked at more than one status interval after the last look.
 * A notice (Jenkins Notification plugin) makes the builds it names due at once; it is only a hint:
 * the outcome always comes from the REST API.
 */
export class BuildWatch implements BuildNoticeSink {
  private readonly waiters = new Set<Waiter>();
  private readonly notices = new Map<string, number>();
  private timer: { at: number; cancel: AbortController } | undefined;
  private readonly closed = new AbortController();

  constructor(
    private readonly runner: BuildRunner,
    private readonly clock: Clock,
    private readonly settings: BuildWatchSettings,
    private readonly logger: Logger,
  ) {
    // Every round's requests listen on this one signal.
    setMaxListeners(0, this.closed.signal);
  }

  /** Builds currently waiting for a look (for metrics and tests). */
  get size(): number {
    return this.waiters.size;
  }

  next(ref: BuildRef, correlation: ObserveRequest['correlation'], delayMs: number, signal: AbortSignal): Promise<BuildObservation> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (this.closed.signal.aborted) return Promise.reject(abortError(this.closed.signal));
    const now = this.clock.now();
    const noticed = this.takeNotice(ref, now);
    return new Promise<BuildObservation>((resolve, reject) => {
      const waiter: Waiter = {
        request: { ref, correlation },
        due: noticed ? now : dueTime(now, delayMs, this.settings.statusIntervalMs),
        signal,
        settled: false,
        looking: false,
        resolve: (observation) => this.settle(waiter, () => resolve(observation)),
        reject: (error) => this.settle(waiter, () => reject(error)),
        onAbort: () => waiter.reject(abortError(signal)),
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.add(waiter);
      this.schedule();
    });
  }

  notice(notice: BuildNotice): void {
    const now = this.clock.now();
    this.forgetOldNotices(now);
    let waiting = 0;
    let looking = 0;
    for (const waiter of this.waiters) {
      if (!matches(waiter.request.ref, notice)) continue;
      if (waiter.looking) looking++;
      else {
        waiter.due = now;
        waiting++;
      }
    }
    // Nobody waiting (the build is between two looks, or its look is in flight and may have read the
    // build just before the change, or it is not followed here): keep the notice for the next look.
    // A notice for a build another replica follows simply expires.
    if (waiting === 0 || looking > 0) for (const key of noticeKeys(notice)) this.notices.set(key, now);
    if (waiting > 0) this.schedule();
  }

  /** Rejects every waiter; later calls reject at once. */
  close(): void {
    this.closed.abort(new DOMException('build watch closed', 'AbortError'));
    this.timer?.cancel.abort();
    this.timer = undefined;
    for (const waiter of [...this.waiters]) waiter.reject(abortError(this.closed.signal));
  }

  private settle(waiter: Waiter, fn: () => void): void {
    if (waiter.settled) return;
    waiter.settled = true;
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    this.waiters.delete(waiter);
    if (this.waiters.size === 0 && this.timer) {
      this.timer.cancel.abort();
      this.timer = undefined;
    }
    fn();
  }

  /** One timer, set for the earliest due waiter. */
  private schedule(): void {
    if (this.closed.signal.aborted || this.waiters.size === 0) return;
    let earliest = Infinity;
    for (const waiter of this.waiters) if (!waiter.looking && waiter.due < earliest) earliest = waiter.due;
    if (earliest === Infinity) return;
    if (this.timer && this.timer.at <= earliest) return;
    this.timer?.cancel.abort();
    const timer = { at: earliest, cancel: new AbortController() };
    this.timer = timer;
    this.clock.sleep(Math.max(0, earliest - this.clock.now()), timer.cancel.signal).then(
      () => {
        if (this.timer === timer) this.timer = undefined;
        void this.round();
      },
      () => undefined, // rescheduled or closed
    );
  }

  private async round(): Promise<void> {
    const now = this.clock.now();
    const batch: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (!waiter.looking && waiter.due <= now + ROUND_TOLERANCE_MS) {
        waiter.looking = true;
        batch.push(waiter);
      }
    }
    this.schedule();
    if (batch.length === 0) return;
    try {
      const results = await this.runner.observeMany(
        batch.map((w) => w.request),
        this.closed.signal,
      );
      batch.forEach((waiter, i) => {
        const result = results[i];
        if (!result) waiter.reject(new Error(`observeMany answered ${results.length} results for ${batch.length} builds`));
        else if (result.status === 'fulfilled') waiter.resolve(result.value);
        else waiter.reject(result.reason);
      });
    } catch (error) {
      if (!this.closed.signal.aborted) this.logger.debug('status round failed', { builds: batch.length, error });
      for (const waiter of batch) waiter.reject(error);
    } finally {
      for (const waiter of batch) waiter.looking = false;
    }
  }

  private takeNotice(ref: BuildRef, now: number): boolean {
    if (this.notices.size === 0) return false;
    this.forgetOldNotices(now);
    let found = false;
    for (const key of refKeys(ref)) {
      if (this.notices.delete(key)) found = true;
    }
    return found;
  }

  private forgetOldNotices(now: number): void {
    for (const [key, at] of this.notices) if (now - at > NOTICE_MEMORY_MS) this.notices.delete(key);
  }
}

/**
 * now + delay, moved back to the last point of a grid of `min(delay, statusInterval)` (so builds at
 * the status interval share one grid, hence one round), or on to the next point when that one is
 * less than a quarter step away. The wait lies within [step/4, delay + step/4]; rounds start at or
 * just after grid points, so a settled build waits exactly one interval and is never seen later
 * than one status interval after the last look.
 */
export function dueTime(now: number, delayMs: number, statusIntervalMs: number): number {
  if (delayMs <= 0) return now;
  const step = Math.min(delayMs, statusIntervalMs);
  let due = Math.floor((now + delayMs) / step) * step;
  if (due - now < step / 4) due += step;
  return due;
}

function matches(ref: BuildRef, notice: BuildNotice): boolean {
  if (ref.project !== notice.project) return false;
  if (ref.buildNumber !== undefined && ref.buildNumber === notice.buildNumber) return true;
  if (ref.queueId !== undefined && ref.queueId === notice.queueId) return true;
  return false;
}

function refKeys(ref: BuildRef): string[] {
  const keys: string[] = [];
  if (ref.buildNumber !== undefined) keys.push(`${ref.project}#b${ref.buildNumber}`);
  if (ref.queueId !== undefined) keys.push(`${ref.project}#q${ref.queueId}`);
  return keys;
}

function noticeKeys(notice: BuildNotice): string[] {
  return refKeys({ project: notice.project, ...(notice.buildNumber !== undefined ? { buildNumber: notice.buildNumber } : {}), ...(notice.queueId !== undefined ? { queueId: notice.queueId } : {}) });
}
