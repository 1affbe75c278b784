import { ServiceError, validation } from './service-error';
import type { PipelineDeclaration, SourceRevisionType } from './types';
import { str, type Body } from './validation';

/**
 * Validation of the pipeline-execution operations with the constraints of the API model
 * (botocore `codepipeline/2015-07-09/service-2.json`): PipelineName and ActionName 1–100
 * `[A-Za-z0-9.@\-_]+`; ClientRequestToken 1–128 `^[a-zA-Z0-9-]+$` (an idempotency token: the SDK
 * fills in a UUID when the caller gives none); PipelineVariableList 1–50 of {name 1–128
 * `[A-Za-z0-9@\-_]+`, value 1–1000}; SourceRevisionOverrideList 0–50 of {actionName,
 * revisionType (enum), revisionValue 1–1500}; PipelineExecutionId a lowercase UUID.
 */

export const SOURCE_REVISION_TYPES: readonly SourceRevisionType[] = ['COMMIT_ID', 'IMAGE_DIGEST', 'S3_OBJECT_VERSION_ID', 'S3_OBJECT_KEY'];
const NAME = /^[A-Za-z0-9.@\-_]+$/;
const VARIABLE_NAME = /^[A-Za-z0-9@\-_]+$/;
const CLIENT_REQUEST_TOKEN = /^[a-zA-Z0-9-]+$/;
const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const pipelineNameRule = { required: true, min: 1, max: 100, pattern: NAME } as const;

export interface StartPipelineExecutionInput {
  name: string;
  clientRequestToken?: string;
  variables?: { name: string; value: string }[];
  sourceRevisions?: { actionName: string; revisionType: SourceRevisionType; revisionValue: string }[];
}

/** A list member with the model's length limits; items must be structures. Paths as the service words them (1-based). */
function structList(body: Body, field: string, length: { min: number; max: number }): { item: Body; path: (member: string) => string }[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new ServiceError('SerializationException', `Expected a list at '${field}'`);
  if (value.length < length.min) {
    throw validation(`Value '[]' at '${field}' failed to satisfy constraint: Member must have length greater than or equal to ${length.min}`);
  }
  if (value.length > length.max) {
    throw validation(`Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${length.max}`);
  }
  return value.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ServiceError('SerializationException', `Expected an object at '${field}.${index + 1}'`);
    }
    return { item: item as Body, path: (member: string) => `${field}.${index + 1}.member.${member}` };
  });
}

/** StartPipelineExecution input (shapes only; whether names are declared is the pipeline's business). */
export function startPipelineExecution(body: Body): StartPipelineExecutionInput {
  const name = str(body, 'name', pipelineNameRule);
  const clientRequestToken = str(body, 'clientRequestToken', { min: 1, max: 128, pattern: CLIENT_REQUEST_TOKEN });
  const variables = structList(body, 'variables', { min: 1, max: 50 })?.map(({ item, path }) => ({
    name: str(item, 'name', { required: true, min: 1, max: 128, pattern: VARIABLE_NAME }, path('name')),
    value: str(item, 'value', { required: true, min: 1, max: 1000 }, path('value')),
  }));
  const sourceRevisions = structList(body, 'sourceRevisions', { min: 0, max: 50 })?.map(({ item, path }) => ({
    actionName: str(item, 'actionName', { required: true, min: 1, max: 100, pattern: NAME }, path('actionName')),
    revisionType: str(item, 'revisionType', { required: true, oneOf: SOURCE_REVISION_TYPES }, path('revisionType')) as SourceRevisionType,
    revisionValue: str(item, 'revisionValue', { required: true, min: 1, max: 1500 }, path('revisionValue')),
  }));
  return {
    name,
    ...(clientRequestToken !== undefined ? { clientRequestToken } : {}),
    ...(variables ? { variables } : {}),
    ...(sourceRevisions ? { sourceRevisions } : {}),
  };
}

/** GetPipelineExecution input. */
export function getPipelineExecution(body: Body): { pipelineName: string; pipelineExecutionId: string } {
  return {
    pipelineName: str(body, 'pipelineName', pipelineNameRule),
    pipelineExecutionId: str(body, 'pipelineExecutionId', { required: true, pattern: EXECUTION_ID }),
  };
}

/** A pipeline declaration (`pipelines` option, `POST /__local/pipelines`), with the same name rules as the API. */
export function pipelineDeclaration(body: Body): PipelineDeclaration {
  const name = str(body, 'name', pipelineNameRule);
  const sourceActions = structList(body, 'sourceActions', { min: 0, max: 50 })?.map(({ item, path }) => {
    const types = item.revisionTypes;
    if (types !== undefined && (!Array.isArray(types) || types.some((t) => typeof t !== 'string' || !SOURCE_REVISION_TYPES.includes(t as SourceRevisionType)))) {
      throw validation(`Value at '${path('revisionTypes')}' failed to satisfy constraint: Member must be a list of [${SOURCE_REVISION_TYPES.join(', ')}]`);
    }
    return {
      name: str(item, 'name', { required: true, min: 1, max: 100, pattern: NAME }, path('name')),
      ...(types !== undefined ? { revisionTypes: [...(types as SourceRevisionType[])] } : {}),
    };
  });
  const variables = structList(body, 'variables', { min: 0, max: 50 })?.map(({ item, path }) => {
    const defaultValue = str(item, 'defaultValue', { min: 1, max: 1000 }, path('defaultValue'));
    return {
      name: str(item, 'name', { required: true, min: 1, max: 128, pattern: VARIABLE_NAME }, path('name')),
      ...(defaultValue !== undefined ? { defaultValue } : {}),
    };
  });
  for (const [list, what] of [[sourceActions, 'source action'], [variables, 'variable']] as const) {
    const names = (list ?? []).map((entry) => entry.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw validation(`Duplicate ${what} name '${duplicate}' in pipeline '${name}'`);
  }
  return { name, ...(sourceActions ? { sourceActions } : {}), ...(variables ? { variables } : {}) };
}
