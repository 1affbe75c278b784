import type { Clock } from '../../ports/clock';
import type { DeliveryStore, DeliveryTarget } from '../../ports/delivery-store';
import type { Logger } from '../../ports/logger';
import { isAbortError, OutageError, PermanentError } from '../../core/errors';
import { withRetry, type RetryPolicy } from '../../core/retry';
import { describeTarget, triggerTarget, type TriggerPorts } from './trigger-target';

export interface TriggerDispatcherOptions {
  store: DeliveryStore;
  ports: TriggerPorts;
  clock: Clock;
  logger: Logger;
  /** Transient failures (TransientError) are retried with this policy; then the target fails. */
  retry: RetryPolicy;
  /** Trigger calls in flight at once. */
  concurrency: number;
  /** Applied to error text before it is stored (the bridge's redactor). */
  redact?: (text: string) => string;
}

const LOG_ERROR_CHARS = 500;

/**
 * Triggers the pending targets of accepted deliveries, after the endpoint answered: bounded
 * concurrency, retries with capped jittered backoff, every step recorded in the DeliveryStore
 * before the call it protects (attempt counted → call → triggered / failed). Nothing here throws
 * to its caller: a failing store or port is logged with the delivery id and the target stays as
 * the store last recorded it (`pending` targets are triggered again at the next start).
 */
export class TriggerDispatcher {
  private readonly queue: DeliveryTarget[] = [];
  /** Targets queued or running, so a redelivery's retry cannot run a target twice at once. */
  private readonly known = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  /** Aborted by close(): no new attempt starts and backoff sleeps end. */
  private readonly stopping = new AbortController();
  /** Aborted when close()'s grace period ends: calls still in flight are cut. */
  private readonly cutCalls = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: TriggerDispatcherOptions) {}

  /** Queues targets (already recorded `pending`). Ignored once closed: they stay pending for the next start. */
  enqueue(targets: readonly DeliveryTarget[]): void {
    if (this.stopping.signal.aborted) return;
    for (const target of targets) {
      const id = idOf(target);
      if (target.state !== 'pending' || this.known.has(id)) continue;
      this.known.add(id);
      this.queue.push(target);
    }
    this.pump();
  }

  /** Queues every pending target the store holds (a previous run's unfinished work); returns how many. */
  resume(): number {
    let pending: DeliveryTarget[];
    try {
      pending = this.options.store.pendingTargets();
    } catch (error) {
      this.options.logger.error('webhook deliveries: could not read pending targets', { error });
      return 0;
    }
    if (pending.length > 0) {
      this.options.logger.info('webhook deliveries: resuming pending targets', {
        targets: pending.length,
        deliveries: [...new Set(pending.map((t) => t.dedupeKey))].length,
        // Attempts > 0: a call may have reached Jenkins before the restart (see README: at-least-once).
        interrupted: pending.filter((t) => t.attempts > 0).length,
      });
    }
    this.enqueue(pending);
    return pending.length;
  }

  /** Resolves when nothing is queued or running (tests, and the bench). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops: nothing new starts, backoff waits end at once (those targets stay pending), and calls in
   * flight get `graceMs` to finish before they are aborted. Idempotent.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping.abort(new Error('webhook trigger dispatcher closing'));
    this.queue.length = 0;
    const timer = setTimeout(() => this.cutCalls.abort(new Error('webhook trigger dispatcher closed')), options.graceMs ?? 2_000);
    try {
      await Promise.allSettled([...this.running]);
    } finally {
      clearTimeout(timer);
    }
  }

  private pump(): void {
    while (!this.stopping.signal.aborted && this.running.size < this.options.concurrency && this.queue.length > 0) {
      const target = this.queue.shift()!;
      const run: Promise<void> = this.run(target).finally(() => {
        this.running.delete(run);
        this.known.delete(idOf(target));
        this.pump();
        if (this.queue.length === 0 && this.running.size === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
      this.running.add(run);
    }
  }

  private async run(target: DeliveryTarget): Promise<void> {
    const { store, clock, ports } = this.options;
    const what = describeTarget(target.target);
    const log = this.options.logger.child({ deliveryId: target.deliveryId, source: target.source, target: what, routes: target.routes });
    try {
      const as = await withRetry(
        async () => {
          // Counted before the call: after a crash, attempts > 0 says the call may have been made.
          store.markAttempt(target.dedupeKey, target.key, clock.now());
          return triggerTarget(target.target, target.key, ports, this.cutCalls.signal);
        },
        {
          policy: this.options.retry,
          clock,
          signal: this.stopping.signal,
          onRetry: (error, delayMs, attempt) => {
            log.warn('webhook target trigger failed; retrying', { attempt: attempt + 1, delayMs, error });
            this.safely(log, () => store.noteError(target.dedupeKey, target.key, this.text(error), clock.now()));
          },
        },
      );
      this.safely(log, () => store.markTriggered(target.dedupeKey, target.key, as, clock.now()));
      log.info('webhook target triggered', { queueId: as.queueId, url: as.url, executionId: as.executionId });
    } catch (error) {
      if (this.stopping.signal.aborted && (isAbortError(error) || this.cutCalls.signal.aborted)) {
        log.info('webhook target left pending by shutdown; it is triggered at the next start');
        return;
      }
      const known = error instanceof PermanentError || error instanceof OutageError;
      const reason = known ? this.text(error) : `internal error: ${this.text(error)}`;
      this.safely(log, () => store.markFailed(target.dedupeKey, target.key, reason, clock.now()));
      (known ? log.warn : log.error).call(log, 'webhook target failed', { error });
    }
  }

  /** A store write that must not take the dispatcher down (a full disk): logged, the target stays as it was. */
  private safely(log: Logger, write: () => void): void {
    try {
      write();
    } catch (error) {
      log.error('webhook deliveries: could not record a trigger step', { error });
    }
  }

  private text(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    const clipped = message.length > LOG_ERROR_CHARS ? `${message.slice(0, LOG_ERROR_CHARS)}…` : message;
    return this.options.redact ? this.options.redact(clipped) : clipped;
  }
}

function idOf(target: DeliveryTarget): string {
  return `${target.dedupeKey}\n${target.key}`;
}
