import { isAbortError, JobNoLongerActiveError, networkErrorCode, PermanentError, TransientError } from '../../core/errors';

const SYSTEM = 'codepipeline';

/** Names the AWS SDK gives throttling errors (CodePipeline's is ThrottlingException; others for safety). */
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

interface SdkErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * SDK error → taxonomy. Checked by name (not instanceof: errors cross realms under test runners
 * and the SDK wraps Node errors). Aborts pass through unchanged so callers see cancellation.
 */
export function mapCodePipelineError(error: unknown, operation: string, jobId?: string): unknown {
  if (isAbortError(error)) return error;
  const e = (error ?? {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const text = `${operation}: ${name}: ${e.message ?? String(error)}`;
  if (THROTTLING.has(name)) return new TransientError(text, SYSTEM, { cause: error, throttled: true });
  if (TIMEOUTS.has(name) || networkErrorCode(error) || /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up/.test(e.message ?? '')) {
    return new TransientError(text, SYSTEM, { cause: error });
  }
  if ((status !== undefined && status >= 500) || e.$fault === 'server') return new TransientError(text, SYSTEM, { cause: error });
  if (jobId && (name === 'InvalidJobStateException' || name === 'JobNotFoundException')) {
    return new JobNoLongerActiveError(text, jobId, { cause: error });
  }
  // Everything else the service rejected is a bug or a misconfiguration retries cannot fix:
  // ValidationException, ActionTypeNotFoundException, OutputVariablesSizeExceededException, auth errors.
  const failureType = name === 'ActionTypeNotFoundException' || /Unrecognized|InvalidSignature|AccessDenied|NotAuthorized|MissingAuthentication|ExpiredToken|CredentialsProvider/.test(name) ? 'ConfigurationError' : 'JobFailed';
  return new PermanentError(text, failureType, { cause: error });
}
