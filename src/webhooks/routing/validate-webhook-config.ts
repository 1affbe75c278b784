import type { z } from 'zod';
import { genericVariableNames, type GenericSourceConfig } from '../sources/generic-source-config';
import { TEMPLATE_VARIABLES } from '../webhook-event';
import { checkGlob } from './glob';
import type { WebhookRouteConfig } from './route-config';
import { compileTemplate, TemplateSyntaxError } from './template';

interface WebhookRoutingConfig {
  readonly routes: readonly WebhookRouteConfig[];
  readonly generic: Readonly<Record<string, Pick<GenericSourceConfig, 'variables'>>>;
}

/**
 * Checks that need the whole `webhooks` object: route names unique, generic sources named by
 * routes defined, globs compilable, and every `{{variable}}` known — the standard variables plus,
 * for a route whose `match.source` lists generic sources, the names those sources map. Issue
 * paths are relative to `webhooks` (the loader shows `webhooks.routes[1].match.branches`).
 */
export function checkWebhookRouting(config: WebhookRoutingConfig, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  config.routes.forEach((route, i) => {
    const at = (...path: (string | number)[]) => ['routes', i, ...path];
    const first = seen.get(route.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: at('name'), message: `route name "${route.name}" is already used by routes[${first}]` });
    else seen.set(route.name, i);

    const known = new Set<string>(TEMPLATE_VARIABLES);
    route.match.source?.forEach((source, j) => {
      if (!source.startsWith('generic:')) return;
      const generic = config.generic[source.slice('generic:'.length)];
      if (!generic) {
        const path = route.match.source!.length === 1 ? at('match', 'source') : at('match', 'source', j);
        ctx.addIssue({ code: 'custom', path, message: `no generic source "${source.slice(8)}" is defined (webhooks.generic.${source.slice(8)})` });
        return;
      }
      for (const name of genericVariableNames(generic)) known.add(name);
    });

    for (const field of ['repository', 'branches', 'tags', 'paths'] as const) {
      route.match[field]?.forEach((pattern, j) => {
        try {
          checkGlob(pattern);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: at('match', field, j), message: `not a valid glob: ${(error as Error).message}` });
        }
      });
    }

    for (const [path, text] of templatesOf(route)) {
      try {
        const unknown = compileTemplate(text).variables.filter((name) => !known.has(name));
        if (unknown.length > 0) {
          ctx.addIssue({
            code: 'custom',
            path: at(...path),
            message: `route "${route.name}": unknown template variable ${unknown.map((v) => `{{${v}}}`).join(', ')} (known: ${[...known].join(', ')})`,
          });
        }
      } catch (error) {
        if (!(error instanceof TemplateSyntaxError)) throw error;
        ctx.addIssue({ code: 'custom', path: at(...path), message: `route "${route.name}": ${error.message}` });
      }
    }
  });
}

function templatesOf(route: WebhookRouteConfig): Array<[(string | number)[], string]> {
  const out: Array<[(string | number)[], string]> = [];
  for (const [key, value] of Object.entries(route.jenkins?.parameters ?? {})) out.push([['jenkins', 'parameters', key], value]);
  route.pipeline?.sourceRevisions.forEach((rev, j) => out.push([['pipeline', 'sourceRevisions', j, 'revisionValue'], rev.revisionValue]));
  for (const [key, value] of Object.entries(route.pipeline?.variables ?? {})) out.push([['pipeline', 'variables', key], value]);
  return out;
}
