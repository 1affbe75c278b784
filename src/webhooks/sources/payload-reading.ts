import { buildEvent, type EventParts } from './build-event';
import type { DeliveryIdentity, WebhookParseResult } from './webhook-sender';

/** What a sender's payload reader found, before events are completed with delivery data. */
export type PayloadReading =
  | { readonly events: readonly EventParts[]; readonly ignored: readonly string[] }
  | { readonly malformed: string }
  | { readonly ping: string };

export const ignoredOnly = (reason: string): PayloadReading => ({ events: [], ignored: [reason] });
export const malformed = (reason: string): PayloadReading => ({ malformed: reason });
export const oneEvent = (parts: EventParts): PayloadReading => ({ events: [parts], ignored: [] });

export function toParseResult(delivery: DeliveryIdentity, reading: PayloadReading): WebhookParseResult {
  if ('malformed' in reading) return { outcome: 'malformed', delivery, reason: reading.malformed };
  if ('ping' in reading) return { outcome: 'ping', delivery, message: reading.ping };
  if (reading.events.length === 0) {
    return { outcome: 'ignored', delivery, reason: reading.ignored.join('; ') || 'the delivery holds no event to route' };
  }
  return { outcome: 'events', delivery, events: reading.events.map((parts) => buildEvent(delivery, parts)), ignored: reading.ignored };
}
