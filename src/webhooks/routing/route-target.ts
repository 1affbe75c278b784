import { createHash } from 'node:crypto';
import type { WebhookEvent } from '../webhook-event';
import type { JenkinsTargetConfig, PipelineTargetConfig } from './route-config';
import { compileTemplate, eventTemplateValues, type CompiledTemplate } from './template';

/** CodePipeline's SourceRevisionType values. */
export type SourceRevisionType = PipelineTargetConfig['sourceRevisions'][number]['revisionType'];

/** What to start: a Jenkins job with parameters, or a pipeline (StartPipelineExecution input). */
export type TriggerTarget =
  | { readonly kind: 'jenkins'; readonly job: string; readonly parameters: Readonly<Record<string, string>> }
  | {
      readonly kind: 'pipeline';
      readonly name: string;
      readonly sourceRevisions: readonly { readonly actionName: string; readonly revisionType: SourceRevisionType; readonly revisionValue: string }[];
      readonly variables: readonly { readonly name: string; readonly value: string }[];
    };

export interface RenderedTarget {
  readonly target: TriggerTarget;
  /** Things to record with the trigger (values left out because they rendered empty). */
  readonly notes: readonly string[];
}

export type TargetRenderer = (event: WebhookEvent) => RenderedTarget;

/** Compiles a route's target templates once; the renderer fills them from one event. */
export function compileTarget(route: { jenkins?: JenkinsTargetConfig | undefined; pipeline?: PipelineTargetConfig | undefined }): TargetRenderer {
  if (route.jenkins) return jenkinsRenderer(route.jenkins);
  if (route.pipeline) return pipelineRenderer(route.pipeline);
  throw new Error('a route needs a jenkins or a pipeline target');
}

function compileEntries(record: Readonly<Record<string, string>>): Array<[string, CompiledTemplate]> {
  return Object.entries(record).map(([key, text]) => [key, compileTemplate(text)]);
}

function jenkinsRenderer(config: JenkinsTargetConfig): TargetRenderer {
  const parameters = compileEntries(config.parameters);
  return (event) => {
    const values = eventTemplateValues(event);
    // Jenkins takes "" for a parameter; it stays, so the job sees the name it declares.
    const rendered = Object.fromEntries(parameters.map(([key, t]) => [key, t.render(values)]));
    return { target: { kind: 'jenkins', job: config.job, parameters: rendered }, notes: [] };
  };
}

function pipelineRenderer(config: PipelineTargetConfig): TargetRenderer {
  const revisions = config.sourceRevisions.map((r) => ({ ...r, value: compileTemplate(r.revisionValue) }));
  const variables = compileEntries(config.variables);
  return (event) => {
    const values = eventTemplateValues(event);
    const notes: string[] = [];
    const sourceRevisions = [];
    for (const r of revisions) {
      const revisionValue = r.value.render(values);
      if (revisionValue === '') notes.push(`source revision for action "${r.actionName}" left out: it rendered empty for this event`);
      else sourceRevisions.push({ actionName: r.actionName, revisionType: r.revisionType, revisionValue });
    }
    const vars = [];
    for (const [name, t] of variables) {
      const value = t.render(values);
      // StartPipelineExecution rejects an empty variable value; the pipeline's default applies instead.
      if (value === '') notes.push(`pipeline variable ${name} left out: it rendered empty for this event`);
      else vars.push({ name, value });
    }
    return { target: { kind: 'pipeline', name: config.name, sourceRevisions, variables: vars }, notes };
  };
}

/**
 * Identity of a rendered target: same kind, job/pipeline and values → same key. Used to trigger
 * each distinct target once per delivery, and fit as a CodePipeline clientRequestToken when
 * combined with the delivery (hex, 64 characters).
 */
export function targetKey(target: TriggerTarget): string {
  const canonical =
    target.kind === 'jenkins'
      ? ['jenkins', target.job, Object.entries(target.parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]
      : ['pipeline', target.name, target.sourceRevisions, [...target.variables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * One trigger's idempotency key: the same delivery (by its dedupe key) and the same rendered
 * target always give the same 64 hex digits — fit for CodePipeline's clientRequestToken
 * (1–128 of `[A-Za-z0-9-]`) and for a trigger ledger, so a retried trigger starts nothing new.
 */
export function triggerToken(dedupeKey: string, key: string): string {
  return createHash('sha256').update(`${dedupeKey}\n${key}`).digest('hex');
}
