import { isAbortError, JobNoLongerActiveError, networkErrorCode, PermanentError, TransientError } from '../../core/errors';
import type { FailureType } from '../../ports/pipeline-job';

const SYSTEM = 'codepipeline';

/** Throttling as AWS front ends name it (CodePipeline's is the common ThrottlingException; others for safety). */
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled', 'SlowDown']);
/** Client-side timeouts of the SDK's HTTP handler and server-side request timeouts. */
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
/** The bridge's own identity or signature was refused: retrying cannot help, the deployment must be fixed. */
const AUTH = /^(UnrecognizedClient|InvalidSignature|IncompleteSignature|MissingAuthenticationToken|AccessDenied|NotAuthorized|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken)(Exception)?$/;
/** Operations whose input comes from the bridge's configuration (action type, queryParam), not from a job. */
const CONFIG_OPERATIONS = new Set(['PollForJobs', 'ListActionTypes']);

interface SdkErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/**
 * SDK error → error taxonomy, so no SDK type crosses the port. Matched by name and shape, not
 * `instanceof` (errors cross realms under test runners, and the SDK wraps Node errors).
 * Aborts pass through unchanged so callers see cancellation. `jobId` is given for calls about one
 * job: a job the service no longer knows or no longer accepts results for is JobNoLongerActiveError.
 */
export function mapCodePipelineError(error: unknown, operation: string, jobId?: string): unknown {
  if (isAbortError(error)) return error;
  const e = (error ?? {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const text = `CodePipeline ${operation} failed: ${name}: ${e.message ?? String(error)}`;

  if (THROTTLING.has(name) || e.$retryable?.throttling || status === 429) return new TransientError(text, SYSTEM, { cause: error, throttled: true });
  if (TIMEOUTS.has(name) || networkErrorCode(error)) return new TransientError(text, SYSTEM, { cause: error });
  if ((status !== undefined && status >= 500) || e.$fault === 'server') return new TransientError(text, SYSTEM, { cause: error });
  if (jobId && (name === 'InvalidJobStateException' || name === 'JobNotFoundException')) {
    return new JobNoLongerActiveError(text, jobId, { cause: error });
  }
  return new PermanentError(text, permanentFailureType(name, operation), { cause: error });
}

/** Everything else the service rejected is a misconfiguration or a bug that retries cannot fix. */
function permanentFailureType(name: string, operation: string): FailureType {
  if (name === 'ActionTypeNotFoundException' || AUTH.test(name)) return 'ConfigurationError';
  if (name === 'ValidationException' && CONFIG_OPERATIONS.has(operation)) return 'ConfigurationError';
  // ValidationException on a result, OutputVariablesSizeExceededException: the job's own output is at fault.
  return 'JobFailed';
}
