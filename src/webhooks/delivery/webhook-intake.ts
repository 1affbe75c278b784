import type { Clock } from '../../ports/clock';
import type { DeliveryReceipt, DeliveryRecord, DeliveryStore, NewDeliveryTarget } from '../../ports/delivery-store';
import type { Logger } from '../../ports/logger';
import type { WebhookRouter, RoutingResult } from '../routing/webhook-router';
import { triggerToken } from '../routing/route-target';
import type { WebhookSenders } from '../sources/create-webhook-senders';
import type { DeliveryIdentity, WebhookHeaders, WebhookRequest, WebhookSender } from '../sources/webhook-sender';
import { RateLimiter, type RateDecision } from './rate-limiter';
import type { TriggerDispatcher } from './trigger-dispatcher';

export interface WebhookIntakeOptions {
  senders: WebhookSenders;
  router: WebhookRouter;
  store: DeliveryStore;
  dispatcher: Pick<TriggerDispatcher, 'enqueue'>;
  /** `webhooks.maxBodyBytes`: larger → 413. */
  maxBodyBytes: number;
  /** `webhooks.rateLimit.perMinute` per source; 0 = no limit. */
  rateLimitPerMinute: number;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
}

/** What the endpoint answers, and what it does once the answer is out. */
export interface IntakeAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Run after the response was sent: the triggering of the accepted targets. */
  after?: () => void;
}

/** Reasons are recorded and logged: kept short, and without the body excerpt V8 puts in JSON errors. */
const MAX_REASON_CHARS = 500;
const MAX_MISS_NOTES = 20;

/**
 * The HTTP-independent half of the webhook endpoints: verify (401) → parse (400 / 200 ping /
 * 202 ignored) → route → record (insert-before-trigger; dedupe on the sender's retry-stable id)
 * → 202, with the triggering handed to the dispatcher after the answer. Every request that
 * reached a configured source is recorded (rejected ones without anything from the body);
 * nothing here throws for bad input.
 */
export class WebhookIntake {
  readonly maxBodyBytes: number;
  private readonly limiter: RateLimiter;
  private readonly log: Logger;

  constructor(private readonly options: WebhookIntakeOptions) {
    this.maxBodyBytes = options.maxBodyBytes;
    this.limiter = new RateLimiter(options.rateLimitPerMinute, options.clock);
    this.log = options.logger.child({ component: 'webhooks' });
  }

  /** The configured sender, or undefined (→ 404: unknown source, or no secret configured). */
  sender(source: string): WebhookSender | undefined {
    return this.options.senders.get(source);
  }

  /** Takes a token from the source's bucket (before the body is read). */
  admit(sender: WebhookSender): RateDecision {
    return this.limiter.take(sender.source);
  }

  /** A request whose body was not read (too large, aborted): recorded by its headers alone. */
  rejectUnread(sender: WebhookSender, headers: WebhookHeaders, httpStatus: number, reason: string, remote?: string): void {
    const identity = sender.identify({ rawBody: Buffer.alloc(0), headers });
    // Without the body there is no body hash: say so rather than record the hash of nothing.
    const receipt =
      identity.deliveryIdFrom === 'body-sha256'
        ? { ...this.receipt(identity), deliveryId: '-', deliveryIdFrom: 'none (body not read)', dedupeKey: `${identity.source}:-` }
        : this.receipt(identity);
    this.log.warn('webhook delivery rejected', { source: sender.source, deliveryId: receipt.deliveryId, status: httpStatus, reason, remote });
    this.recordQuietly(receipt, 'rejected', httpStatus, reason);
  }

  receive(sender: WebhookSender, request: WebhookRequest, remote?: string): IntakeAnswer {
    const identity = sender.identify(request);
    const receipt = this.receipt(identity);
    const meta = { source: sender.source, deliveryId: identity.deliveryId, senderEvent: identity.senderEvent, remote };

    const verified = sender.verify(request);
    if (!verified.ok) {
      this.log.warn('webhook delivery rejected', { ...meta, status: 401, reason: verified.reason });
      this.recordQuietly(receipt, 'rejected', 401, verified.reason);
      return { status: 401, body: { error: 'unauthorized', reason: verified.reason } };
    }

    const parsed = sender.parse(request);
    // Bitbucket refines the event name from the payload; record what parsing settled on.
    const settled = this.receipt(parsed.delivery);
    switch (parsed.outcome) {
      case 'malformed': {
        const reason = safeReason(parsed.reason);
        this.log.warn('webhook delivery rejected', { ...meta, status: 400, reason });
        this.recordQuietly(settled, 'rejected', 400, reason);
        return { status: 400, body: { error: 'malformed', reason } };
      }
      case 'ping': {
        this.log.info('webhook ping', meta);
        this.recordQuietly(settled, 'ignored', 200, `ping: ${safeReason(parsed.message)}`);
        return { status: 200, body: { status: 'pong', deliveryId: identity.deliveryId } };
      }
      case 'ignored': {
        const reason = safeReason(parsed.reason);
        this.log.info('webhook delivery ignored', { ...meta, reason });
        this.recordQuietly(settled, 'ignored', 202, reason);
        return { status: 202, body: { status: 'ignored', deliveryId: identity.deliveryId, reason } };
      }
      case 'events':
        return this.route(settled, parsed.events, parsed.ignored, meta);
    }
  }

  /** Recent records, newest first (GET /webhooks/deliveries). */
  deliveries(options: { limit: number; source?: string | undefined }): DeliveryRecord[] {
    return this.options.store.recent(options);
  }

  private route(receipt: DeliveryReceipt, events: Parameters<WebhookRouter['route']>[0], ignoredParts: readonly string[], meta: Record<string, unknown>): IntakeAnswer {
    const routing = this.options.router.route(events);
    const partNotes = ignoredParts.map((part) => `ignored: ${safeReason(part)}`);
    if (routing.targets.length === 0) {
      const reason = this.options.router.routeNames.length === 0 ? 'no routes are configured (webhooks.routes)' : 'no route matched';
      this.log.info('webhook delivery ignored', { ...meta, reason, events: events.length });
      this.recordQuietly(receipt, 'ignored', 202, reason, [...partNotes, ...missNotes(routing)]);
      return { status: 202, body: { status: 'ignored', deliveryId: receipt.deliveryId, reason } };
    }
    const targets: NewDeliveryTarget[] = routing.targets.map((t) => ({ key: triggerToken(receipt.dedupeKey, t.key), target: t.target, routes: t.routes }));
    const notes = [...new Set([...partNotes, ...routing.targets.flatMap((t) => t.notes)])];
    let result;
    try {
      result = this.options.store.accept(receipt, targets, { httpStatus: 202, notes });
    } catch (error) {
      // Nothing is triggered unless it was recorded first; the sender retries on a 5xx.
      this.log.error('webhook delivery could not be recorded; nothing triggered', { ...meta, error });
      return { status: 503, body: { error: 'the delivery could not be recorded; nothing was triggered, please retry' } };
    }
    const dispatcher = this.options.dispatcher;
    if (result.outcome === 'duplicate') {
      const retry = result.retry;
      this.log.info('webhook redelivery: nothing new triggered', { ...meta, original: result.owner.seq, status: result.owner.status, retrying: retry.length });
      return {
        status: 202,
        body: { status: 'duplicate', deliveryId: receipt.deliveryId, ...(retry.length ? { retrying: retry.length } : {}) },
        ...(retry.length ? { after: () => dispatcher.enqueue(retry) } : {}),
      };
    }
    const accepted = result.targets;
    this.log.info('webhook delivery accepted', { ...meta, targets: accepted.length, routes: [...new Set(accepted.flatMap((t) => t.routes))] });
    return { status: 202, body: { status: 'accepted', deliveryId: receipt.deliveryId, targets: accepted.length }, after: () => dispatcher.enqueue(accepted) };
  }

  private receipt(identity: DeliveryIdentity): DeliveryReceipt {
    return {
      dedupeKey: identity.dedupeKey,
      source: identity.source,
      deliveryId: identity.deliveryId,
      deliveryIdFrom: identity.deliveryIdFrom,
      senderEvent: identity.senderEvent,
      receivedAt: this.options.clock.now(),
    };
  }

  /** Records a request that triggers nothing; the answer does not depend on it, so a failing store is only logged. */
  private recordQuietly(receipt: DeliveryReceipt, status: 'ignored' | 'rejected', httpStatus: number, reason: string, notes: readonly string[] = []): void {
    try {
      this.options.store.record(receipt, status, { httpStatus, reason, notes });
    } catch (error) {
      this.log.error('webhook delivery could not be recorded', { source: receipt.source, deliveryId: receipt.deliveryId, status: httpStatus, error });
    }
  }
}

/** Why each route passed the delivery by, for the record of one that triggered nothing. */
function missNotes(routing: RoutingResult): string[] {
  const notes = routing.misses.slice(0, MAX_MISS_NOTES).map((m) => `route "${m.route}": ${m.reason}`);
  if (routing.misses.length > MAX_MISS_NOTES) notes.push(`… and ${routing.misses.length - MAX_MISS_NOTES} more`);
  return notes;
}

/**
 * V8's JSON.parse errors quote the body (`Unexpected token 'x', "{x: 1}" is not valid JSON`);
 * records and logs keep no body content, so the quotation goes.
 */
export function safeReason(reason: string): string {
  const cleaned = reason.replace(/, ".*" is not valid JSON/s, ' is not valid JSON');
  return cleaned.length > MAX_REASON_CHARS ? `${cleaned.slice(0, MAX_REASON_CHARS)}…` : cleaned;
}
