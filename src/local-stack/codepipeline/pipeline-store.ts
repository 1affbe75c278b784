import { randomUUID } from 'node:crypto';
import type { StartPipelineExecutionInput } from './pipeline-validation';
import { ServiceError, validation } from './service-error';
import type { EmulatedExecution, PipelineDeclaration } from './types';

export interface PipelineStoreOptions {
  accountId: string;
  /**
   * How long a clientRequestToken keeps answering with the execution it started. AWS documents
   * the token as idempotent but not for how long [inferred]; 24 h by default.
   */
  idempotencyWindowMs: number;
  now: () => number;
}

/** Wording of the real service (as moto and SDK users quote it). */
const pipelineNotFound = (accountId: string, name: string) =>
  new ServiceError('PipelineNotFoundException', `Account '${accountId}' does not have a pipeline with name '${name}'`);

/**
 * Declared pipelines and the executions StartPipelineExecution started. No stage runs: an
 * execution stays InProgress, which is all a caller of StartPipelineExecution can observe at first.
 * The semantic checks (undeclared variable, override of a non-source action) are ValidationException,
 * the error the model lists for them; their exact messages are [inferred].
 */
export class PipelineStore {
  private readonly pipelines = new Map<string, PipelineDeclaration>();
  /** Insertion order = start order. */
  private readonly executions = new Map<string, EmulatedExecution>();
  /** `<pipeline>\n<token>` → execution id and when the token was first used. */
  private readonly tokens = new Map<string, { executionId: string; at: number }>();

  constructor(private readonly options: PipelineStoreOptions) {}

  /** (Re)declares a pipeline; executions already started keep what they resolved. */
  declare(declaration: PipelineDeclaration): void {
    this.pipelines.set(declaration.name, structuredClone(declaration));
  }

  listPipelines(): PipelineDeclaration[] {
    return [...this.pipelines.values()].map((p) => structuredClone(p));
  }

  /**
   * StartPipelineExecution. A token already used for this pipeline within the window answers with
   * the execution it started (nothing new is started), so a retried start is harmless.
   */
  start(input: StartPipelineExecutionInput): EmulatedExecution {
    const pipeline = this.pipelines.get(input.name);
    if (!pipeline) throw pipelineNotFound(this.options.accountId, input.name);
    const now = this.options.now();
    const tokenKey = input.clientRequestToken ? `${input.name}\n${input.clientRequestToken}` : undefined;
    const earlier = tokenKey ? this.tokens.get(tokenKey) : undefined;
    if (earlier && now - earlier.at < this.options.idempotencyWindowMs) {
      return structuredClone(this.executions.get(earlier.executionId)!);
    }
    const execution: EmulatedExecution = {
      pipelineExecutionId: randomUUID(),
      pipelineName: pipeline.name,
      pipelineVersion: 1,
      status: 'InProgress',
      startedAt: now,
      clientRequestToken: input.clientRequestToken ?? randomUUID(),
      variables: resolveVariables(pipeline, input.variables ?? []),
      sourceRevisions: checkSourceRevisions(pipeline, input.sourceRevisions ?? []),
      trigger: { triggerType: 'StartPipelineExecution' },
    };
    this.executions.set(execution.pipelineExecutionId, execution);
    if (tokenKey) this.tokens.set(tokenKey, { executionId: execution.pipelineExecutionId, at: now });
    return structuredClone(execution);
  }

  /** GetPipelineExecution: the pipeline must exist and the execution must belong to it. */
  get(pipelineName: string, executionId: string): EmulatedExecution {
    if (!this.pipelines.has(pipelineName)) throw pipelineNotFound(this.options.accountId, pipelineName);
    const execution = this.executions.get(executionId);
    if (!execution || execution.pipelineName !== pipelineName) {
      throw new ServiceError(
        'PipelineExecutionNotFoundException',
        `Account '${this.options.accountId}' does not have an execution with id '${executionId}' for pipeline '${pipelineName}'`,
      );
    }
    return structuredClone(execution);
  }

  find(executionId: string): EmulatedExecution | undefined {
    const execution = this.executions.get(executionId);
    return execution && structuredClone(execution);
  }

  /** Executions in start order, of one pipeline or all. */
  list(pipelineName?: string): EmulatedExecution[] {
    return [...this.executions.values()].filter((e) => !pipelineName || e.pipelineName === pipelineName).map((e) => structuredClone(e));
  }
}

/** Declared defaults overridden by the start's values; each given name must be declared once; no declared variable may stay unset. */
function resolveVariables(pipeline: PipelineDeclaration, given: NonNullable<StartPipelineExecutionInput['variables']>): EmulatedExecution['variables'] {
  const declared = pipeline.variables ?? [];
  const values = new Map<string, string>();
  for (const { name, value } of given) {
    if (values.has(name)) throw validation(`Pipeline variable '${name}' is given more than once`);
    if (!declared.some((d) => d.name === name)) {
      throw new ServiceError('ValidationException', `Pipeline variable '${name}' is not declared in pipeline '${pipeline.name}'`);
    }
    values.set(name, value);
  }
  return declared.map((d) => {
    const resolvedValue = values.get(d.name) ?? d.defaultValue;
    if (resolvedValue === undefined) {
      throw new ServiceError('ValidationException', `Pipeline variable '${d.name}' of pipeline '${pipeline.name}' has no default value: a value must be given at start`);
    }
    return { name: d.name, resolvedValue };
  });
}

/**
 * Overrides name declared source actions, with a type the action takes, at most once per action
 * and type (S3 sources take an object key and a version id together, so the pair is the key).
 */
function checkSourceRevisions(pipeline: PipelineDeclaration, overrides: NonNullable<StartPipelineExecutionInput['sourceRevisions']>): EmulatedExecution['sourceRevisions'] {
  const seen = new Set<string>();
  for (const override of overrides) {
    const action = pipeline.sourceActions?.find((a) => a.name === override.actionName);
    if (!action) {
      throw new ServiceError('ValidationException', `Action '${override.actionName}' is not a source action of pipeline '${pipeline.name}': its revision cannot be overridden`);
    }
    if (action.revisionTypes && !action.revisionTypes.includes(override.revisionType)) {
      throw new ServiceError(
        'ValidationException',
        `Source action '${action.name}' does not take revision type ${override.revisionType} (it takes ${action.revisionTypes.join(', ')})`,
      );
    }
    const key = `${override.actionName}\n${override.revisionType}`;
    if (seen.has(key)) throw new ServiceError('ValidationException', `Duplicate source revision override for action '${override.actionName}' (${override.revisionType})`);
    seen.add(key);
  }
  return overrides.map((o) => ({ ...o }));
}
