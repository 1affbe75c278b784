import { describe, expect, it } from '@jest/globals';
import { JobNoLongerActiveError, PermanentError, TransientError } from '../../core/errors';
import { mapCodePipelineError } from './map-error';

/** Shaped like the SDK's service exceptions (name, $fault, $metadata), which the mapper reads. */
const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} message`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });

describe('mapCodePipelineError', () => {
  it.each(['UnrecognizedClientException', 'InvalidSignatureException', 'AccessDeniedException', 'MissingAuthenticationTokenException', 'ExpiredTokenException'])(
    'treats the auth error %s as a permanent ConfigurationError',
    (name) => {
      const mapped = mapCodePipelineError(sdkError(name, 403), 'PollForJobs');
      expect(mapped).toBeInstanceOf(PermanentError);
      expect(mapped).toMatchObject({ failureType: 'ConfigurationError', message: expect.stringContaining(name) });
    },
  );

  it('makes ValidationException a ConfigurationError for polling and a JobFailed for results', () => {
    expect(mapCodePipelineError(sdkError('ValidationException', 400), 'PollForJobs')).toMatchObject({ kind: 'permanent', failureType: 'ConfigurationError' });
    expect(mapCodePipelineError(sdkError('ValidationException', 400), 'PutJobSuccessResult', 'job-1')).toMatchObject({ kind: 'permanent', failureType: 'JobFailed' });
  });

  it('makes InvalidJobStateException and JobNotFoundException about a job JobNoLongerActiveError', () => {
    for (const name of ['InvalidJobStateException', 'JobNotFoundException']) {
      const mapped = mapCodePipelineError(sdkError(name, 400), 'PutJobFailureResult', 'job-1');
      expect(mapped).toBeInstanceOf(JobNoLongerActiveError);
      expect(mapped).toMatchObject({ jobId: 'job-1' });
    }
  });

  it('classifies throttling by name, by the SDK retry hint and by 429', () => {
    for (const error of [sdkError('ThrottlingException', 400), sdkError('Unnamed', 400, { $retryable: { throttling: true } }), sdkError('Unnamed', 429)]) {
      const mapped = mapCodePipelineError(error, 'PollForJobs');
      expect(mapped).toBeInstanceOf(TransientError);
      expect(mapped).toMatchObject({ throttled: true, system: 'codepipeline' });
    }
  });

  it('classifies 5xx, timeouts and network failures as transient, not throttled', () => {
    const cases: unknown[] = [
      sdkError('InternalFailure', 500),
      sdkError('SomethingNew', 502),
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      Object.assign(new Error('outer'), { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }),
      new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1'),
      new Error('socket hang up'),
    ];
    for (const error of cases) {
      const mapped = mapCodePipelineError(error, 'AcknowledgeJob');
      expect(mapped).toBeInstanceOf(TransientError);
      expect(mapped).toMatchObject({ throttled: false });
    }
  });

  it('passes aborts through unchanged', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(mapCodePipelineError(abort, 'PollForJobs')).toBe(abort);
  });

  it('treats other client errors as permanent JobFailed', () => {
    expect(mapCodePipelineError(sdkError('OutputVariablesSizeExceededException', 400), 'PutJobSuccessResult', 'j')).toMatchObject({
      kind: 'permanent',
      failureType: 'JobFailed',
    });
  });
});
