/**
 * One source-control event, normalised from whatever GitHub, GitLab, Bitbucket or a generic sender
 * posted. Routing and templating read only this shape, never a sender's payload.
 */

/** Which endpoint the delivery came in on; generic sources are named in config (`webhooks.generic.<name>`). */
export type WebhookSource = 'github' | 'gitlab' | 'bitbucket' | `generic:${string}`;

/** The three kinds a route can ask for. A pushed tag is `tag`, not `push`. */
export type WebhookEventKind = 'push' | 'tag' | 'pull_request';
export const WEBHOOK_EVENT_KINDS: readonly WebhookEventKind[] = ['push', 'tag', 'pull_request'];

/**
 * Names usable as `{{name}}` in route templates. Every one is always present on an event: a
 * variable that does not apply (e.g. `tag` on a branch push, `prNumber` on a push) is "".
 */
export const TEMPLATE_VARIABLES = [
  'repository',
  'branch',
  'tag',
  'commit',
  'before',
  'author',
  'cloneUrl',
  'event',
  'deliveryId',
  'source',
  'prNumber',
  'sourceBranch',
  'targetBranch',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateVariables = Readonly<Record<TemplateVariable, string>>;

export interface WebhookEvent {
  readonly source: WebhookSource;
  readonly event: WebhookEventKind;
  /** The sender's retry-stable id (same on a redelivery); see DeliveryIdentity for where it came from. */
  readonly deliveryId: string;
  /**
   * The template variables. `repository` is `owner/name` (GitHub, Bitbucket Cloud), the GitLab
   * `path_with_namespace`, or `PROJECTKEY/slug` (Bitbucket Data Center). For pull requests `branch`
   * is the source branch (what `commit` is on) and `targetBranch` the branch it merges into.
   */
  readonly variables: TemplateVariables;
  /** Variables a generic source maps beyond the standard ones (`{{name}}` in its routes). */
  readonly extraVariables: Readonly<Record<string, string>>;
  /**
   * Files changed by the push, when the payload says; `undefined` when it cannot tell (Bitbucket,
   * GitLab's truncated commit list, tags, pull requests) — then `changedPathsUnknown` says why.
   */
  readonly changedPaths: readonly string[] | undefined;
  readonly changedPathsUnknown?: string;
  /** What the sender called it (`push`, `Merge Request Hook/update`, `repo:refs_changed/UPDATE`), for records. */
  readonly senderEvent: string;
}
