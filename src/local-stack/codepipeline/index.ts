export { startLocalCodePipeline, type LocalCodePipeline, type LocalCodePipelineOptions } from './local-codepipeline';
export type { Fault, FaultType, RecordedCall } from './server';
export type { EmulatedJob, CreateJobInput, CreateActionTypeInput, IssuedCredentials, JobStatus } from './types';
