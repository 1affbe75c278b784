import { PermanentError } from '../../core/errors';
import { truncate } from '../../core/jobs/progress';
import type { ExecutionDetails, JobFailure, JobSuccess } from '../../ports/pipeline-job';

/** Field lengths of the API model; a longer value makes CodePipeline reject the whole result. */
export const RESULT_LIMITS = { summary: 2048, externalExecutionId: 1500, message: 5000, continuationToken: 2048 } as const;

/** Wire `executionDetails`: truncated to the limits, empty strings dropped (minimum length 1), percent clamped to 0–100. */
export function fitExecutionDetails(details: ExecutionDetails): ExecutionDetails {
  const percent = details.percentComplete;
  return {
    ...(details.summary ? { summary: truncate(details.summary, RESULT_LIMITS.summary) } : {}),
    ...(details.externalExecutionId ? { externalExecutionId: truncate(details.externalExecutionId, RESULT_LIMITS.externalExecutionId) } : {}),
    ...(percent !== undefined && Number.isFinite(percent) ? { percentComplete: Math.max(0, Math.min(100, Math.round(percent))) } : {}),
  };
}

/**
 * A continuation token is state the next job must read back verbatim, so it is never truncated:
 * an oversized one is a bug of the caller, reported before anything is sent.
 */
export function checkContinuationToken(result: JobSuccess): void {
  const token = result.continuationToken;
  if (token !== undefined && token.length > RESULT_LIMITS.continuationToken) {
    throw new PermanentError(`continuation token of ${token.length} characters exceeds CodePipeline's ${RESULT_LIMITS.continuationToken}`);
  }
}

/** Wire `failureDetails`: message truncated (and never empty), externalExecutionId truncated. */
export function fitFailureDetails(failure: JobFailure): { type: JobFailure['type']; message: string; externalExecutionId?: string } {
  return {
    type: failure.type,
    message: truncate(failure.message || failure.type, RESULT_LIMITS.message),
    ...(failure.externalExecutionId ? { externalExecutionId: truncate(failure.externalExecutionId, RESULT_LIMITS.externalExecutionId) } : {}),
  };
}
