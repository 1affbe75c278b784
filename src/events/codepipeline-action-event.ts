import { z } from 'zod';

export const CODEPIPELINE_SOURCE = 'aws.codepipeline';
export const ACTION_STATE_CHANGE = 'CodePipeline Action Execution State Change';

/**
 * The part of an EventBridge event every event has (codepipeline.md §2.7; EventBridge event
 * structure). Loose: AWS adds fields over time, and unknown ones must not turn an event into a 400.
 */
const envelopeSchema = z.looseObject({
  version: z.string().optional(),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().optional(),
  time: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({}),
});

/** Versions arrive as strings or numbers depending on the doc example and era ("1" vs 1 vs 3.0). */
const versionValue = z.union([z.string().min(1), z.number()]).transform(String);

/** `detail` of "CodePipeline Action Execution State Change". */
const actionDetailSchema = z.looseObject({
  pipeline: z.string().optional(),
  'execution-id': z.string().optional(),
  stage: z.string().optional(),
  action: z.string().optional(),
  /** STARTED | SUCCEEDED | FAILED | ABANDONED | CANCELED; kept open (new states must not be 400s). */
  state: z.string().min(1),
  region: z.string().optional(),
  type: z.looseObject({
    owner: z.string().min(1),
    category: z.string().min(1),
    provider: z.string().min(1),
    version: versionValue,
  }),
  version: z.union([z.string(), z.number()]).optional(),
});

export interface ActionExecutionEvent {
  id: string;
  account?: string;
  region?: string;
  time?: string;
  pipeline?: string;
  executionId?: string;
  stage?: string;
  action?: string;
  state: string;
  type: { owner: string; category: string; provider: string; version: string };
}

export type ParsedEvent =
  | { kind: 'action'; event: ActionExecutionEvent }
  /** A well-formed EventBridge event that is not an action state change (a broader rule): not an error. */
  | { kind: 'other'; id: string; source: string; detailType: string }
  | { kind: 'malformed'; error: string };

/**
 * Reads what an EventBridge rule with an API destination target delivers by default: the whole
 * event as the JSON body (no input transformer). Anything that is not an EventBridge event, or an
 * action state change without its state or action type, is malformed.
 */
export function parseEventBridgeEvent(body: unknown): ParsedEvent {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: 'malformed', error: `not an EventBridge event: ${describe(envelope.error)}` };
  const e = envelope.data;
  if (e.source !== CODEPIPELINE_SOURCE || e['detail-type'] !== ACTION_STATE_CHANGE) {
    return { kind: 'other', id: e.id, source: e.source, detailType: e['detail-type'] };
  }
  const detail = actionDetailSchema.safeParse(e.detail);
  if (!detail.success) return { kind: 'malformed', error: `"${ACTION_STATE_CHANGE}" detail: ${describe(detail.error)}` };
  const d = detail.data;
  return {
    kind: 'action',
    event: {
      id: e.id,
      ...(e.account !== undefined ? { account: e.account } : {}),
      ...((d.region ?? e.region) !== undefined ? { region: (d.region ?? e.region)! } : {}),
      ...(e.time !== undefined ? { time: e.time } : {}),
      ...(d.pipeline !== undefined ? { pipeline: d.pipeline } : {}),
      ...(d['execution-id'] !== undefined ? { executionId: d['execution-id'] } : {}),
      ...(d.stage !== undefined ? { stage: d.stage } : {}),
      ...(d.action !== undefined ? { action: d.action } : {}),
      state: d.state,
      type: { owner: d.type.owner, category: d.type.category, provider: d.type.provider, version: d.type.version },
    },
  };
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
