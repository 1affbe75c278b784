import {
  AcknowledgeJobCommand,
  GetJobDetailsCommand,
  ListActionTypesCommand,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
  type CodePipelineClient,
} from '@aws-sdk/client-codepipeline';
import type { AckOutcome, JobSource } from '../../ports/job-source';
import type { ActionTypeRef, JobFailure, JobSuccess, PipelineJob } from '../../ports/pipeline-job';
import type { Logger } from '../../ports/logger';
import { PermanentError } from '../../core/errors';
import { truncate } from '../../core/jobs/progress';
import { createCodePipelineClient, type CodePipelineClientOptions } from './codepipeline-client';
import { mapCodePipelineError } from './map-error';
import { toPipelineJob } from './map-job';

export interface CodePipelineJobSourceOptions extends CodePipelineClientOptions {
  actionType: ActionTypeRef;
  /** Default PollForJobs filter, e.g. `{ ProjectName: 'app' }` (one entry at most). */
  queryParam?: Readonly<Record<string, string>>;
}

/** API model limits; longer values would make CodePipeline reject the whole result. */
const LIMITS = { summary: 2048, externalExecutionId: 1500, message: 5000, continuationToken: 2048 } as const;

/** The CodePipeline job-worker API (custom action owner `Custom`) behind the JobSource port. */
export class CodePipelineJobSource implements JobSource {
  private readonly client: CodePipelineClient;

  constructor(
    private readonly options: CodePipelineJobSourceOptions,
    private readonly logger: Logger,
  ) {
    this.client = createCodePipelineClient(options);
  }

  async poll(maxBatchSize: number, signal?: AbortSignal, queryParam?: Readonly<Record<string, string>>): Promise<PipelineJob[]> {
    const query = queryParam ?? this.options.queryParam;
    const output = await this.send('PollForJobs', undefined, signal, () =>
      this.client.send(
        new PollForJobsCommand({
          actionTypeId: { ...this.options.actionType, owner: this.options.actionType.owner as 'Custom', category: this.options.actionType.category as 'Build' },
          maxBatchSize: Math.max(1, Math.floor(maxBatchSize)),
          ...(query && Object.keys(query).length ? { queryParam: { ...query } } : {}),
        }),
        { abortSignal: signal },
      ),
    );
    return (output.jobs ?? []).map(toPipelineJob);
  }

  async acknowledge(jobId: string, nonce: string, signal?: AbortSignal): Promise<AckOutcome> {
    try {
      const output = await this.client.send(new AcknowledgeJobCommand({ jobId, nonce }), { abortSignal: signal });
      return output.status === 'InProgress' ? { kind: 'owned' } : { kind: 'not-runnable', status: output.status ?? 'unknown' };
    } catch (error) {
      const name = (error as { name?: string }).name;
      // Another worker acknowledged it first (the nonce is how CodePipeline hands a job to one worker).
      if (name === 'InvalidNonceException') return { kind: 'taken' };
      if (name === 'JobNotFoundException') return { kind: 'gone' };
      throw mapCodePipelineError(error, 'AcknowledgeJob');
    }
  }

  async getJobDetails(jobId: string, signal?: AbortSignal): Promise<PipelineJob> {
    const output = await this.send('GetJobDetails', jobId, signal, () => this.client.send(new GetJobDetailsCommand({ jobId }), { abortSignal: signal }));
    if (!output.jobDetails) throw new PermanentError(`GetJobDetails returned no details for job ${jobId}`);
    return toPipelineJob(output.jobDetails);
  }

  async putSuccess(jobId: string, result: JobSuccess, signal?: AbortSignal): Promise<void> {
    const details = result.executionDetails;
    await this.send('PutJobSuccessResult', jobId, signal, () =>
      this.client.send(
        new PutJobSuccessResultCommand({
          jobId,
          ...(details
            ? {
                executionDetails: {
                  ...(details.summary ? { summary: truncate(details.summary, LIMITS.summary) } : {}),
                  ...(details.externalExecutionId ? { externalExecutionId: truncate(details.externalExecutionId, LIMITS.externalExecutionId) } : {}),
                  ...(details.percentComplete !== undefined ? { percentComplete: Math.max(0, Math.min(100, Math.round(details.percentComplete))) } : {}),
                },
              }
            : {}),
          ...(result.continuationToken ? { continuationToken: result.continuationToken } : {}),
          ...(result.outputVariables && !result.continuationToken ? { outputVariables: result.outputVariables } : {}),
        }),
        { abortSignal: signal },
      ),
    );
    this.logger.debug('reported success', { jobId, continuation: Boolean(result.continuationToken) });
  }

  async putFailure(jobId: string, failure: JobFailure, signal?: AbortSignal): Promise<void> {
    await this.send('PutJobFailureResult', jobId, signal, () =>
      this.client.send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: {
            type: failure.type,
            message: truncate(failure.message || failure.type, LIMITS.message),
            ...(failure.externalExecutionId ? { externalExecutionId: truncate(failure.externalExecutionId, LIMITS.externalExecutionId) } : {}),
          },
        }),
        { abortSignal: signal },
      ),
    );
    this.logger.debug('reported failure', { jobId, type: failure.type });
  }

  /** ListActionTypes has no side effect (PollForJobs would dispatch jobs), so it serves readiness. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.send('ListActionTypes', undefined, signal, () => this.client.send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom' }), { abortSignal: signal }));
  }

  private async send<T>(operation: string, jobId: string | undefined, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    try {
      return await call();
    } catch (error) {
      throw mapCodePipelineError(error, operation, jobId);
    }
  }
}
