/** Shapes of the CodePipeline job-worker API as JSON on the wire, and the emulator's own records. */

/** `ActionTypeId`: which action type a job belongs to. */
export interface WireActionTypeId {
  category: string;
  owner: string;
  provider: string;
  version: string;
}

/** `Artifact` of `JobData`: always an S3 location. */
export interface WireArtifact {
  name: string;
  revision?: string;
  location: { type: 'S3'; s3Location: { bucketName: string; objectKey: string } };
}

/** `AWSSessionCredentials`: temporary credentials for the artifact bucket (secret). */
export interface WireCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** `JobData` of the API model. */
export interface WireJobData {
  actionTypeId: WireActionTypeId;
  actionConfiguration: { configuration: Record<string, string> };
  pipelineContext: {
    pipelineName: string;
    stage: { name: string };
    action: { name: string; actionExecutionId: string };
    pipelineArn: string;
    pipelineExecutionId: string;
  };
  inputArtifacts: WireArtifact[];
  outputArtifacts: WireArtifact[];
  /** Set on each dispatch and each GetJobDetails (fresh credentials every time). */
  artifactCredentials?: WireCredentials;
  continuationToken?: string;
  encryptionKey?: { id: string; type: 'KMS' };
}

/** JobStatus enum of the API model. `Created` is used for a continuation job still waiting out its delay. */
export type JobStatus = 'Created' | 'Queued' | 'Dispatched' | 'InProgress' | 'TimedOut' | 'Succeeded' | 'Failed';

/** `ExecutionDetails` of PutJobSuccessResult. */
export interface ExecutionDetailsInput {
  summary?: string;
  externalExecutionId?: string;
  percentComplete?: number;
}

/** `CurrentRevision` of PutJobSuccessResult (`created` in epoch seconds, as on the wire). */
export interface CurrentRevisionInput {
  revision: string;
  changeIdentifier: string;
  created?: number;
  revisionSummary?: string;
}

/** A validated PutJobSuccessResult, without the job id. */
export interface SuccessInput {
  executionDetails?: ExecutionDetailsInput;
  outputVariables?: Record<string, string>;
  continuationToken?: string;
  currentRevision?: CurrentRevisionInput;
}

/** `FailureDetails` of PutJobFailureResult. */
export interface FailureDetailsInput {
  type: string;
  message: string;
  externalExecutionId?: string;
}

/** What the worker reported, with the emulator's receive time (epoch ms). */
export type JobResult = ({ kind: 'success'; at: number } & SuccessInput) | { kind: 'failure'; at: number; failureDetails: FailureDetailsInput };

/** One job as the emulator holds it. `getJob`/`listJobs` hand out copies. Times are epoch ms. */
export interface EmulatedJob {
  /** UUID, as the real JobId pattern requires. */
  id: string;
  /** 12 digits. */
  accountId: string;
  status: JobStatus;
  /** Nonce of the current (or last) dispatch; a new one each time the job is offered. */
  nonce?: string;
  data: WireJobData;
  createdAt: number;
  /** Not offered before this time (continuation jobs wait `continuationDelayMs`). */
  availableAt: number;
  /** Start of the action execution (first job of a continuation chain): the action timeout counts from here. */
  actionStartedAt: number;
  dispatchedAt?: number;
  acknowledgedAt?: number;
  /** How many times PollForJobs handed the job out. */
  dispatches: number;
  result?: JobResult;
  /** Id of the job this one continues (it carries that job's continuation token). */
  continuationOf?: string;
  /** Id of the continuation job created by this job's success-with-token. */
  continuedAs?: string;
}

/** Artifact credentials as the `issueCredentials` hook returns them (`expiresAt` epoch ms, informational). */
export interface IssuedCredentials extends WireCredentials {
  expiresAt?: number;
}

/** Input of `createJob` and of `POST /__local/jobs`: what a pipeline execution reaching the action would produce. */
export interface CreateJobInput {
  actionTypeId: { category: string; owner?: 'Custom'; provider: string; version: string };
  configuration?: Record<string, string>;
  pipelineName?: string;
  stage?: string;
  action?: string;
  pipelineExecutionId?: string;
  inputArtifacts?: { name: string; revision?: string; bucket: string; key: string }[];
  outputArtifacts?: { name: string; bucket: string; key: string }[];
  encryptionKey?: { id: string; type?: 'KMS' };
  continuationToken?: string;
}

/** `ActionConfigurationProperty` of the API model. */
export interface ConfigurationProperty {
  name: string;
  required: boolean;
  key: boolean;
  secret: boolean;
  queryable?: boolean;
  description?: string;
  type?: 'String' | 'Number' | 'Boolean';
}

/** `ActionTypeSettings` of the API model. */
export interface ActionTypeSettings {
  thirdPartyConfigurationUrl?: string;
  entityUrlTemplate?: string;
  executionUrlTemplate?: string;
  revisionUrlTemplate?: string;
}

/** Allowed number of input or output artifacts (0–5 each). */
export interface ArtifactDetails {
  minimumCount: number;
  maximumCount: number;
}

/** `ActionType` of the API model (what CreateCustomActionType and ListActionTypes return). */
export interface ActionTypeDefinition {
  id: WireActionTypeId;
  settings?: ActionTypeSettings;
  actionConfigurationProperties: ConfigurationProperty[];
  inputArtifactDetails: ArtifactDetails;
  outputArtifactDetails: ArtifactDetails;
}

/** Input of `createActionType` (owner is always Custom). Artifact details default to 0–5. */
export interface CreateActionTypeInput {
  category: string;
  provider: string;
  version: string;
  settings?: ActionTypeSettings;
  configurationProperties?: ConfigurationProperty[];
  inputArtifactDetails?: ArtifactDetails;
  outputArtifactDetails?: ArtifactDetails;
}

/** `SourceRevisionType` enum of the API model (which kind of revision a source action takes). */
export type SourceRevisionType = 'COMMIT_ID' | 'IMAGE_DIGEST' | 'S3_OBJECT_VERSION_ID' | 'S3_OBJECT_KEY';

/**
 * A pipeline the emulator knows (CreatePipeline is not emulated): its name, the source actions of
 * its first stage that accept `sourceRevisions` overrides, and its pipeline-level variables (V2).
 */
export interface PipelineDeclaration {
  name: string;
  /** Source actions; `revisionTypes` limits the override types an action takes (default: any). */
  sourceActions?: { name: string; revisionTypes?: SourceRevisionType[] }[];
  /** Variables a start may set; one without `defaultValue` must be given at every start. */
  variables?: { name: string; defaultValue?: string }[];
}

/** One execution started by StartPipelineExecution (times epoch ms). The emulator runs no stages: it stays InProgress. */
export interface EmulatedExecution {
  pipelineExecutionId: string;
  pipelineName: string;
  pipelineVersion: number;
  status: 'InProgress';
  startedAt: number;
  clientRequestToken: string;
  /** Resolved values: declared defaults overridden by the start's `variables`. */
  variables: { name: string; resolvedValue: string }[];
  sourceRevisions: { actionName: string; revisionType: SourceRevisionType; revisionValue: string }[];
  trigger: { triggerType: 'StartPipelineExecution'; triggerDetail?: string };
}
