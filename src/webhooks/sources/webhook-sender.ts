import type { WebhookEvent, WebhookSource } from '../webhook-event';

/** Request headers as node/express give them (lower-case names); lookups are case-insensitive anyway. */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What an endpoint hands a sender: the body exactly as received, never a re-serialised parse. */
export interface WebhookRequest {
  readonly rawBody: Buffer;
  readonly headers: WebhookHeaders;
  /** Parsed query string (express `req.query`); only generic sources read it (`?token=`). */
  readonly query?: Readonly<Record<string, unknown>>;
}

/** A reason never quotes the configured secret or the signature/token received. */
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Who sent what, from headers alone, so a delivery can be logged and recorded before (and even
 * when) it fails verification or parsing.
 */
export interface DeliveryIdentity {
  readonly source: WebhookSource;
  /** The sender's retry-stable id, or the SHA-256 of the body when the sender gave none. */
  readonly deliveryId: string;
  /** Where `deliveryId` came from: a header name (`Idempotency-Key`, `X-Gitlab-Event-UUID`, …) or `body-sha256`. */
  readonly deliveryIdFrom: string;
  /** `${source}:${deliveryId}`: the key to dedupe deliveries on (ids are unique per sender only). */
  readonly dedupeKey: string;
  /** The sender's event name header (`X-GitHub-Event`, `X-Gitlab-Event`, `X-Event-Key`), when sent. */
  readonly senderEvent: string | undefined;
  /** Bitbucket only: which product sent it, as far as the headers tell. */
  readonly flavour?: 'cloud' | 'data-center';
}

/**
 * The outcome of reading a verified delivery. HTTP mapping the endpoints use: `events` and
 * `ignored` → 202, `ping` → 200, `malformed` → 400.
 */
export type WebhookParseResult =
  | {
      readonly outcome: 'events';
      readonly delivery: DeliveryIdentity;
      /** At least one. */
      readonly events: readonly WebhookEvent[];
      /** Parts of the same delivery that were ignored (e.g. a deleted branch in a Bitbucket push). */
      readonly ignored: readonly string[];
    }
  | { readonly outcome: 'ping'; readonly delivery: DeliveryIdentity; readonly message: string }
  | { readonly outcome: 'ignored'; readonly delivery: DeliveryIdentity; readonly reason: string }
  | { readonly outcome: 'malformed'; readonly delivery: DeliveryIdentity; readonly reason: string };

/**
 * One configured inbound source. Call order: identify (log/record) → verify (401 on failure) →
 * parse. `parse` assumes `verify` passed; it never throws for bad input.
 */
export interface WebhookSender {
  readonly source: WebhookSource;
  identify(request: WebhookRequest): DeliveryIdentity;
  verify(request: WebhookRequest): VerifyResult;
  parse(request: WebhookRequest): WebhookParseResult;
}
