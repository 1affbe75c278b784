import { z } from 'zod';
import { GENERIC_SOURCE_NAME } from '../sources/generic-source-config';
import { WEBHOOK_EVENT_KINDS } from '../webhook-event';

/**
 * `webhooks.routes[]`: which deliveries start which Jenkins job or CodePipeline pipeline.
 *
 * Matching (every field is a constraint; a field absent or `[]` constrains nothing):
 * - `source`: `github`, `gitlab`, `bitbucket` or `generic:<name>` (one or a list).
 * - `repository`: glob(s), case-insensitive (`acme/app`, `acme/*`).
 * - `events`: any of `push`, `tag`, `pull_request`.
 * - `branches` / `tags`: globs (`main`, `release/*`). Once a route lists any ref pattern, an
 *   event must match a pattern *of its own kind*: with only `branches`, tag events never match;
 *   with only `tags`, branch pushes and pull requests never match; with both, each kind is checked
 *   against its list. So `branches: []` (or absent) next to `tags: ["v*"]` means "no branches",
 *   and `branches: []` with neither list means "any branch". A pull request matches `branches`
 *   by its *target* branch (as GitHub Actions' `pull_request.branches` does).
 * - `paths`: globs (`src/**`); at least one changed file must match. When the payload cannot tell
 *   which files changed (Bitbucket, a truncated GitLab push, tags, pull requests), the rule still
 *   matches and the result carries a note saying paths were not checked.
 *
 * Target: exactly one of `jenkins` or `pipeline`. Parameter values are `{{variable}}` templates.
 */

const SOURCE = new RegExp(`^(github|gitlab|bitbucket|generic:${GENERIC_SOURCE_NAME.source.slice(1, -1)})$`);

/** One string or a list of them, always read as a list. */
const oneOrMany = (item: z.ZodString) => z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]));
const glob = z.string().min(1);

/** YAML turns `1` and `true` into numbers and booleans; parameters are text. */
const templateValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const routeMatchSchema = z
  .object({
    source: oneOrMany(z.string().regex(SOURCE, 'must be github, gitlab, bitbucket or generic:<name>')).optional(),
    repository: oneOrMany(glob).optional(),
    events: z.array(z.enum(WEBHOOK_EVENT_KINDS as [string, ...string[]])).optional(),
    branches: z.array(glob).optional(),
    tags: z.array(glob).optional(),
    paths: z.array(glob).optional(),
  })
  .strict();

export const jenkinsTargetSchema = z
  .object({
    /** Full job name, folders with `/` (`legacy/app`). */
    job: z.string().min(1),
    parameters: z.record(z.string(), templateValue).default({}),
  })
  .strict()
  .superRefine((jenkins, ctx) => {
    if ('' in jenkins.parameters) ctx.addIssue({ code: 'custom', path: ['parameters'], message: 'a parameter name is empty' });
  });

/** StartPipelineExecution input (names and patterns as the CodePipeline API model has them). */
export const pipelineTargetSchema = z
  .object({
    name: z.string().min(1).max(100).regex(/^[A-Za-z0-9.@_-]+$/, 'pipeline names allow letters, digits, ".", "@", "_" and "-"'),
    /** Source revision overrides (only for pipelines whose source action supports them). */
    sourceRevisions: z
      .array(
        z
          .object({
            actionName: z.string().min(1).max(100),
            revisionType: z.enum(['COMMIT_ID', 'IMAGE_DIGEST', 'S3_OBJECT_VERSION_ID', 'S3_OBJECT_KEY']).default('COMMIT_ID'),
            revisionValue: z.string().min(1).default('{{commit}}'),
          })
          .strict(),
      )
      .default([]),
    /** Pipeline-level variables (V2 pipelines); a value that renders empty is left out (the API rejects ""). */
    variables: z.record(z.string(), templateValue).default({}),
  })
  .strict()
  .superRefine((pipeline, ctx) => {
    // Checked here, not as a record key schema, so the message names the variable.
    for (const name of Object.keys(pipeline.variables)) {
      if (!/^[A-Za-z0-9@_-]{1,128}$/.test(name)) {
        ctx.addIssue({ code: 'custom', path: ['variables', name], message: 'pipeline variable names are 1-128 letters, digits, "@", "_" and "-"' });
      }
    }
  });

export const webhookRouteSchema = z
  .object({
    name: z.string().min(1).max(100),
    match: routeMatchSchema,
    jenkins: jenkinsTargetSchema.optional(),
    pipeline: pipelineTargetSchema.optional(),
  })
  .strict()
  .superRefine((route, ctx) => {
    if (Boolean(route.jenkins) === Boolean(route.pipeline)) {
      ctx.addIssue({ code: 'custom', message: `route "${route.name}" needs exactly one target: jenkins or pipeline` });
    }
  });

export const webhookRoutesSchema = z.array(webhookRouteSchema);

export type WebhookRouteConfig = z.infer<typeof webhookRouteSchema>;
export type RouteMatchConfig = z.infer<typeof routeMatchSchema>;
export type JenkinsTargetConfig = z.infer<typeof jenkinsTargetSchema>;
export type PipelineTargetConfig = z.infer<typeof pipelineTargetSchema>;
