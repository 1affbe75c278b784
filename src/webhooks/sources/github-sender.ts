import { identifyDelivery } from './delivery-id';
import { headerValue, mediaType } from './headers';
import { verifyHmacHeader } from './hmac-header';
import { parseJsonObject } from './json-payload';
import { readGithubPayload } from './github-payload';
import { malformed, toParseResult } from './payload-reading';
import type { DeliveryIdentity, VerifyResult, WebhookParseResult, WebhookRequest, WebhookSender } from './webhook-sender';

/**
 * GitHub (github.com and Enterprise Server). Authenticity: `X-Hub-Signature-256: sha256=<hex>`,
 * HMAC-SHA256 of the body bytes as sent — for a hook with content type
 * `application/x-www-form-urlencoded` that is the form-encoded body (`payload=<JSON, url-encoded>`),
 * not the JSON inside. Retry-stable id: `X-GitHub-Delivery` (a redelivery keeps it).
 */
export class GithubSender implements WebhookSender {
  readonly source = 'github' as const;

  constructor(private readonly secret: string) {}

  identify(request: WebhookRequest): DeliveryIdentity {
    return identifyDelivery('github', request.headers, request.rawBody, ['X-GitHub-Delivery'], headerValue(request.headers, 'X-GitHub-Event'));
  }

  verify(request: WebhookRequest): VerifyResult {
    const sha256 = headerValue(request.headers, 'X-Hub-Signature-256');
    if (sha256 === undefined && headerValue(request.headers, 'X-Hub-Signature') !== undefined) {
      return { ok: false, reason: 'only the legacy X-Hub-Signature (HMAC-SHA1) header was sent; SHA-1 is not accepted, X-Hub-Signature-256 is required' };
    }
    return verifyHmacHeader(request.rawBody, sha256, {
      header: 'X-Hub-Signature-256',
      secret: this.secret,
      algorithm: 'sha256',
      prefix: 'sha256=',
      encoding: 'hex',
    });
  }

  parse(request: WebhookRequest): WebhookParseResult {
    const delivery = this.identify(request);
    const event = delivery.senderEvent;
    if (!event) return toParseResult(delivery, malformed('missing X-GitHub-Event header'));
    const json = this.jsonText(request);
    if (typeof json !== 'string') return toParseResult(delivery, malformed(json.reason));
    const parsed = parseJsonObject(json, 'payload');
    if (!parsed.ok) return toParseResult(delivery, malformed(parsed.reason));
    return toParseResult(delivery, readGithubPayload(event, parsed.value as Record<string, unknown>));
  }

  /** The JSON text: the body itself, or the `payload` field of a form-encoded body. */
  private jsonText(request: WebhookRequest): string | { reason: string } {
    const body = request.rawBody.toString('utf8');
    if (mediaType(request.headers) !== 'application/x-www-form-urlencoded') return body;
    // URLSearchParams decodes `+` and UTF-8 percent escapes, as form encoding defines them.
    const payload = new URLSearchParams(body).get('payload');
    return payload ?? { reason: 'form-encoded body has no "payload" field' };
  }
}
