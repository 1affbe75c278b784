import http from 'node:http';
import https from 'node:https';
import type { ActionExecutionState, WireActionExecutionEvent } from './action-events';

/** An API destination as an EventBridge rule target sees it. */
export interface EventTarget {
  /** Invoked with POST and the whole event as the JSON body. */
  url: string;
  /** Full `Authorization` header value the connection adds: `Bearer <token>` (API_KEY) or `Basic …` (BASIC). */
  authorization?: string;
  /** The rule's event pattern on `detail.state` (e.g. ["STARTED"]); default: every state. */
  states?: readonly ActionExecutionState[];
}

export interface EventDeliveryOptions {
  /** Attempts per event and target, first included (EventBridge: up to 185 over 24 h; default 4 here). */
  maxAttempts?: number;
  /** Backoff before retry n: base·2^(n-1), jittered to 50–100 %, capped (default 100 ms, 5 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** EventBridge gives an API destination 5 s to answer (default 5000). */
  timeoutMs?: number;
}

export interface DeliveryAttempt {
  /** Epoch ms the request was sent. */
  at: number;
  /** HTTP status, or undefined when no answer came (`error` says why). */
  status?: number;
  error?: string;
}

/** One event to one target, for test assertions. The authorization value is not recorded. */
export interface EventDeliveryRecord {
  event: WireActionExecutionEvent;
  jobId: string;
  url: string;
  /** Epoch ms the state change happened (the emitting API call). */
  emittedAt: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
  /** Epoch ms the target answered 2xx. */
  deliveredAt?: number;
}

/**
 * EventBridge retries an API destination on 401, 407, 409, 429, 5xx and on timeouts or network
 * errors, and drops (or dead-letters) the event on any other 4xx (EventBridge user guide, API
 * destinations; recalled, not re-verified: configurable through `maxAttempts` only).
 */
const RETRYABLE = new Set([401, 407, 409, 429]);
const isRetryable = (status: number | undefined) => status === undefined || status >= 500 || RETRYABLE.has(status);

/**
 * Sends action state-change events to API-destination targets the way EventBridge does:
 * asynchronously (the CodePipeline call that caused the change never waits), at least once,
 * retrying with jittered exponential backoff. Every delivery is recorded.
 */
export class EventDelivery {
  private targets: EventTarget[];
  private readonly pending = new Set<Promise<void>>();
  /** Backoff waits under way, each with the function that ends it early (close). */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private readonly requests = new Set<http.ClientRequest>();
  private closed = false;
  readonly deliveries: EventDeliveryRecord[] = [];
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  constructor(targets: readonly EventTarget[] = [], options: EventDeliveryOptions = {}) {
    this.targets = targets.map((t) => ({ ...t }));
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Replaces the targets; events emitted from now on go to these (deliveries under way continue). */
  setTargets(targets: readonly EventTarget[]): void {
    for (const target of targets) new URL(target.url); // throws on a bad URL now, not at delivery time
    this.targets = targets.map((t) => ({ ...t }));
  }

  /** Queues the event for every matching target and returns at once. */
  emit(event: WireActionExecutionEvent, jobId: string, now: number): void {
    if (this.closed) return;
    for (const target of this.targets) {
      if (target.states && !target.states.includes(event.detail.state)) continue;
      const record: EventDeliveryRecord = { event, jobId, url: target.url, emittedAt: now, status: 'pending', attempts: [] };
      this.deliveries.push(record);
      const task = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.deliver(record, target));
      this.pending.add(task);
      void task.finally(() => this.pending.delete(task));
    }
  }

  /** Resolves once every delivery queued so far has been delivered or given up. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Stops retries and aborts requests under way; pending deliveries end as failed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, end] of this.waits) {
      clearTimeout(timer);
      end();
    }
    this.waits.clear();
    for (const request of this.requests) request.destroy(new Error('emulator closed'));
    await this.settled();
  }

  private async deliver(record: EventDeliveryRecord, target: EventTarget): Promise<void> {
    const body = JSON.stringify(record.event);
    for (let attempt = 1; ; attempt++) {
      if (this.closed) {
        record.status = 'failed';
        return;
      }
      const at = Date.now();
      const answer = await this.post(target, body);
      record.attempts.push({ at, ...answer });
      if (answer.status !== undefined && answer.status >= 200 && answer.status < 300) {
        record.status = 'delivered';
        record.deliveredAt = Date.now();
        return;
      }
      if (!isRetryable(answer.status) || attempt >= this.maxAttempts || this.closed) {
        record.status = 'failed';
        return;
      }
      const raw = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
      await this.pause(Math.round(raw * (0.5 + Math.random() / 2)));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve();
      }, ms);
      // close() ends the wait early; the delivery loop then sees `closed`.
      this.waits.set(timer, resolve);
    });
  }

  private post(target: EventTarget, body: string): Promise<{ status?: number; error?: string }> {
    return new Promise((resolve) => {
      const url = new URL(target.url);
      const client = url.protocol === 'https:' ? https : http;
      const request = client.request(url, {
        method: 'POST',
        // One connection per request: nothing stays open after close().
        agent: false,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
          'User-Agent': 'Amazon/EventBridge/ApiDestinations',
          ...(target.authorization ? { Authorization: target.authorization } : {}),
        },
      });
      this.requests.add(request);
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      let answered = false;
      const done = (answer: { status?: number; error?: string }) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        this.requests.delete(request);
        resolve(answer);
      };
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => done({ status: response.statusCode ?? 0 }));
        response.on('error', (error) => done({ error: error.message }));
      });
      request.on('error', (error) => done({ error: error.message }));
      request.end(body);
    });
  }
}
