import { readBitbucketCloudPayload } from './bitbucket-cloud-payload';
import { readBitbucketDcPayload } from './bitbucket-dc-payload';
import { identifyDelivery } from './delivery-id';
import { headerValue } from './headers';
import { verifyHmacHeader } from './hmac-header';
import { at, isObject, parseJsonObject, text } from './json-payload';
import { malformed, toParseResult } from './payload-reading';
import type { DeliveryIdentity, VerifyResult, WebhookHeaders, WebhookParseResult, WebhookRequest, WebhookSender } from './webhook-sender';

type Flavour = NonNullable<DeliveryIdentity['flavour']>;

/**
 * Bitbucket Cloud and Bitbucket Data Center on one endpoint. Both sign with
 * `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>` when the hook has a secret, and both
 * name the event in `X-Event-Key`. Cloud sends `X-Request-UUID` and `X-Hook-UUID`; Data Center
 * sends `X-Request-Id`. The payload shape decides which reader applies (Cloud: `push.changes`,
 * `pullrequest`; Data Center: `changes[]`, `pullRequest`, `eventKey`), the headers only where
 * the payload is not decisive.
 */
export class BitbucketSender implements WebhookSender {
  readonly source = 'bitbucket' as const;

  constructor(private readonly secret: string) {}

  identify(request: WebhookRequest): DeliveryIdentity {
    const flavour = flavourFromHeaders(request.headers);
    // X-Request-UUID (Cloud) names the event; X-Hook-UUID names the hook, so it is no delivery id.
    return identifyDelivery('bitbucket', request.headers, request.rawBody, ['X-Request-UUID', 'X-Request-Id'], headerValue(request.headers, 'X-Event-Key'), flavour);
  }

  verify(request: WebhookRequest): VerifyResult {
    return verifyHmacHeader(request.rawBody, headerValue(request.headers, 'X-Hub-Signature'), {
      header: 'X-Hub-Signature',
      secret: this.secret,
      algorithm: 'sha256',
      prefix: 'sha256=',
      encoding: 'hex',
    });
  }

  parse(request: WebhookRequest): WebhookParseResult {
    const identity = this.identify(request);
    const parsed = parseJsonObject(request.rawBody);
    if (!parsed.ok) return toParseResult(identity, malformed(parsed.reason));
    const payload = parsed.value as Record<string, unknown>;
    const eventKey = identity.senderEvent ?? text(payload, 'eventKey');
    if (!eventKey) return toParseResult(identity, malformed('missing X-Event-Key header'));
    const flavour = flavourFromPayload(payload) ?? identity.flavour ?? flavourFromEventKey(eventKey);
    const delivery: DeliveryIdentity = { ...identity, senderEvent: eventKey, ...(flavour ? { flavour } : {}) };
    const reading = flavour === 'cloud' ? readBitbucketCloudPayload(eventKey, payload) : readBitbucketDcPayload(eventKey, payload);
    return toParseResult(delivery, reading);
  }
}

function flavourFromHeaders(headers: WebhookHeaders): Flavour | undefined {
  if (headerValue(headers, 'X-Request-UUID') !== undefined || headerValue(headers, 'X-Hook-UUID') !== undefined) return 'cloud';
  if (headerValue(headers, 'X-Request-Id') !== undefined) return 'data-center';
  return undefined;
}

function flavourFromPayload(p: Record<string, unknown>): Flavour | undefined {
  if (Array.isArray(at(p, 'push', 'changes')) || isObject(at(p, 'pullrequest'))) return 'cloud';
  if (Array.isArray(at(p, 'changes')) || isObject(at(p, 'pullRequest')) || typeof p.eventKey === 'string') return 'data-center';
  return undefined;
}

function flavourFromEventKey(eventKey: string): Flavour {
  return eventKey === 'repo:push' || eventKey.startsWith('pullrequest:') ? 'cloud' : 'data-center';
}
