import { sha256Hex } from './constant-time';
import { headerValue } from './headers';
import type { DeliveryIdentity, WebhookHeaders } from './webhook-sender';
import type { WebhookSource } from '../webhook-event';

/** Ids are keys in the ledger and appear in logs: printable ASCII, bounded. */
const USABLE_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * Picks the first usable id among `headerNames` (in order of preference); when none is there, the
 * SHA-256 of the body stands in — identical bytes are the same delivery, which is what a retry is.
 */
export function identifyDelivery(
  source: WebhookSource,
  headers: WebhookHeaders,
  rawBody: Buffer,
  headerNames: readonly string[],
  senderEvent: string | undefined,
  flavour?: DeliveryIdentity['flavour'],
): DeliveryIdentity {
  let deliveryId: string | undefined;
  let deliveryIdFrom = 'body-sha256';
  for (const name of headerNames) {
    const value = headerValue(headers, name)?.trim();
    if (value && USABLE_ID.test(value)) {
      deliveryId = value;
      deliveryIdFrom = name;
      break;
    }
  }
  deliveryId ??= sha256Hex(rawBody);
  return {
    source,
    deliveryId,
    deliveryIdFrom,
    dedupeKey: `${source}:${deliveryId}`,
    senderEvent,
    ...(flavour ? { flavour } : {}),
  };
}
