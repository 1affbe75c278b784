import { StartPipelineExecutionCommand, type CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { PermanentError, TransientError } from '../../core/errors';
import type { Logger } from '../../ports/logger';
import type { PipelineStarter, StartPipelineRequest } from '../../ports/pipeline-starter';
import { createCodePipelineClient, type CodePipelineClientOptions } from './codepipeline-client';
import { mapCodePipelineError } from './map-error';

const OPERATION = 'StartPipelineExecution';
/**
 * Modeled StartPipelineExecution errors that say "not now" rather than "never": ConflictException
 * ("the pipeline is busy handling ongoing activities. Try again later") and the limit on concurrent
 * executions. Retrying later is the documented remedy for both.
 */
const BUSY = new Set(['ConflictException', 'ConcurrentPipelineExecutionsLimitExceededException']);
/** The request names something the service does not have or rejects: a deployment's configuration is at fault. */
const MISCONFIGURED = new Set(['PipelineNotFoundException', 'ValidationException']);

/**
 * StartPipelineExecution behind the PipelineStarter port, with its own SDK client built like the
 * job source's (same region, endpoint and identity). The caller's clientRequestToken makes a retried
 * start return the execution the first one started. Logs names, never variable values.
 */
export class CodePipelinePipelineStarter implements PipelineStarter {
  private readonly client: CodePipelineClient;

  constructor(
    options: CodePipelineClientOptions,
    private readonly logger: Logger,
  ) {
    this.client = createCodePipelineClient(options);
  }

  async start(request: StartPipelineRequest, signal?: AbortSignal): Promise<{ executionId: string }> {
    signal?.throwIfAborted();
    let executionId: string | undefined;
    try {
      const output = await this.client.send(
        new StartPipelineExecutionCommand({
          name: request.pipeline,
          clientRequestToken: request.clientRequestToken,
          ...(request.variables?.length ? { variables: request.variables.map((v) => ({ name: v.name, value: v.value })) } : {}),
          ...(request.sourceRevisions?.length ? { sourceRevisions: request.sourceRevisions.map((r) => ({ ...r })) } : {}),
        }),
        { abortSignal: signal },
      );
      executionId = output.pipelineExecutionId;
    } catch (error) {
      if (signal?.aborted) throw error;
      const mapped = mapStartError(error, request.pipeline);
      this.logger.debug('StartPipelineExecution failed', { pipeline: request.pipeline, error: mapped });
      throw mapped;
    }
    if (!executionId) throw new PermanentError(`StartPipelineExecution of ${request.pipeline} returned no pipelineExecutionId`, 'SystemUnavailable');
    this.logger.info('pipeline execution started', {
      pipeline: request.pipeline,
      executionId,
      clientRequestToken: request.clientRequestToken,
      variables: request.variables?.map((v) => v.name) ?? [],
      sourceRevisions: request.sourceRevisions?.map((r) => `${r.actionName}:${r.revisionType}`) ?? [],
    });
    return { executionId };
  }

  /** Releases the SDK client's sockets. */
  close(): void {
    this.client.destroy();
  }
}

function mapStartError(error: unknown, pipeline: string): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && BUSY.has(name)) {
    return new TransientError(`CodePipeline ${OPERATION} of ${pipeline} failed: ${name}: ${(error as Error).message}`, 'codepipeline', { cause: error });
  }
  const mapped = mapCodePipelineError(error, OPERATION);
  if (mapped instanceof PermanentError && typeof name === 'string' && MISCONFIGURED.has(name)) {
    return new PermanentError(mapped.message, 'ConfigurationError', { cause: error });
  }
  return mapped;
}
