import { ServiceError, validation } from './service-error';
import type {
  ActionTypeSettings,
  ArtifactDetails,
  ConfigurationProperty,
  CreateActionTypeInput,
  CreateJobInput,
  CurrentRevisionInput,
  ExecutionDetailsInput,
  FailureDetailsInput,
  SuccessInput,
  WireActionTypeId,
} from './types';

/**
 * Request validation with the constraints of the CodePipeline API model (botocore service-2.json,
 * 2015-07-09). The service checks these before looking at any job, so they run first.
 */

/** `ActionCategory` enum. */
export const CATEGORIES = ['Source', 'Build', 'Deploy', 'Test', 'Invoke', 'Approval', 'Compute'] as const;
/** `ActionOwner` enum. */
export const OWNERS = ['AWS', 'ThirdParty', 'Custom'] as const;
/** `FailureType` enum. */
export const FAILURE_TYPES = ['JobFailed', 'ConfigurationError', 'PermissionError', 'RevisionOutOfSync', 'RevisionUnavailable', 'SystemUnavailable'] as const;
const PROPERTY_TYPES = ['String', 'Number', 'Boolean'] as const;
/** `JobId` pattern: a lowercase UUID. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROVIDER = /^[0-9A-Za-z_-]+$/;
/** Model allows 50 chars; the user guide still says 20 for the pipeline-side value (the plugin moved 20 → 50, #22). */
const QUERY_VALUE = /^[a-zA-Z0-9_-]+$/;
const OUTPUT_VARIABLE_KEY = /^[A-Za-z0-9@\-_]+$/;
const PIPELINE_NAME = /^[A-Za-z0-9.@\-_]+$/;
const ARTIFACT_NAME = /^[a-zA-Z0-9_\-]+$/;
/** Quota on the total size of a PutJobSuccessResult's output variables. */
export const OUTPUT_VARIABLES_MAX_BYTES = 122_880;

/** A parsed JSON request body. */
export type Body = Record<string, unknown>;

interface StringRule {
  required?: boolean;
  min?: number;
  max?: number;
  pattern?: RegExp;
  oneOf?: readonly string[];
}

/** A string member, checked against length, pattern and enum rules. */
export function str(body: Body, field: string, rule: StringRule & { required: true }, path?: string): string;
export function str(body: Body, field: string, rule?: StringRule, path?: string): string | undefined;
export function str(body: Body, field: string, rule: StringRule = {}, path = field): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (rule.required) throw validation(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'string') throw new ServiceError('SerializationException', `Expected a string at '${path}'`);
  return checkString(value, path, rule);
}

function checkString(value: string, path: string, rule: StringRule): string {
  const { min, max, pattern, oneOf } = rule;
  if (min !== undefined && value.length < min) {
    throw validation(`Value '${value}' at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`);
  }
  if (max !== undefined && value.length > max) {
    throw validation(`Value at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  }
  if (pattern && !pattern.test(value)) {
    throw validation(`Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source.slice(1, -1)}`);
  }
  if (oneOf && !oneOf.includes(value)) {
    throw validation(`Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${oneOf.join(', ')}]`);
  }
  return value;
}

/** A structure member. */
export function obj(body: Body, field: string, required: true, path?: string): Body;
export function obj(body: Body, field: string, required?: boolean, path?: string): Body | undefined;
export function obj(body: Body, field: string, required = false, path = field): Body | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw validation(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw new ServiceError('SerializationException', `Expected an object at '${path}'`);
  return value as Body;
}

function int(body: Body, field: string, range: { min?: number; max?: number; required?: boolean }, path = field): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (range.required) throw validation(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ServiceError('SerializationException', `Expected an integer at '${path}'`);
  if (range.min !== undefined && value < range.min) {
    throw validation(`Value '${value}' at '${path}' failed to satisfy constraint: Member must have value greater than or equal to ${range.min}`);
  }
  if (range.max !== undefined && value > range.max) {
    throw validation(`Value '${value}' at '${path}' failed to satisfy constraint: Member must have value less than or equal to ${range.max}`);
  }
  return value;
}

function bool(body: Body, field: string, required: boolean, path = field): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw validation(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'boolean') throw new ServiceError('SerializationException', `Expected a boolean at '${path}'`);
  return value;
}

/** A string→string map whose keys and values satisfy the given rules. */
function stringMap(body: Body, field: string, rules: { key: StringRule; value: StringRule; maxEntries?: number }): Record<string, string> | undefined {
  const map = obj(body, field);
  if (!map) return undefined;
  const entries = Object.entries(map);
  if (rules.maxEntries !== undefined && entries.length > rules.maxEntries) {
    throw validation(`Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${rules.maxEntries}`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    checkString(key, `${field}.key`, rules.key);
    if (typeof value !== 'string') throw new ServiceError('SerializationException', `Expected a string at '${field}.${key}'`);
    out[key] = checkString(value, `${field}.${key}`, rules.value);
  }
  return out;
}

/** `ActionTypeId` members. */
export function actionTypeId(body: Body, field = 'actionTypeId'): WireActionTypeId {
  const id = obj(body, field, true);
  return {
    category: str(id, 'category', { required: true, oneOf: CATEGORIES }, `${field}.category`),
    owner: str(id, 'owner', { required: true, oneOf: OWNERS }, `${field}.owner`),
    provider: str(id, 'provider', { required: true, min: 1, max: 35, pattern: PROVIDER }, `${field}.provider`),
    version: str(id, 'version', { required: true, min: 1, max: 9, pattern: PROVIDER }, `${field}.version`),
  };
}

/** A validated PollForJobs request (`queryParam` absent when empty). */
export interface PollForJobsInput {
  actionTypeId: WireActionTypeId;
  maxBatchSize: number;
  queryParam?: Record<string, string>;
}

/** PollForJobs input. */
export function pollForJobs(body: Body): PollForJobsInput {
  const typeId = actionTypeId(body);
  // The job-worker API serves custom actions only; AWS/ThirdParty owners have their own APIs.
  if (typeId.owner !== 'Custom') throw validation(`Value '${typeId.owner}' at 'actionTypeId.owner' failed to satisfy constraint: PollForJobs is only supported for action types owned by Custom`);
  // No documented maximum; the real default when absent is undocumented, so 1 (the plugin's value).
  const maxBatchSize = int(body, 'maxBatchSize', { min: 1 }) ?? 1;
  const query = stringMap(body, 'queryParam', { key: { min: 1, max: 50 }, value: { min: 1, max: 50, pattern: QUERY_VALUE }, maxEntries: 1 });
  return { actionTypeId: typeId, maxBatchSize, ...(query && Object.keys(query).length ? { queryParam: query } : {}) };
}

/** The `jobId` member (UUID pattern). */
export function jobId(body: Body): string {
  return str(body, 'jobId', { required: true, pattern: JOB_ID });
}

/** AcknowledgeJob input. */
export function acknowledgeJob(body: Body): { jobId: string; nonce: string } {
  return { jobId: jobId(body), nonce: str(body, 'nonce', { required: true, min: 1, max: 50 }) };
}

function executionDetails(body: Body): ExecutionDetailsInput | undefined {
  const details = obj(body, 'executionDetails');
  if (!details) return undefined;
  const summary = str(details, 'summary', { min: 1, max: 2048 }, 'executionDetails.summary');
  const externalExecutionId = str(details, 'externalExecutionId', { min: 1, max: 1500 }, 'executionDetails.externalExecutionId');
  const percentComplete = int(details, 'percentComplete', { min: 0, max: 100 }, 'executionDetails.percentComplete');
  return {
    ...(summary !== undefined ? { summary } : {}),
    ...(externalExecutionId !== undefined ? { externalExecutionId } : {}),
    ...(percentComplete !== undefined ? { percentComplete } : {}),
  };
}

function currentRevision(body: Body): CurrentRevisionInput | undefined {
  const revision = obj(body, 'currentRevision');
  if (!revision) return undefined;
  const created = revision.created;
  if (created !== undefined && created !== null && typeof created !== 'number') {
    throw new ServiceError('SerializationException', "Expected epoch seconds at 'currentRevision.created'");
  }
  const revisionSummary = str(revision, 'revisionSummary', { min: 1, max: 2048 }, 'currentRevision.revisionSummary');
  return {
    revision: str(revision, 'revision', { required: true, min: 1, max: 1500 }, 'currentRevision.revision'),
    changeIdentifier: str(revision, 'changeIdentifier', { required: true, min: 1, max: 100 }, 'currentRevision.changeIdentifier'),
    ...(typeof created === 'number' ? { created } : {}),
    ...(revisionSummary !== undefined ? { revisionSummary } : {}),
  };
}

/** Size of output variables as counted against the quota: UTF-8 bytes of keys and values. */
export function outputVariablesBytes(variables: Record<string, string>): number {
  return Object.entries(variables).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/**
 * PutJobSuccessResult input, including the rules that need more than one member: output
 * variables only without a continuation token, and their total size.
 */
export function putJobSuccessResult(body: Body): { jobId: string } & SuccessInput {
  const id = jobId(body);
  const continuationToken = str(body, 'continuationToken', { min: 1, max: 2048 });
  const details = executionDetails(body);
  const revision = currentRevision(body);
  const outputVariables = stringMap(body, 'outputVariables', { key: { min: 1, pattern: OUTPUT_VARIABLE_KEY }, value: {} });
  if (outputVariables && continuationToken !== undefined) {
    throw new ServiceError('ValidationException', 'outputVariables can only be included when there is no continuation token on the request');
  }
  if (outputVariables && outputVariablesBytes(outputVariables) > OUTPUT_VARIABLES_MAX_BYTES) {
    throw new ServiceError('OutputVariablesSizeExceededException', `Exceeded the total size limit for all variables in the pipeline (${OUTPUT_VARIABLES_MAX_BYTES} bytes)`);
  }
  return {
    jobId: id,
    ...(continuationToken !== undefined ? { continuationToken } : {}),
    ...(details ? { executionDetails: details } : {}),
    ...(revision ? { currentRevision: revision } : {}),
    ...(outputVariables ? { outputVariables } : {}),
  };
}

/** PutJobFailureResult input. */
export function putJobFailureResult(body: Body): { jobId: string; failureDetails: FailureDetailsInput } {
  const id = jobId(body);
  const details = obj(body, 'failureDetails', true);
  const externalExecutionId = str(details, 'externalExecutionId', { min: 1, max: 1500 }, 'failureDetails.externalExecutionId');
  return {
    jobId: id,
    failureDetails: {
      type: str(details, 'type', { required: true, oneOf: FAILURE_TYPES }, 'failureDetails.type'),
      message: str(details, 'message', { required: true, min: 1, max: 5000 }, 'failureDetails.message'),
      ...(externalExecutionId !== undefined ? { externalExecutionId } : {}),
    },
  };
}

function artifactDetails(body: Body, field: string): ArtifactDetails {
  const details = obj(body, field, true);
  return {
    minimumCount: int(details, 'minimumCount', { required: true, min: 0, max: 5 }, `${field}.minimumCount`)!,
    maximumCount: int(details, 'maximumCount', { required: true, min: 0, max: 5 }, `${field}.maximumCount`)!,
  };
}

function settings(body: Body): ActionTypeSettings | undefined {
  const input = obj(body, 'settings');
  if (!input) return undefined;
  const out: ActionTypeSettings = {};
  for (const field of ['thirdPartyConfigurationUrl', 'entityUrlTemplate', 'executionUrlTemplate', 'revisionUrlTemplate'] as const) {
    const value = str(input, field, { min: 1, max: 2048 }, `settings.${field}`);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/** `ActionConfigurationProperty` list: ≤ 10, at most one queryable, which must be required and not secret. */
export function configurationProperties(value: unknown): ConfigurationProperty[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ServiceError('SerializationException', "Expected a list at 'configurationProperties'");
  if (value.length > 10) throw validation("Value at 'configurationProperties' failed to satisfy constraint: Member must have length less than or equal to 10");
  const properties = value.map((item: unknown, index): ConfigurationProperty => {
    if (typeof item !== 'object' || item === null) throw new ServiceError('SerializationException', `Expected an object at 'configurationProperties.${index + 1}'`);
    const p = item as Body;
    const path = (f: string) => `configurationProperties.${index + 1}.member.${f}`;
    const queryable = bool(p, 'queryable', false, path('queryable'));
    const description = str(p, 'description', { min: 1, max: 160 }, path('description'));
    const type = str(p, 'type', { oneOf: PROPERTY_TYPES }, path('type')) as ConfigurationProperty['type'];
    return {
      name: str(p, 'name', { required: true, min: 1, max: 50 }, path('name')),
      required: bool(p, 'required', true, path('required'))!,
      key: bool(p, 'key', true, path('key'))!,
      secret: bool(p, 'secret', true, path('secret'))!,
      ...(queryable !== undefined ? { queryable } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(type !== undefined ? { type } : {}),
    };
  });
  const queryable = properties.filter((p) => p.queryable);
  if (queryable.length > 1) throw new ServiceError('ValidationException', 'An action type can have at most one queryable configuration property');
  if (queryable[0] && (!queryable[0].required || queryable[0].secret)) {
    throw new ServiceError('ValidationException', 'A queryable configuration property must be required and must not be secret');
  }
  return properties;
}

/** CreateCustomActionType input (tags are accepted and ignored). */
export function createCustomActionType(body: Body): CreateActionTypeInput {
  const category = str(body, 'category', { required: true, oneOf: CATEGORIES });
  const provider = str(body, 'provider', { required: true, min: 1, max: 35, pattern: PROVIDER });
  const version = str(body, 'version', { required: true, min: 1, max: 9, pattern: PROVIDER });
  const typeSettings = settings(body);
  return {
    category,
    provider,
    version,
    ...(typeSettings ? { settings: typeSettings } : {}),
    configurationProperties: configurationProperties(body.configurationProperties),
    inputArtifactDetails: artifactDetails(body, 'inputArtifactDetails'),
    outputArtifactDetails: artifactDetails(body, 'outputArtifactDetails'),
  };
}

/** DeleteCustomActionType input. */
export function deleteCustomActionType(body: Body): WireActionTypeId {
  return {
    category: str(body, 'category', { required: true, oneOf: CATEGORIES }),
    owner: 'Custom',
    provider: str(body, 'provider', { required: true, min: 1, max: 35, pattern: PROVIDER }),
    version: str(body, 'version', { required: true, min: 1, max: 9, pattern: PROVIDER }),
  };
}

/** ListActionTypes input (`regionFilter` and paging are ignored: one region, one page). */
export function listActionTypes(body: Body): { owner?: string } {
  const owner = str(body, 'actionOwnerFilter', { oneOf: OWNERS });
  return owner ? { owner } : {};
}

function artifactList(value: unknown, field: string, withRevision: boolean): { name: string; revision?: string; bucket: string; key: string }[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new ServiceError('SerializationException', `Expected a list at '${field}'`);
  return value.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null) throw new ServiceError('SerializationException', `Expected an object at '${field}.${index}'`);
    const a = item as Body;
    const revision = withRevision ? str(a, 'revision', { min: 1, max: 1500 }, `${field}.${index}.revision`) : undefined;
    return {
      name: str(a, 'name', { required: true, min: 1, max: 100, pattern: ARTIFACT_NAME }, `${field}.${index}.name`),
      bucket: str(a, 'bucket', { required: true, min: 3, max: 63 }, `${field}.${index}.bucket`),
      key: str(a, 'key', { required: true, min: 1, max: 1024 }, `${field}.${index}.key`),
      ...(revision !== undefined ? { revision } : {}),
    };
  });
}

/** `POST /__local/jobs` body (and `createJob`): what a pipeline reaching the action could produce. */
export function createJobInput(body: Body): CreateJobInput {
  const type = obj(body, 'actionTypeId', true);
  const owner = str(type, 'owner', { oneOf: ['Custom'] }, 'actionTypeId.owner');
  const name = (field: string) => str(body, field, { min: 1, max: 100, pattern: PIPELINE_NAME });
  const [pipelineName, stage, action] = [name('pipelineName'), name('stage'), name('action')];
  const pipelineExecutionId = str(body, 'pipelineExecutionId', { min: 1 });
  const configuration = stringMap(body, 'configuration', { key: { min: 1, max: 50 }, value: { min: 1, max: 1000 } });
  const inputArtifacts = artifactList(body.inputArtifacts, 'inputArtifacts', true);
  const outputArtifacts = artifactList(body.outputArtifacts, 'outputArtifacts', false);
  if ((inputArtifacts?.length ?? 0) > 5 || (outputArtifacts?.length ?? 0) > 5) throw validation('An action has at most 5 input and 5 output artifacts');
  const key = obj(body, 'encryptionKey');
  const continuationToken = str(body, 'continuationToken', { min: 1, max: 2048 });
  return {
    actionTypeId: {
      category: str(type, 'category', { required: true, oneOf: CATEGORIES }, 'actionTypeId.category'),
      ...(owner ? { owner: 'Custom' as const } : {}),
      provider: str(type, 'provider', { required: true, min: 1, max: 35, pattern: PROVIDER }, 'actionTypeId.provider'),
      version: str(type, 'version', { required: true, min: 1, max: 9, pattern: PROVIDER }, 'actionTypeId.version'),
    },
    ...(configuration ? { configuration } : {}),
    ...(pipelineName ? { pipelineName } : {}),
    ...(stage ? { stage } : {}),
    ...(action ? { action } : {}),
    ...(pipelineExecutionId ? { pipelineExecutionId } : {}),
    ...(inputArtifacts ? { inputArtifacts } : {}),
    ...(outputArtifacts ? { outputArtifacts } : {}),
    ...(key ? { encryptionKey: { id: str(key, 'id', { required: true, min: 1, max: 400 }, 'encryptionKey.id'), type: 'KMS' as const } } : {}),
    ...(continuationToken ? { continuationToken } : {}),
  };
}
