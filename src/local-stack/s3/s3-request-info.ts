import type { IncomingMessage } from 'node:http';

/** What the local S3 learns from one request before s3rver sees it (path-style addressing only). */
export interface S3RequestInfo {
  method: string;
  /** URL path without the query string, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  bucket?: string;
  key?: string;
  /** The S3 API operation the request maps to (e.g. PutObject, UploadPart), or 'Unknown'. */
  operation: string;
  uploadId?: string;
  accessKeyId?: string;
  securityToken?: string;
  sse?: string;
  sseKmsKeyId?: string;
  contentEncoding?: string;
  contentSha256?: string;
}

export function parseS3Request(req: IncomingMessage): S3RequestInfo {
  const url = new URL(req.url ?? '/', 'http://local-s3');
  const method = (req.method ?? 'GET').toUpperCase();
  const [rawBucket = '', ...rest] = url.pathname.replace(/^\//, '').split('/');
  const bucket = rawBucket ? decodeURIComponent(rawBucket) : undefined;
  const rawKey = rest.join('/');
  const key = bucket && rawKey ? decodeURIComponent(rawKey) : undefined;
  const query = url.searchParams;
  return {
    method,
    path: url.pathname,
    query,
    ...(bucket !== undefined ? { bucket } : {}),
    ...(key !== undefined ? { key } : {}),
    operation: operationOf(method, bucket, key, query, req.headers),
    ...optional('uploadId', query.get('uploadId') ?? undefined),
    ...optional('accessKeyId', accessKeyIdOf(req, query)),
    ...optional('securityToken', header(req, 'x-amz-security-token') ?? query.get('X-Amz-Security-Token') ?? undefined),
    ...optional('sse', header(req, 'x-amz-server-side-encryption')),
    ...optional('sseKmsKeyId', header(req, 'x-amz-server-side-encryption-aws-kms-key-id')),
    ...optional('contentEncoding', header(req, 'content-encoding')),
    ...optional('contentSha256', header(req, 'x-amz-content-sha256')),
  };
}

function optional<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** SigV4 `Credential=AKID/…` (header or presigned query) or SigV2 `AWS AKID:signature`. */
function accessKeyIdOf(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const authorization = header(req, 'authorization');
  if (authorization) {
    const v4 = /Credential=([^/,\s]+)\//.exec(authorization);
    if (v4?.[1]) return v4[1];
    const v2 = /^AWS ([^:\s]+):/.exec(authorization);
    if (v2?.[1]) return v2[1];
    return undefined;
  }
  const credential = query.get('X-Amz-Credential');
  if (credential) return credential.split('/')[0];
  return query.get('AWSAccessKeyId') ?? undefined;
}

function operationOf(
  method: string,
  bucket: string | undefined,
  key: string | undefined,
  query: URLSearchParams,
  headers: IncomingMessage['headers'],
): string {
  if (!bucket) return method === 'GET' ? 'ListBuckets' : 'Unknown';
  if (key === undefined) {
    switch (method) {
      case 'PUT':
        return query.size === 0 ? 'CreateBucket' : 'PutBucketSubresource';
      case 'HEAD':
        return 'HeadBucket';
      case 'DELETE':
        return query.size === 0 ? 'DeleteBucket' : 'DeleteBucketSubresource';
      case 'POST':
        return query.has('delete') ? 'DeleteObjects' : 'PostObject';
      case 'GET':
        if (query.has('uploads')) return 'ListMultipartUploads';
        if (query.has('location')) return 'GetBucketLocation';
        if (query.get('list-type') === '2') return 'ListObjectsV2';
        return query.size === 0 || query.has('prefix') || query.has('marker') || query.has('delimiter') ? 'ListObjects' : 'GetBucketSubresource';
      default:
        return 'Unknown';
    }
  }
  const copy = 'x-amz-copy-source' in headers;
  switch (method) {
    case 'PUT':
      if (query.has('uploadId')) return copy ? 'UploadPartCopy' : 'UploadPart';
      if (query.has('tagging')) return 'PutObjectTagging';
      return copy ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      return 'Unknown';
    case 'GET':
      if (query.has('uploadId')) return 'ListParts';
      if (query.has('tagging')) return 'GetObjectTagging';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return 'Unknown';
  }
}
