/** An error as the awsJson1_1 protocol sends it: HTTP status, `__type` (exception name) and `message`. */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** ValidationException with the service's "1 validation error detected: …" wording. */
export const validation = (detail: string) => new ServiceError('ValidationException', `1 validation error detected: ${detail}`);

/** The job id is well-formed but unknown. */
export const jobNotFound = (jobId: string) => new ServiceError('JobNotFoundException', `Job with id ${jobId} was not found`);

/** A result for a job that is not InProgress (not yet acknowledged, finished, or timed out). */
export const invalidJobState = (jobId: string, status: string) =>
  new ServiceError('InvalidJobStateException', `Job ${jobId} is in state ${status}; a result can only be reported for a job that is InProgress`);

/** Wording of the real service as surfaced by the Jenkins plugin (issue #14). */
export const actionTypeNotFound = (id: { category: string; owner: string; provider: string; version: string }) =>
  new ServiceError(
    'ActionTypeNotFoundException',
    `ActionType (Category: '${id.category}', Owner: '${id.owner}', Provider: '${id.provider}', Version: '${id.version}') is not available`,
  );
