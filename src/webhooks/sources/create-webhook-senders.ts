import { BitbucketSender } from './bitbucket-sender';
import { GenericSender } from './generic-sender';
import type { GenericSourceConfig } from './generic-source-config';
import { GithubSender } from './github-sender';
import { GitlabSender } from './gitlab-sender';
import type { WebhookSender } from './webhook-sender';
import type { WebhookSource } from '../webhook-event';

/** The part of `webhooks` config the senders need (BridgeConfig['webhooks'] fits). */
export interface WebhookSourcesConfig {
  readonly github: { readonly secret?: string | undefined };
  readonly gitlab: { readonly token?: string | undefined };
  readonly bitbucket: { readonly secret?: string | undefined };
  readonly generic: Readonly<Record<string, GenericSourceConfig>>;
}

export interface WebhookSenders {
  /**
   * The sender for `github`, `gitlab`, `bitbucket` or `generic:<name>`; undefined when the source
   * is unknown or has no secret configured — the endpoint answers 404 then (closed, not open).
   */
  get(source: string): WebhookSender | undefined;
  /** Sources that accept deliveries. */
  readonly configured: readonly WebhookSource[];
}

export function createWebhookSenders(config: WebhookSourcesConfig): WebhookSenders {
  const senders = new Map<string, WebhookSender>();
  if (config.github.secret) senders.set('github', new GithubSender(config.github.secret));
  if (config.gitlab.token) senders.set('gitlab', new GitlabSender(config.gitlab.token));
  if (config.bitbucket.secret) senders.set('bitbucket', new BitbucketSender(config.bitbucket.secret));
  for (const [name, source] of Object.entries(config.generic)) {
    if (source.secret) senders.set(`generic:${name}`, new GenericSender(name, source, source.secret));
  }
  return {
    get: (source) => senders.get(source),
    configured: [...senders.values()].map((s) => s.source),
  };
}
