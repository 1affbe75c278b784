import {
  AcknowledgeJobCommand,
  GetJobDetailsCommand,
  ListActionTypesCommand,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
  type ActionCategory,
  type ActionOwner,
  type CodePipelineClient,
} from '@aws-sdk/client-codepipeline';
import { PermanentError } from '../../core/errors';
import type { AckOutcome, JobSource } from '../../ports/job-source';
import type { Logger } from '../../ports/logger';
import type { ActionTypeRef, JobFailure, JobSuccess, PipelineJob } from '../../ports/pipeline-job';
import { createCodePipelineClient, type CodePipelineClientOptions } from './codepipeline-client';
import { mapCodePipelineError } from './map-error';
import { toPipelineJob } from './map-job';
import { checkContinuationToken, fitExecutionDetails, fitFailureDetails } from './result-limits';

export interface CodePipelineJobSourceOptions extends CodePipelineClientOptions {
  /** The custom action type this worker serves (owner `Custom`). */
  actionType: ActionTypeRef;
  /** Default PollForJobs filter, e.g. `{ ProjectName: 'app' }` (one entry at most). */
  queryParam?: Readonly<Record<string, string>>;
}

/**
 * The CodePipeline job-worker API (custom actions) behind the JobSource port. Owns one SDK client;
 * every call passes the caller's AbortSignal; SDK errors leave as the core's error taxonomy.
 * Logs ids and outcomes only: job data carries artifact credentials and secret configuration.
 */
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
    const { category, owner, provider, version } = this.options.actionType;
    const output = await this.call('PollForJobs', undefined, signal, (abortSignal) =>
      this.client.send(
        new PollForJobsCommand({
          actionTypeId: { category: category as ActionCategory, owner: owner as ActionOwner, provider, version },
          maxBatchSize: Math.max(1, Math.floor(maxBatchSize)),
          ...(query && Object.keys(query).length > 0 ? { queryParam: { ...query } } : {}),
        }),
        { abortSignal },
      ),
    );
    const jobs = (output.jobs ?? []).map(toPipelineJob);
    if (jobs.length > 0) this.logger.debug('polled jobs', { count: jobs.length, jobIds: jobs.map((j) => j.id) });
    return jobs;
  }

  async acknowledge(jobId: string, nonce: string, signal?: AbortSignal): Promise<AckOutcome> {
    const outcome = await this.call('AcknowledgeJob', undefined, signal, async (abortSignal): Promise<AckOutcome> => {
      try {
        const { status } = await this.client.send(new AcknowledgeJobCommand({ jobId, nonce }), { abortSignal });
        // Only InProgress means "go ahead"; anything else (e.g. TimedOut) must not run, as in the plugin.
        return status === 'InProgress' ? { kind: 'owned' } : { kind: 'not-runnable', status: status ?? 'unknown' };
      } catch (error) {
        // The nonce is how CodePipeline hands a job to exactly one worker: someone else has it.
        if (hasName(error, 'InvalidNonceException')) return { kind: 'taken' };
        if (hasName(error, 'JobNotFoundException')) return { kind: 'gone' };
        throw error;
      }
    });
    this.logger.debug('acknowledge answered', { jobId, outcome: outcome.kind });
    return outcome;
  }

  async getJobDetails(jobId: string, signal?: AbortSignal): Promise<PipelineJob> {
    const output = await this.call('GetJobDetails', jobId, signal, (abortSignal) =>
      this.client.send(new GetJobDetailsCommand({ jobId }), { abortSignal }),
    );
    if (!output.jobDetails) throw new PermanentError(`GetJobDetails returned no details for job ${jobId}`, 'SystemUnavailable');
    return toPipelineJob(output.jobDetails);
  }

  async putSuccess(jobId: string, result: JobSuccess, signal?: AbortSignal): Promise<void> {
    checkContinuationToken(result);
    const continuationToken = result.continuationToken || undefined;
    const hasVariables = result.outputVariables !== undefined && Object.keys(result.outputVariables).length > 0;
    if (hasVariables && continuationToken) {
      // The service rejects both together; the token wins because the action is not finished yet.
      this.logger.warn('output variables dropped: only the final result (without continuation token) may carry them', { jobId });
    }
    await this.call('PutJobSuccessResult', jobId, signal, (abortSignal) =>
      this.client.send(
        new PutJobSuccessResultCommand({
          jobId,
          ...(result.executionDetails ? { executionDetails: fitExecutionDetails(result.executionDetails) } : {}),
          ...(continuationToken ? { continuationToken } : {}),
          ...(hasVariables && !continuationToken ? { outputVariables: { ...result.outputVariables } } : {}),
        }),
        { abortSignal },
      ),
    );
    this.logger.debug('reported success', { jobId, continuation: Boolean(continuationToken) });
  }

  async putFailure(jobId: string, failure: JobFailure, signal?: AbortSignal): Promise<void> {
    await this.call('PutJobFailureResult', jobId, signal, (abortSignal) =>
      this.client.send(new PutJobFailureResultCommand({ jobId, failureDetails: fitFailureDetails(failure) }), { abortSignal }),
    );
    this.logger.debug('reported failure', { jobId, type: failure.type });
  }

  /** ListActionTypes is side-effect free (a PollForJobs would dispatch jobs nobody runs), so it serves readiness. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.call('ListActionTypes', undefined, signal, (abortSignal) =>
      this.client.send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom' }), { abortSignal }),
    );
  }

  /** Releases the SDK client's sockets. The source must not be used afterwards. */
  close(): void {
    this.client.destroy();
  }

  /** One SDK call: aborts win over whatever the SDK made of them; other errors are mapped to the taxonomy. */
  private async call<T>(operation: string, jobId: string | undefined, signal: AbortSignal | undefined, send: (signal?: AbortSignal) => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    try {
      return await send(signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      const mapped = mapCodePipelineError(error, operation, jobId);
      this.logger.debug('CodePipeline call failed', { operation, jobId, error: mapped });
      throw mapped;
    }
  }
}

function hasName(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}
