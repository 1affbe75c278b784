import type { IncomingMessage, ServerResponse } from 'node:http';

export interface S3ErrorSpec {
  status: number;
  code: string;
  message: string;
  /** Extra elements real S3 adds for this code (e.g. AWSAccessKeyId, UploadId). */
  detail?: Record<string, string>;
}

/**
 * Writes an error the way S3 does: `application/xml` `<Error><Code/><Message/>…<RequestId/><HostId/></Error>`,
 * except for HEAD, where S3 sends the status alone (the SDK then derives the code from it).
 * The request body is drained, not read, so a client still uploading gets the answer promptly.
 */
export function sendS3Error(req: IncomingMessage, res: ServerResponse, error: S3ErrorSpec, requestId: string): void {
  req.resume();
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = error.status;
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const detail = Object.entries(error.detail ?? {})
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>${detail}` +
    `<RequestId>${requestId}</RequestId><HostId>${String(res.getHeader('x-amz-id-2') ?? '')}</HostId></Error>`;
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The errors the local S3 produces itself, worded as real S3 words them. */
export const S3Errors = {
  accessDenied: (): S3ErrorSpec => ({ status: 403, code: 'AccessDenied', message: 'Access Denied' }),
  invalidAccessKeyId: (accessKeyId: string): S3ErrorSpec => ({
    status: 403,
    code: 'InvalidAccessKeyId',
    message: 'The AWS Access Key Id you provided does not exist in our records.',
    detail: { AWSAccessKeyId: accessKeyId },
  }),
  expiredToken: (): S3ErrorSpec => ({ status: 400, code: 'ExpiredToken', message: 'The provided token has expired.' }),
  invalidToken: (): S3ErrorSpec => ({
    status: 400,
    code: 'InvalidToken',
    message: 'The provided token is malformed or otherwise invalid.',
  }),
  noSuchBucket: (bucket: string): S3ErrorSpec => ({
    status: 404,
    code: 'NoSuchBucket',
    message: 'The specified bucket does not exist',
    detail: { BucketName: bucket },
  }),
  noSuchUpload: (uploadId: string): S3ErrorSpec => ({
    status: 404,
    code: 'NoSuchUpload',
    message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    detail: { UploadId: uploadId },
  }),
  /** Not an S3 error: the emulator refusing what it cannot store faithfully (see local-s3.ts). */
  awsChunkedUnsupported: (): S3ErrorSpec => ({
    status: 400,
    code: 'InvalidRequest',
    message:
      'The local S3 (s3rver) cannot decode aws-chunked request bodies and would store the chunk framing as object data. ' +
      "Configure the S3 client with requestChecksumCalculation: 'WHEN_REQUIRED'.",
  }),
};
