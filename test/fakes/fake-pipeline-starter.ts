import { randomUUID } from 'node:crypto';
import { PermanentError } from '../../src/core/errors';
import type { PipelineStarter, StartPipelineRequest } from '../../src/ports/pipeline-starter';

/** In-memory PipelineStarter with CodePipeline's idempotency: the same token for a pipeline returns the same execution. */
export class FakePipelineStarter implements PipelineStarter {
  /** Every call, in order (retries included). */
  readonly calls: StartPipelineRequest[] = [];
  /** Executions started, one per distinct (pipeline, token). */
  readonly executions = new Map<string, { executionId: string; request: StartPipelineRequest }>();
  /** Errors thrown by the next calls. */
  readonly failures: Error[] = [];

  constructor(readonly pipelines: ReadonlySet<string> = new Set(['app-release'])) {}

  async start(request: StartPipelineRequest): Promise<{ executionId: string }> {
    this.calls.push(structuredClone(request) as StartPipelineRequest);
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (!this.pipelines.has(request.pipeline)) throw new PermanentError(`PipelineNotFoundException: no pipeline ${request.pipeline}`, 'ConfigurationError');
    const id = `${request.pipeline}\n${request.clientRequestToken}`;
    let execution = this.executions.get(id);
    if (!execution) {
      execution = { executionId: randomUUID(), request: structuredClone(request) as StartPipelineRequest };
      this.executions.set(id, execution);
    }
    return { executionId: execution.executionId };
  }
}
