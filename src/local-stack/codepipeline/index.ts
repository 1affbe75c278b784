/** Local CodePipeline job-worker API emulator (awsJson1_1 over HTTP), for tests, the demo and the local stack. */
export { startLocalCodePipeline, type LocalCodePipeline, type LocalCodePipelineOptions } from './local-codepipeline';
export type { Fault, FaultType } from './faults';
export type { RecordedCall } from './server';
export type {
  ActionTypeDefinition,
  ConfigurationProperty,
  CreateActionTypeInput,
  CreateJobInput,
  EmulatedJob,
  IssuedCredentials,
  JobResult,
  JobStatus,
} from './types';
