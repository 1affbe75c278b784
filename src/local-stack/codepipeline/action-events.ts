import { randomUUID } from 'node:crypto';
import type { EmulatedJob } from './types';

/** Action-level states the emulator emits (AWS also has ABANDONED and CANCELED; nothing here causes them). */
export type ActionExecutionState = 'STARTED' | 'SUCCEEDED' | 'FAILED';

/**
 * "CodePipeline Action Execution State Change" as EventBridge delivers it to a target (the whole
 * event, no input transformer), after the CodePipeline user guide (detect-state-changes-cloudwatch-events):
 * envelope `version` "0", `id`, `detail-type`, `source`, `account`, `time` (ISO, seconds),
 * `region`, `resources` [pipeline ARN]; `detail` with the pipeline, its execution id, stage,
 * action, state, region, the action type and the pipeline structure version.
 */
export interface WireActionExecutionEvent {
  version: '0';
  id: string;
  'detail-type': 'CodePipeline Action Execution State Change';
  source: 'aws.codepipeline';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    pipeline: string;
    'execution-id': string;
    stage: string;
    action: string;
    state: ActionExecutionState;
    region: string;
    type: { owner: string; category: string; provider: string; version: string };
    /** Pipeline structure version; the emulator has no pipeline definitions, so always 1. */
    version: number;
    'input-artifacts': { name: string; s3location: { bucket: string; key: string } }[];
  };
}

/** The event for one job's action execution; `now` in epoch ms. */
export function actionExecutionEvent(job: EmulatedJob, state: ActionExecutionState, context: { region: string; now: number }): WireActionExecutionEvent {
  const { pipelineContext, actionTypeId, inputArtifacts } = job.data;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CodePipeline Action Execution State Change',
    source: 'aws.codepipeline',
    account: job.accountId,
    // EventBridge times have second precision: "2017-04-22T03:31:47Z".
    time: new Date(context.now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources: [pipelineContext.pipelineArn],
    detail: {
      pipeline: pipelineContext.pipelineName,
      'execution-id': pipelineContext.pipelineExecutionId,
      stage: pipelineContext.stage.name,
      action: pipelineContext.action.name,
      state,
      region: context.region,
      type: { owner: actionTypeId.owner, category: actionTypeId.category, provider: actionTypeId.provider, version: actionTypeId.version },
      version: 1,
      'input-artifacts': inputArtifacts.map((a) => ({ name: a.name, s3location: { bucket: a.location.s3Location.bucketName, key: a.location.s3Location.objectKey } })),
    },
  };
}
