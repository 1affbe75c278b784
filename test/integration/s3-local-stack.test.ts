import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { startLocalS3, type LocalS3, type LocalS3Credentials } from '../../src/local-stack/s3';

const BUCKET = 'codepipeline-artifacts';
const JOB_CREDENTIALS: LocalS3Credentials = {
  accessKeyId: 'ASIALOCALJOB0000001',
  secretAccessKey: 'job-secret-1',
  sessionToken: 'job-session-token-1',
};
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/0b5c-local';

describe('local S3 (s3rver wrapper) with the real S3 client', () => {
  let s3: LocalS3;
  const clients: S3Client[] = [];

  function client(
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
    checksums: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED' = 'WHEN_REQUIRED',
  ): S3Client {
    const created = new S3Client({
      region: 'us-east-1',
      endpoint: s3.url,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: checksums,
      responseChecksumValidation: checksums,
      maxAttempts: 1,
      // The SDK warns on console about the refused streaming request; the assertions cover it.
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    clients.push(created);
    return created;
  }

  beforeAll(async () => {
    s3 = await startLocalS3({ buckets: [BUCKET] });
    s3.registerCredentials(JOB_CREDENTIALS);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await s3.close();
  });

  it('denies uploads without SSE-KMS with the bucket-policy AccessDenied', async () => {
    const job = client(JOB_CREDENTIALS);
    await expect(job.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain/object', Body: 'data' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      job.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain/object', Body: 'data', ServerSideEncryption: 'AES256' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(job.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'plain/multipart' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    expect(await s3.listKeys(BUCKET, 'plain/')).toEqual([]);
    expect(await s3.listMultipartUploads(BUCKET)).toEqual([]);
  });

  it('stores SSE-KMS uploads signed with registered credentials and echoes the encryption on reads', async () => {
    const job = client(JOB_CREDENTIALS);
    const put = await job.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'pipeline/out/abc123',
        Body: Buffer.from('zip bytes'),
        ContentType: 'application/zip',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KMS_KEY,
      }),
    );
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(put.SSEKMSKeyId).toBe(KMS_KEY);

    const got = await job.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'pipeline/out/abc123' }));
    expect(await got.Body?.transformToString()).toBe('zip bytes');
    expect(got.ContentType).toBe('application/zip');
    expect(got.ServerSideEncryption).toBe('aws:kms');
    expect(got.SSEKMSKeyId).toBe(KMS_KEY);
    const head = await job.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'pipeline/out/abc123' }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(s3.objectEncryption(BUCKET, 'pipeline/out/abc123')).toEqual({ sse: 'aws:kms', kmsKeyId: KMS_KEY });
    expect(await s3.getObject(BUCKET, 'pipeline/out/abc123')).toEqual(Buffer.from('zip bytes'));

    const putRecord = s3.requests.find((r) => r.operation === 'PutObject' && r.key === 'pipeline/out/abc123');
    expect(putRecord).toMatchObject({
      method: 'PUT',
      bucket: BUCKET,
      accessKeyId: JOB_CREDENTIALS.accessKeyId,
      sse: 'aws:kms',
      sseKmsKeyId: KMS_KEY,
      hasSecurityToken: true,
      status: 200,
    });
    expect(putRecord?.contentEncoding ?? '').not.toContain('aws-chunked');
    expect(JSON.stringify(s3.requests)).not.toContain(JOB_CREDENTIALS.sessionToken);
  });

  it('answers InvalidAccessKeyId for unknown and revoked keys, InvalidToken for a wrong session token', async () => {
    const stranger = client({ accessKeyId: 'AKIAWORKEROWNKEY', secretAccessKey: 'x' });
    await expect(stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'any' }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
      $metadata: { httpStatusCode: 403 },
    });
    expect(s3.requests.at(-1)).toMatchObject({ accessKeyId: 'AKIAWORKEROWNKEY', status: 403 });

    const noToken = client({ accessKeyId: JOB_CREDENTIALS.accessKeyId, secretAccessKey: JOB_CREDENTIALS.secretAccessKey });
    await expect(noToken.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'any' }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
    const wrongToken = client({ ...JOB_CREDENTIALS, sessionToken: 'stale-token' });
    await expect(wrongToken.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'any' }))).rejects.toMatchObject({
      name: 'InvalidToken',
      $metadata: { httpStatusCode: 400 },
    });

    const revoked = { accessKeyId: 'ASIAREVOKED000001', secretAccessKey: 's', sessionToken: 't' };
    s3.registerCredentials(revoked);
    await s3.putObject(BUCKET, 'seeded', 'seed');
    const revokedClient = client(revoked);
    await expect(revokedClient.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'seeded' }))).resolves.toBeDefined();
    s3.revokeCredentials(revoked.accessKeyId);
    await expect(revokedClient.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'seeded' }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
  });

  it('answers ExpiredToken once registered credentials expire', async () => {
    const expiring = { accessKeyId: 'ASIAEXPIRING00001', secretAccessKey: 's', sessionToken: 't' };
    s3.registerCredentials(expiring, { expiresAt: Date.now() + 60_000 });
    await s3.putObject(BUCKET, 'input/source.zip', 'source', 'application/zip');
    const c = client(expiring);
    const ok = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'input/source.zip' }));
    expect(await ok.Body?.transformToString()).toBe('source');

    s3.expireCredentials(expiring.accessKeyId);
    await expect(c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'input/source.zip' }))).rejects.toMatchObject({
      name: 'ExpiredToken',
      message: 'The provided token has expired.',
      $metadata: { httpStatusCode: 400 },
    });

    const alreadyExpired = { accessKeyId: 'ASIAEXPIRED000001', secretAccessKey: 's', sessionToken: 't' };
    s3.registerCredentials(alreadyExpired, { expiresAt: Date.now() - 1000 });
    await expect(
      client(alreadyExpired).send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'out/x', Body: 'x', ServerSideEncryption: 'aws:kms' }),
      ),
    ).rejects.toMatchObject({ name: 'ExpiredToken' });
  });

  it('refuses an aws-chunked streamed PutObject (SDK default checksums) instead of storing corrupt data', async () => {
    const defaults = client(JOB_CREDENTIALS, 'WHEN_SUPPORTED');
    const body = Buffer.alloc(256 * 1024, 7);
    await expect(
      defaults.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'chunked/object',
          Body: Readable.from([body]),
          ContentLength: body.length,
          ServerSideEncryption: 'aws:kms',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } });
    expect(await s3.listKeys(BUCKET, 'chunked/')).toEqual([]);
    expect(s3.requests.at(-1)).toMatchObject({ operation: 'PutObject', contentEncoding: expect.stringContaining('aws-chunked') });

    // The same stream with WHEN_REQUIRED is sent plain and stored byte for byte.
    await client(JOB_CREDENTIALS).send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'chunked/object',
        Body: Readable.from([body]),
        ContentLength: body.length,
        ServerSideEncryption: 'aws:kms',
      }),
    );
    expect((await s3.getObject(BUCKET, 'chunked/object')).equals(body)).toBe(true);
  });

  it('supports multipart upload with SSE recorded from the initiate, and AbortMultipartUpload', async () => {
    const job = client(JOB_CREDENTIALS);
    const part = Buffer.alloc(5 * 1024 * 1024, 1);
    const created = await job.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/done', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_KEY }),
    );
    const one = await job.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/done', UploadId: created.UploadId, PartNumber: 1, Body: part }));
    const two = await job.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/done', UploadId: created.UploadId, PartNumber: 2, Body: Buffer.from('tail') }),
    );
    await job.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'mp/done',
        UploadId: created.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.ETag }] },
      }),
    );
    expect((await s3.headObject(BUCKET, 'mp/done'))?.size).toBe(part.length + 4);
    expect(s3.objectEncryption(BUCKET, 'mp/done')).toEqual({ sse: 'aws:kms', kmsKeyId: KMS_KEY });
    const uploadPart = s3.requests.find((r) => r.operation === 'UploadPart' && r.key === 'mp/done');
    expect(uploadPart).toMatchObject({ uploadId: created.UploadId, status: 200 });

    const abandoned = await job.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/abandoned', ServerSideEncryption: 'aws:kms' }));
    await job.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/abandoned', UploadId: abandoned.UploadId, PartNumber: 1, Body: part }));
    expect(await s3.listMultipartUploads(BUCKET)).toEqual([{ uploadId: abandoned.UploadId, key: 'mp/abandoned' }]);
    await job.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/abandoned', UploadId: abandoned.UploadId }));
    expect(await s3.listMultipartUploads(BUCKET)).toEqual([]);
    expect(await s3.listKeys(BUCKET, 'mp/')).toEqual(['mp/done']);
    await expect(
      job.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/abandoned', UploadId: abandoned.UploadId })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
  });

  it('writes S3-shaped error XML with a request id, and refuses anonymous requests', async () => {
    const response = await fetch(`${s3.url}/${BUCKET}/pipeline/out/abc123`);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/xml');
    const requestId = response.headers.get('x-amz-request-id');
    const xml = await response.text();
    expect(xml).toMatch(
      new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>${requestId}</RequestId><HostId>[^<]+</HostId></Error>$`),
    );
    expect(s3.requests.at(-1)).toMatchObject({ operation: 'GetObject', status: 403, hasSecurityToken: false });
    expect(s3.requests.at(-1)?.accessKeyId).toBeUndefined();
  });

  it('lists with the admin helpers and through the SDK (single page)', async () => {
    await s3.createBucket('second-bucket');
    await s3.putObject('second-bucket', 'a/1', '1');
    await s3.putObject('second-bucket', 'a/2', '22', 'text/plain');
    await s3.putObject('second-bucket', 'b/3', '333');
    expect(await s3.listKeys('second-bucket', 'a/')).toEqual(['a/1', 'a/2']);
    expect(await s3.headObject('second-bucket', 'a/2')).toMatchObject({ size: 2, contentType: 'text/plain' });
    expect(await s3.headObject('second-bucket', 'missing')).toBeUndefined();
    await expect(s3.getObject('second-bucket', 'missing')).rejects.toThrow(/NoSuchKey/);
    await expect(s3.listKeys('no-such-bucket')).rejects.toThrow(/NoSuchBucket/);

    const listed = await client(JOB_CREDENTIALS).send(new ListObjectsV2Command({ Bucket: 'second-bucket', Prefix: 'a/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['a/1', 'a/2']);
  });
});
