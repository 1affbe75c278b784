import { validation } from './service-error';

/** Constraints from the CodePipeline API model (botocore service-2.json), enforced like the service. */
export const CATEGORIES = ['Source', 'Build', 'Deploy', 'Test', 'Invoke', 'Approval', 'Compute'] as const;
export const OWNERS = ['AWS', 'ThirdParty', 'Custom'] as const;
export const FAILURE_TYPES = ['JobFailed', 'ConfigurationError', 'PermissionError', 'RevisionOutOfSync', 'RevisionUnavailable', 'SystemUnavailable'] as const;
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NAME = /^[0-9A-Za-z_-]+$/;
const QUERY_VALUE = /^[a-zA-Z0-9_-]+$/;
const OUTPUT_VARIABLE_KEY = /^[A-Za-z0-9@\-_]+$/;
export const OUTPUT_VARIABLES_MAX_BYTES = 122_880;

type Body = Record<string, unknown>;

export function str(body: Body, field: string, options: { required?: boolean; min?: number; max?: number; pattern?: RegExp } = {}): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (options.required) throw validation(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'string') throw validation(`Value at '${field}' must be a string`);
  const { min = 0, max = Infinity, pattern } = options;
  if (value.length < min || value.length > max) {
    throw validation(`1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length between ${min} and ${max === Infinity ? '∞' : max}`);
  }
  if (pattern && !pattern.test(value)) {
    throw validation(`1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`);
  }
  return value;
}

export function obj(body: Body, field: string, required = false): Body | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw validation(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw validation(`Value at '${field}' must be an object`);
  return value as Body;
}

export function actionTypeId(body: Body): { category: string; owner: string; provider: string; version: string } {
  const id = obj(body, 'actionTypeId', true)!;
  const category = str(id, 'category', { required: true })!;
  if (!(CATEGORIES as readonly string[]).includes(category)) throw validation(`Value '${category}' at 'actionTypeId.category' failed to satisfy constraint: Member must satisfy enum value set: [${CATEGORIES.join(', ')}]`);
  const owner = str(id, 'owner', { required: true })!;
  if (!(OWNERS as readonly string[]).includes(owner)) throw validation(`Value '${owner}' at 'actionTypeId.owner' failed to satisfy constraint: Member must satisfy enum value set: [${OWNERS.join(', ')}]`);
  const provider = str(id, 'provider', { required: true, min: 1, max: 35, pattern: NAME })!;
  const version = str(id, 'version', { required: true, min: 1, max: 9, pattern: NAME })!;
  return { category, owner, provider, version };
}

export function maxBatchSize(body: Body): number {
  const value = body.maxBatchSize;
  if (value === undefined || value === null) return 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw validation(`1 validation error detected: Value '${String(value)}' at 'maxBatchSize' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  }
  return value;
}

export function queryParam(body: Body): Record<string, string> | undefined {
  const value = obj(body, 'queryParam');
  if (!value) return undefined;
  const entries = Object.entries(value);
  if (entries.length > 1) throw validation("1 validation error detected: Value at 'queryParam' failed to satisfy constraint: Member must have length less than or equal to 1");
  for (const [key, v] of entries) {
    if (key.length < 1 || key.length > 50) throw validation(`Value '${key}' at 'queryParam' key failed to satisfy constraint: Member must have length between 1 and 50`);
    if (typeof v !== 'string' || v.length < 1 || v.length > 50 || !QUERY_VALUE.test(v)) {
      throw validation(`Value at 'queryParam.${key}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${QUERY_VALUE.source} and have length between 1 and 50`);
    }
  }
  return value as Record<string, string>;
}

export function jobId(body: Body): string {
  return str(body, 'jobId', { required: true, pattern: JOB_ID })!;
}

export function outputVariables(body: Body): Record<string, string> | undefined {
  const value = obj(body, 'outputVariables');
  if (!value) return undefined;
  for (const [key, v] of Object.entries(value)) {
    if (!OUTPUT_VARIABLE_KEY.test(key)) throw validation(`Value '${key}' at 'outputVariables' key failed to satisfy constraint: Member must satisfy regular expression pattern: ${OUTPUT_VARIABLE_KEY.source}`);
    if (typeof v !== 'string') throw validation(`Value at 'outputVariables.${key}' must be a string`);
  }
  return value as Record<string, string>;
}

export function outputVariablesBytes(variables: Record<string, string>): number {
  return Object.entries(variables).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

export function executionDetails(body: Body): { summary?: string; externalExecutionId?: string; percentComplete?: number } | undefined {
  const details = obj(body, 'executionDetails');
  if (!details) return undefined;
  const summary = str(details, 'summary', { min: 1, max: 2048 });
  const externalExecutionId = str(details, 'externalExecutionId', { min: 1, max: 1500 });
  const percent = details.percentComplete;
  if (percent !== undefined && (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100)) {
    throw validation(`1 validation error detected: Value '${String(percent)}' at 'executionDetails.percentComplete' failed to satisfy constraint: Member must have value between 0 and 100`);
  }
  return {
    ...(summary !== undefined ? { summary } : {}),
    ...(externalExecutionId !== undefined ? { externalExecutionId } : {}),
    ...(percent !== undefined ? { percentComplete: percent as number } : {}),
  };
}
