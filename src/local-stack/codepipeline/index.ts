/** Local CodePipeline job-worker API emulator (awsJson1_1 over HTTP), for tests, the demo and the local stack. */
export { startLocalCodePipeline, type LocalCodePipeline, type LocalCodePipelineOptions } from './local-codepipeline';
export type { Fault, FaultType } from './faults';
export type { RecordedCall } from './server';
export type { ActionExecutionState, WireActionExecutionEvent } from './action-events';
export type { DeliveryAttempt, EventDeliveryOptions, EventDeliveryRecord, EventTarget } from './event-delivery';
export type {
  ActionTypeDefinition,
  ConfigurationProperty,
  CreateActionTypeInput,
  CreateJobInput,
  EmulatedExecution,
  EmulatedJob,
  IssuedCredentials,
  JobResult,
  JobStatus,
  PipelineDeclaration,
  SourceRevisionType,
} from './types';
