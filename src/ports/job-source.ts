import type { JobFailure, JobSuccess, PipelineJob } from './pipeline-job';

/** What AcknowledgeJob told us. Only `InProgress` lets the worker run the job. */
export type AckOutcome =
  | { kind: 'owned' }
  /** InvalidNonceException: another worker acknowledged it first. Not an error. */
  | { kind: 'taken' }
  /** Acknowledged, but the job is in some other state (e.g. TimedOut): do not run it. */
  | { kind: 'not-runnable'; status: string }
  /** JobNotFoundException: gone. */
  | { kind: 'gone' };

/**
 * Port to the service that hands out jobs (CodePipeline's job-worker API).
 * Errors thrown are from `core/errors` (TransientError, PermanentError, JobNoLongerActiveError…),
 * never SDK types.
 */
export interface JobSource {
  /**
   * PollForJobs; `maxBatchSize` ≥ 1. Returns jobs with their nonce. `queryParam` (e.g.
   * `{ ProjectName: 'app' }`) overrides the source's default filter for this call.
   */
  poll(maxBatchSize: number, signal?: AbortSignal, queryParam?: Readonly<Record<string, string>>): Promise<PipelineJob[]>;
  acknowledge(jobId: string, nonce: string, signal?: AbortSignal): Promise<AckOutcome>;
  /** GetJobDetails: the job data again, with fresh artifact credentials. */
  getJobDetails(jobId: string, signal?: AbortSignal): Promise<PipelineJob>;
  /** Throws JobNoLongerActiveError when CodePipeline no longer accepts a result for the job. */
  putSuccess(jobId: string, result: JobSuccess, signal?: AbortSignal): Promise<void>;
  putFailure(jobId: string, failure: JobFailure, signal?: AbortSignal): Promise<void>;
  /** Cheap call used by readiness: resolves when the service answered (any modeled answer counts). */
  ping(signal?: AbortSignal): Promise<void>;
}
