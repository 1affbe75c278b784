import { JSONPath } from 'jsonpath-plus';
import { z } from 'zod';
import { compileTemplate, TemplateSyntaxError } from '../routing/template';
import { TEMPLATE_VARIABLES, WEBHOOK_EVENT_KINDS } from '../webhook-event';

/**
 * `webhooks.generic.<name>`: any tool that can POST JSON (the Generic Webhook Trigger model).
 * The name is the URL segment of `POST /webhooks/generic/:name` and the route source `generic:<name>`.
 */
export const GENERIC_SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Set by the bridge, never mapped from a body. */
const BRIDGE_SET_VARIABLES = new Set(['event', 'deliveryId', 'source']);
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

/**
 * A JSONPath over the body (`$.ref`, `$.commits[*].modified[*]`). jsonpath-plus reports some
 * syntax errors only when a path meets matching data, so brackets, parentheses and quotes are
 * checked for balance here as well, to fail at load time rather than on a delivery.
 */
const jsonPath = z
  .string()
  .regex(/^\$/, 'must be a JSONPath starting with "$"')
  .superRefine((path, ctx) => {
    const unbalanced = unbalancedIn(path);
    if (unbalanced) {
      ctx.addIssue({ code: 'custom', message: `not a valid JSONPath: ${unbalanced}` });
      return;
    }
    try {
      JSONPath({ path, json: {}, wrap: true, eval: 'safe' });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a valid JSONPath: ${(error as Error).message}` });
    }
  });

function unbalancedIn(path: string): string | undefined {
  const closing: Record<string, string> = { '[': ']', '(': ')' };
  const stack: string[] = [];
  let quote: string | undefined;
  for (const c of path) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '(') stack.push(closing[c]!);
    else if ((c === ']' || c === ')') && stack.pop() !== c) return `unexpected "${c}"`;
  }
  if (quote) return `unclosed ${quote}`;
  return stack.length > 0 ? `missing "${stack.reverse().join('')}"` : undefined;
}

const tokenAuth = z
  .object({
    type: z.literal('token'),
    /** Header holding the token as is (Generic Webhook Trigger's convention: `token`). */
    header: headerName.default('token'),
    /** Where the token may come from; any one matching is enough. `query` puts it in access logs: prefer the others. */
    from: z
      .array(z.enum(['header', 'bearer', 'query']))
      .min(1)
      .default(['header', 'bearer', 'query']),
  })
  .strict();

const hmacAuth = z
  .object({
    type: z.literal('hmac'),
    header: headerName,
    algorithm: z.enum(['sha256', 'sha1']).default('sha256'),
    /** Text before the digest in the header, e.g. `sha256=`; "" for a bare digest. */
    prefix: z.string().default(''),
    encoding: z.enum(['hex', 'base64']).default('hex'),
  })
  .strict();

export const genericSourceSchema = z
  .object({
    /** The shared secret (token or HMAC key). Absent (and no secretEnv) → the endpoint answers 404. */
    secret: z.string().min(1).optional(),
    /** Name of an environment variable holding the secret; the config loader resolves it into `secret`. */
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
    auth: z.discriminatedUnion('type', [tokenAuth, hmacAuth]).prefault({ type: 'token' }),
    /** Header with the sender's retry-stable delivery id; absent → the SHA-256 of the body is the id. */
    deliveryIdHeader: headerName.optional(),
    /** The normalised event; absent → `pull_request` when prNumber maps to a value, `tag` when tag does, else `push`. */
    event: z.enum(WEBHOOK_EVENT_KINDS as [string, ...string[]]).optional(),
    /**
     * Template variables from the body. Standard names (`repository`, `branch`, `commit`, …) fill
     * the standard variables; `ref` (`refs/heads/x` / `refs/tags/v1`) fills branch or tag; any other
     * name becomes a variable usable in routes whose `match.source` is this source.
     */
    variables: z.record(z.string(), jsonPath).default({}),
    /** JSONPath(s) whose string results are the changed files; absent → paths unknown for this source. */
    changedPaths: z.union([jsonPath, z.array(jsonPath).min(1)]).optional(),
    /** Generic Webhook Trigger's filter: the delivery is ignored unless the rendered text matches the expression. */
    regexpFilterText: z.string().optional(),
    regexpFilterExpression: z.string().optional(),
  })
  .strict()
  .superRefine((source, ctx) => {
    if (source.secretEnv !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['secretEnv'],
        message:
          source.secret !== undefined
            ? 'give either secret or secretEnv, not both'
            : `environment variable ${source.secretEnv} is not set (or empty)`,
      });
    }
    for (const name of Object.keys(source.variables)) {
      if (!VARIABLE_NAME.test(name)) ctx.addIssue({ code: 'custom', path: ['variables', name], message: 'must be a variable name (letters, digits and "_", not starting with a digit)' });
      if (BRIDGE_SET_VARIABLES.has(name)) ctx.addIssue({ code: 'custom', path: ['variables', name], message: `"${name}" is set by the bridge and cannot be mapped` });
    }
    if ((source.regexpFilterText === undefined) !== (source.regexpFilterExpression === undefined)) {
      ctx.addIssue({ code: 'custom', path: [source.regexpFilterText === undefined ? 'regexpFilterText' : 'regexpFilterExpression'], message: 'regexpFilterText and regexpFilterExpression go together' });
    }
    if (source.regexpFilterExpression !== undefined) {
      try {
        new RegExp(source.regexpFilterExpression);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['regexpFilterExpression'], message: `not a valid regular expression: ${(error as Error).message}` });
      }
    }
    if (source.regexpFilterText !== undefined) {
      const known = genericVariableNames(source);
      try {
        const unknown = compileTemplate(source.regexpFilterText).variables.filter((v) => !known.has(v));
        if (unknown.length > 0) ctx.addIssue({ code: 'custom', path: ['regexpFilterText'], message: `unknown template variable(s) ${unknown.map((v) => `{{${v}}}`).join(', ')}` });
      } catch (error) {
        if (!(error instanceof TemplateSyntaxError)) throw error;
        ctx.addIssue({ code: 'custom', path: ['regexpFilterText'], message: error.message });
      }
    }
  });

// Key checks in superRefine: a zod record key error would only say "Invalid key in record".
export const genericSourcesSchema = z.record(z.string(), genericSourceSchema).superRefine((sources, ctx) => {
  for (const name of Object.keys(sources)) {
    if (!GENERIC_SOURCE_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'generic source names are lower-case letters, digits, "_" and "-" (a URL path segment)' });
    }
  }
});

export type GenericSourceConfig = z.infer<typeof genericSourceSchema>;

/** Names usable in templates for events of this source: the standard ones plus what it maps. */
export function genericVariableNames(source: Pick<GenericSourceConfig, 'variables'>): Set<string> {
  return new Set<string>([...TEMPLATE_VARIABLES, ...Object.keys(source.variables)]);
}
