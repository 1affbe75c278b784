/**
 * Domain view of one CodePipeline job, independent of the AWS SDK.
 * The CodePipeline adapter maps `Job`/`JobDetails` into this shape at its edge.
 */

export interface ActionTypeRef {
  category: string;
  owner: string;
  provider: string;
  version: string;
}

/** STS temporary credentials CodePipeline hands a job for its artifact bucket. Secret: never log. */
export interface ArtifactCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface S3ObjectLocation {
  bucket: string;
  key: string;
}

export interface JobArtifact {
  name: string;
  revision?: string;
  location: S3ObjectLocation;
}

export interface EncryptionKey {
  id: string;
  type: string;
}

export interface PipelineContext {
  pipelineName: string;
  pipelineArn?: string;
  pipelineExecutionId?: string;
  stage: string;
  action: string;
  actionExecutionId?: string;
}

export interface PipelineJob {
  id: string;
  /** Present on jobs returned by PollForJobs; absent on GetJobDetails. */
  nonce?: string;
  accountId?: string;
  actionType: ActionTypeRef;
  /** Action configuration properties (secret ones included). */
  configuration: Readonly<Record<string, string>>;
  pipeline: PipelineContext;
  inputArtifacts: readonly JobArtifact[];
  outputArtifacts: readonly JobArtifact[];
  credentials?: ArtifactCredentials;
  encryptionKey?: EncryptionKey;
  continuationToken?: string;
}

export type FailureType =
  | 'JobFailed'
  | 'ConfigurationError'
  | 'PermissionError'
  | 'RevisionOutOfSync'
  | 'RevisionUnavailable'
  | 'SystemUnavailable';

export interface ExecutionDetails {
  /** 1–2048 chars. */
  summary?: string;
  /** 1–1500 chars; for Jenkins, the build number (the action type's executionUrlTemplate uses it). */
  externalExecutionId?: string;
  /** 0–100. */
  percentComplete?: number;
}

export interface JobSuccess {
  executionDetails?: ExecutionDetails;
  /** Only allowed without a continuation token. */
  outputVariables?: Record<string, string>;
  continuationToken?: string;
}

export interface JobFailure {
  type: FailureType;
  /** 1–5000 chars. */
  message: string;
  externalExecutionId?: string;
}
