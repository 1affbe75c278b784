import { tokensEqual } from './constant-time';
import { identifyDelivery } from './delivery-id';
import { headerValue } from './headers';
import { parseJsonObject } from './json-payload';
import { readGitlabPayload } from './gitlab-payload';
import { malformed, toParseResult } from './payload-reading';
import type { DeliveryIdentity, VerifyResult, WebhookParseResult, WebhookRequest, WebhookSender } from './webhook-sender';

/**
 * GitLab. Authenticity: `X-Gitlab-Token` equal to the hook's secret token (a plain string, no
 * HMAC). Retry-stable id: `Idempotency-Key` (GitLab 17.x+; kept across automatic retries and
 * "Resend Request"). `X-Gitlab-Event-UUID` is new on every resend, so it is used only when the
 * key is absent (older GitLab) — `deliveryIdFrom` records which one was used.
 */
export class GitlabSender implements WebhookSender {
  readonly source = 'gitlab' as const;

  constructor(private readonly token: string) {}

  identify(request: WebhookRequest): DeliveryIdentity {
    return identifyDelivery('gitlab', request.headers, request.rawBody, ['Idempotency-Key', 'X-Gitlab-Event-UUID'], headerValue(request.headers, 'X-Gitlab-Event'));
  }

  verify(request: WebhookRequest): VerifyResult {
    const received = headerValue(request.headers, 'X-Gitlab-Token');
    if (received === undefined || received === '') return { ok: false, reason: 'missing X-Gitlab-Token header' };
    return tokensEqual(received, this.token) ? { ok: true } : { ok: false, reason: 'X-Gitlab-Token does not match the configured token' };
  }

  parse(request: WebhookRequest): WebhookParseResult {
    const delivery = this.identify(request);
    if (!delivery.senderEvent) return toParseResult(delivery, malformed('missing X-Gitlab-Event header'));
    const parsed = parseJsonObject(request.rawBody);
    if (!parsed.ok) return toParseResult(delivery, malformed(parsed.reason));
    return toParseResult(delivery, readGitlabPayload(delivery.senderEvent, parsed.value as Record<string, unknown>));
  }
}
