import { TEMPLATE_VARIABLES, type TemplateVariable, type WebhookEvent, type WebhookEventKind } from '../webhook-event';
import type { DeliveryIdentity } from './webhook-sender';

/** Changed files as far as the payload tells: a list, or why it cannot tell. */
export type PathsKnowledge = { readonly paths: readonly string[] } | { readonly unknown: string };

export const PATHS_NOT_LISTED = 'the payload lists no changed files';

export interface EventParts {
  kind: WebhookEventKind;
  senderEvent: string;
  /** Variables the payload gave; `event`, `deliveryId` and `source` are filled in here. */
  vars: Partial<Record<Exclude<TemplateVariable, 'event' | 'deliveryId' | 'source'>, string>>;
  paths: PathsKnowledge;
  extra?: Readonly<Record<string, string>>;
}

/** Completes an event: every template variable present ("" where it does not apply). */
export function buildEvent(delivery: DeliveryIdentity, parts: EventParts): WebhookEvent {
  const variables = Object.fromEntries(TEMPLATE_VARIABLES.map((name) => [name, ''])) as Record<TemplateVariable, string>;
  for (const [name, value] of Object.entries(parts.vars)) {
    if (value !== undefined) variables[name as TemplateVariable] = value;
  }
  variables.event = parts.kind;
  variables.deliveryId = delivery.deliveryId;
  variables.source = delivery.source;
  const known = 'paths' in parts.paths;
  return {
    source: delivery.source,
    event: parts.kind,
    deliveryId: delivery.deliveryId,
    variables,
    extraVariables: parts.extra ?? {},
    changedPaths: 'paths' in parts.paths ? parts.paths.paths : undefined,
    ...(known ? {} : { changedPathsUnknown: (parts.paths as { unknown: string }).unknown }),
    senderEvent: parts.senderEvent,
  };
}

/**
 * Union of `added`, `modified` and `removed` over push commits (GitHub and GitLab shape), in
 * first-seen order. A removed file counts: deleting `src/x` is a change under `src/**`.
 */
export function pathsFromCommits(commits: readonly unknown[]): string[] {
  const seen = new Set<string>();
  for (const commit of commits) {
    if (typeof commit !== 'object' || commit === null) continue;
    for (const key of ['added', 'modified', 'removed'] as const) {
      const paths = (commit as Record<string, unknown>)[key];
      if (!Array.isArray(paths)) continue;
      for (const p of paths) if (typeof p === 'string') seen.add(p);
    }
  }
  return [...seen];
}
