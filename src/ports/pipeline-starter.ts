/** A pipeline variable for one execution (`name` as declared on the pipeline). */
export interface PipelineVariableValue {
  name: string;
  value: string;
}

/** How a source action's revision is named, per source provider (CodeCommit/Git: commit id; ECR: image digest; S3). */
export type SourceRevisionKind = 'COMMIT_ID' | 'IMAGE_DIGEST' | 'S3_OBJECT_VERSION_ID' | 'S3_OBJECT_KEY';

/** Runs the execution with this revision in the named source action instead of the latest one. */
export interface SourceRevisionOverride {
  actionName: string;
  revisionType: SourceRevisionKind;
  revisionValue: string;
}

export interface StartPipelineRequest {
  /** Pipeline name. */
  pipeline: string;
  /**
   * Idempotency key (1–128 of `[A-Za-z0-9-]`): the same token for the same pipeline yields the same
   * execution instead of a second one, so a retried start is harmless. Derive it from what makes the
   * start unique (a webhook delivery id, a schedule slot).
   */
  clientRequestToken: string;
  variables?: readonly PipelineVariableValue[];
  sourceRevisions?: readonly SourceRevisionOverride[];
}

/**
 * Port to start pipeline executions (CodePipeline StartPipelineExecution). Implementations throw
 * `core/errors`: PermanentError for an unknown pipeline or a request the service rejects (undeclared
 * variable, bad override), TransientError for throttling, 5xx and network failures (callers retry).
 */
export interface PipelineStarter {
  start(request: StartPipelineRequest, signal?: AbortSignal): Promise<{ executionId: string }>;
}
