import { buildEvent, type EventParts } from './build-event';
import { tokensEqual } from './constant-time';
import { identifyDelivery } from './delivery-id';
import { evaluate, mappedPaths, valueText } from './generic-mapping';
import type { GenericSourceConfig } from './generic-source-config';
import { parseRef } from './git-refs';
import { headerValue, queryValue } from './headers';
import { verifyHmacHeader } from './hmac-header';
import { parseJson } from './json-payload';
import { compileTemplate, eventTemplateValues, type CompiledTemplate } from '../routing/template';
import { TEMPLATE_VARIABLES, type WebhookEventKind } from '../webhook-event';
import type { DeliveryIdentity, VerifyResult, WebhookParseResult, WebhookRequest, WebhookSender } from './webhook-sender';

/** Standard variables a body may fill (event, deliveryId and source are the bridge's). */
const MAPPABLE = new Set<string>(TEMPLATE_VARIABLES.filter((v) => v !== 'event' && v !== 'deliveryId' && v !== 'source'));

type EventVars = EventParts['vars'];

/**
 * A configured generic source (`webhooks.generic.<name>`), after the Generic Webhook Trigger
 * model: a shared token (named header, `Authorization: Bearer`, or `?token=`) or an HMAC header;
 * body fields mapped to variables by JSONPath; an optional regexp filter.
 */
export class GenericSender implements WebhookSender {
  readonly source: `generic:${string}`;
  private readonly filter: { text: CompiledTemplate; expression: RegExp } | undefined;

  constructor(
    readonly name: string,
    private readonly config: GenericSourceConfig,
    private readonly secret: string,
  ) {
    this.source = `generic:${name}`;
    this.filter =
      config.regexpFilterText !== undefined && config.regexpFilterExpression !== undefined
        ? { text: compileTemplate(config.regexpFilterText), expression: new RegExp(config.regexpFilterExpression) }
        : undefined;
  }

  identify(request: WebhookRequest): DeliveryIdentity {
    const headers = this.config.deliveryIdHeader ? [this.config.deliveryIdHeader] : [];
    return identifyDelivery(this.source, request.headers, request.rawBody, headers, undefined);
  }

  verify(request: WebhookRequest): VerifyResult {
    const auth = this.config.auth;
    if (auth.type === 'hmac') {
      return verifyHmacHeader(request.rawBody, headerValue(request.headers, auth.header), { ...auth, secret: this.secret });
    }
    const offered: string[] = [];
    if (auth.from.includes('header')) offered.push(headerValue(request.headers, auth.header) ?? '');
    if (auth.from.includes('bearer')) offered.push(/^Bearer\s+(.+)$/i.exec(headerValue(request.headers, 'authorization') ?? '')?.[1]?.trim() ?? '');
    if (auth.from.includes('query')) offered.push(queryValue(request.query, 'token') ?? '');
    const present = offered.filter((token) => token !== '');
    if (present.length === 0) return { ok: false, reason: `no token: expected ${describeTokenPlaces(auth.header, auth.from)}` };
    // Compare every candidate (no early exit), so timing does not tell which place was checked last.
    const matched = present.map((token) => tokensEqual(token, this.secret)).some(Boolean);
    return matched ? { ok: true } : { ok: false, reason: 'the token does not match the configured secret' };
  }

  parse(request: WebhookRequest): WebhookParseResult {
    const delivery = this.identify(request);
    const parsed = parseJson(request.rawBody.toString('utf8'));
    if (!parsed.ok) return { outcome: 'malformed', delivery, reason: parsed.reason };
    if (typeof parsed.value !== 'object' || parsed.value === null) return { outcome: 'malformed', delivery, reason: 'body is JSON but neither an object nor an array' };
    let parts: EventParts;
    try {
      parts = this.read(parsed.value);
    } catch (error) {
      return { outcome: 'malformed', delivery, reason: `a JSONPath mapping failed on this body: ${(error as Error).message}` };
    }
    const event = buildEvent(delivery, parts);
    if (this.filter) {
      const text = this.filter.text.render(eventTemplateValues(event));
      if (!this.filter.expression.test(text)) {
        return { outcome: 'ignored', delivery, reason: `regexp filter: "${text}" does not match /${this.config.regexpFilterExpression}/` };
      }
    }
    return { outcome: 'events', delivery, events: [event], ignored: [] };
  }

  private read(json: object): EventParts {
    const vars: Record<string, string> = {};
    const extra: Record<string, string> = {};
    for (const [name, path] of Object.entries(this.config.variables)) {
      const value = valueText(evaluate(path, json));
      if (MAPPABLE.has(name)) vars[name] = value;
      else extra[name] = value;
    }
    // `ref` fills branch or tag, unless those are mapped themselves.
    if (extra.ref) {
      const ref = parseRef(extra.ref);
      if (ref.kind === 'branch' && !('branch' in this.config.variables)) vars.branch = ref.name;
      if (ref.kind === 'tag' && !('tag' in this.config.variables)) vars.tag = ref.name;
    }
    const kind = (this.config.event as WebhookEventKind | undefined) ?? (vars.prNumber ? 'pull_request' : vars.tag ? 'tag' : 'push');
    return {
      kind,
      senderEvent: `generic:${kind}`,
      vars: vars as EventVars,
      paths: mappedPaths(this.config.changedPaths, json),
      extra,
    };
  }
}

function describeTokenPlaces(header: string, from: readonly string[]): string {
  const places = from.map((f) => (f === 'header' ? `header ${header}` : f === 'bearer' ? 'Authorization: Bearer' : '?token='));
  return places.join(', or ');
}
