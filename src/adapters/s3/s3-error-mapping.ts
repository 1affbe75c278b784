import type { S3ObjectLocation } from '../../ports/pipeline-job';
import { BridgeError, PermanentError, TransientError, isAbortError, networkErrorCode } from '../../core/errors';

/** Codes meaning "these credentials are stale": refresh them (GetJobDetails) and try again. */
const TOKEN_CODES: ReadonlySet<string> = new Set(['ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'ExpiredTokenException']);

const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
]);

const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'PriorRequestNotComplete',
  'IDPCommunicationError',
]);

const PERMISSION_CODES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'SignatureDoesNotMatch',
  'KMS.AccessDeniedException',
  'KMS.DisabledException',
  'KMS.KMSInvalidStateException',
]);

interface SdkErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function codeOf(error: unknown): { code: string; status: number | undefined; message: string } {
  const shape = (error ?? {}) as SdkErrorShape;
  return {
    code: shape.Code ?? shape.name ?? 'Error',
    status: shape.$metadata?.httpStatusCode,
    message: shape.message ?? String(error),
  };
}

export function isTokenError(error: unknown): boolean {
  return TOKEN_CODES.has(codeOf(error).code);
}

/**
 * Translates an S3 SDK failure into the bridge's error taxonomy, naming the object. Abort errors
 * and errors that are already classified pass through unchanged, as do errors that did not come
 * from S3 at all (a failing request body, a bug), so the caller sees the real cause.
 */
export function mapS3Error(error: unknown, operation: string, location: S3ObjectLocation): unknown {
  if (error instanceof BridgeError || isAbortError(error)) return error;
  const { code, status, message } = codeOf(error);
  const where = `s3://${location.bucket}/${location.key}`;
  const cause = { cause: error };

  if (TOKEN_CODES.has(code)) {
    return new TransientError(`${operation} ${where}: the job's artifact credentials were rejected (${code}: ${message})`, 's3', cause);
  }
  if (THROTTLING_CODES.has(code) || status === 429 || status === 503) {
    return new TransientError(`${operation} ${where} was throttled by S3 (${code})`, 's3', { ...cause, throttled: true });
  }
  if (TRANSIENT_CODES.has(code) || (status !== undefined && status >= 500)) {
    return new TransientError(`${operation} ${where} failed with a server error (${code}: ${message})`, 's3', cause);
  }
  const network = networkErrorCode(error);
  if (network) return new TransientError(`${operation} ${where}: S3 unreachable (${network})`, 's3', cause);

  switch (code) {
    case 'NoSuchKey':
      return new PermanentError(`The artifact object ${where} does not exist (NoSuchKey).`, 'JobFailed', cause);
    case 'NoSuchBucket':
      return new PermanentError(`The artifact bucket "${location.bucket}" does not exist (NoSuchBucket; object ${where}).`, 'JobFailed', cause);
    case 'InvalidAccessKeyId':
      return new PermanentError(
        `S3 does not recognise the job's artifact credentials for ${operation} ${where} (InvalidAccessKeyId: ${message})`,
        'JobFailed',
        cause,
      );
  }
  if (PERMISSION_CODES.has(code)) {
    return new PermanentError(
      `Access denied to ${where} for ${operation} with the job's artifact credentials (${code}: ${message})`,
      'PermissionError',
      cause,
    );
  }
  if (status !== undefined && status >= 400) {
    return new PermanentError(`${operation} ${where} failed (${code}: ${message})`, 'JobFailed', cause);
  }
  return error;
}
