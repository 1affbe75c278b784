export { createWebhookSenders, type WebhookSenders, type WebhookSourcesConfig } from './create-webhook-senders';
export type { DeliveryIdentity, VerifyResult, WebhookHeaders, WebhookParseResult, WebhookRequest, WebhookSender } from './webhook-sender';
export { GithubSender } from './github-sender';
export { GitlabSender } from './gitlab-sender';
export { BitbucketSender } from './bitbucket-sender';
export { GenericSender } from './generic-sender';
export { genericSourceSchema, genericSourcesSchema, GENERIC_SOURCE_NAME, type GenericSourceConfig } from './generic-source-config';
