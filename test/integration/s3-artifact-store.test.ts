import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { S3ArtifactStore, mapS3Error, type S3ArtifactStoreOptions } from '../../src/adapters/s3';
import { createZipStream, type ZipSourceEntry } from '../../src/core/artifacts/zip-stream';
import { PermanentError, TransientError, isAbortError } from '../../src/core/errors';
import { startLocalS3, type LocalS3 } from '../../src/local-stack/s3';
import type { ArtifactAccess } from '../../src/ports/artifact-store';
import type { ArtifactCredentials, EncryptionKey, S3ObjectLocation } from '../../src/ports/pipeline-job';
import { CaptureLogger } from '../support/capture-logger';
import { collect, readZip, sha256 } from '../support/read-zip';

const BUCKET = 'codepipeline-us-east-1-artifacts';
const MIB = 1024 * 1024;
const KMS_KEY: EncryptionKey = { id: 'arn:aws:kms:us-east-1:123456789012:key/local-test', type: 'KMS' };

let credentialSerial = 0;
function newCredentials(): ArtifactCredentials {
  credentialSerial++;
  return {
    accessKeyId: `ASIAJOBKEY${String(credentialSerial).padStart(8, '0')}`,
    secretAccessKey: `secret-${credentialSerial}`,
    sessionToken: `token-${credentialSerial}`,
  };
}

/** An ArtifactAccess like the core's JobCredentials: hands out the current pair, refreshes after invalidate(). */
class TestAccess implements ArtifactAccess {
  calls = 0;
  invalidations = 0;
  constructor(
    private current: ArtifactCredentials,
    private readonly refreshed?: ArtifactCredentials,
    readonly encryptionKey?: EncryptionKey,
  ) {}
  readonly credentials = async (): Promise<ArtifactCredentials> => {
    this.calls++;
    return this.current;
  };
  readonly invalidate = (): void => {
    this.invalidations++;
    if (this.refreshed) this.current = this.refreshed;
  };
}

function bufferEntry(path: string, data: Buffer): ZipSourceEntry {
  // Several chunks, as an HTTP download would deliver them.
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 256 * 1024) chunks.push(data.subarray(offset, offset + 256 * 1024));
  return { path, size: data.length, open: async () => Readable.from(chunks) };
}

async function* entriesOf(list: ZipSourceEntry[]): AsyncGenerator<ZipSourceEntry> {
  for (const entry of list) yield entry;
}

describe('S3ArtifactStore against the local S3', () => {
  let s3: LocalS3;
  let logger: CaptureLogger;
  let store: S3ArtifactStore;

  function storeOptions(overrides: Partial<S3ArtifactStoreOptions> = {}): S3ArtifactStoreOptions {
    return {
      region: 'us-east-1',
      endpoint: s3.url,
      forcePathStyle: true,
      checksums: 'WHEN_REQUIRED',
      partSizeBytes: 5 * MIB,
      queueSize: 2,
      ...overrides,
    };
  }

  function registeredAccess(encryptionKey?: EncryptionKey): { access: TestAccess; credentials: ArtifactCredentials } {
    const credentials = newCredentials();
    s3.registerCredentials(credentials);
    return { access: new TestAccess(credentials, undefined, encryptionKey), credentials };
  }

  function requestsFor(key: string) {
    return s3.requests.filter((r) => r.bucket === BUCKET && r.key === key);
  }

  beforeAll(async () => {
    s3 = await startLocalS3({ buckets: [BUCKET] });
    logger = new CaptureLogger();
    store = new S3ArtifactStore(storeOptions(), logger);
  });
  afterAll(async () => {
    await s3.close();
  });

  it('uploads a zip stream by multipart with SSE-KMS and the job credentials, and reads it back intact', async () => {
    const { access, credentials } = registeredAccess(KMS_KEY);
    const files = new Map<string, Buffer>([
      ['build/app.bin', randomBytes(7 * MIB)],
      ['reports/summary.txt', Buffer.from('all green\n'.repeat(5000))],
      ['images/logo.png', randomBytes(5 * MIB + 123)],
    ]);
    const location: S3ObjectLocation = { bucket: BUCKET, key: 'my-pipeline/BuildOutput/Ab3xK9z' };
    const zip = createZipStream(entriesOf([...files].map(([path, data]) => bufferEntry(path, data))));
    const [put, done] = await Promise.all([store.put(location, zip.stream, { contentType: 'application/zip' }, access), zip.done]);

    expect(done.files).toBe(3);
    const head = await s3.headObject(BUCKET, location.key);
    expect(head?.size).toBe(put.bytes);
    expect(put.bytes).toBeGreaterThan(12 * MIB);
    expect(put.etag).toBeTruthy();

    const got = await store.get(location, access);
    expect(got.contentType).toBe('application/zip');
    expect(got.contentLength).toBe(put.bytes);
    const unzipped = await readZip(await collect(got.body));
    expect([...unzipped.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [path, data] of files) expect(unzipped.get(path)?.sha256).toBe(sha256(data));

    const requests = requestsFor(location.key);
    const operations = requests.map((r) => r.operation);
    expect(operations.filter((o) => o === 'UploadPart')).toHaveLength(3);
    expect(operations).toEqual(expect.arrayContaining(['CreateMultipartUpload', 'CompleteMultipartUpload', 'GetObject']));
    expect(requests.find((r) => r.operation === 'CreateMultipartUpload')).toMatchObject({
      sse: 'aws:kms',
      sseKmsKeyId: KMS_KEY.id,
      status: 200,
    });
    for (const request of requests) {
      expect(request).toMatchObject({ accessKeyId: credentials.accessKeyId, hasSecurityToken: true });
      expect(request.contentEncoding ?? '').not.toContain('aws-chunked');
    }
    expect(s3.requests.some((r) => r.accessKeyId === 'S3RVER')).toBe(false);
    expect(s3.objectEncryption(BUCKET, location.key)).toEqual({ sse: 'aws:kms', kmsKeyId: KMS_KEY.id });
    expect(await s3.listMultipartUploads(BUCKET)).toEqual([]);
  });

  it("works with the SDK's default checksums too: lib-storage sends Buffer parts, never aws-chunked", async () => {
    const { access } = registeredAccess(KMS_KEY);
    const defaults = new S3ArtifactStore(storeOptions({ checksums: 'WHEN_SUPPORTED' }), logger);
    const data = randomBytes(6 * MIB);
    const location = { bucket: BUCKET, key: 'my-pipeline/Default/c1' };
    const put = await defaults.put(location, Readable.from([data.subarray(0, 3 * MIB), data.subarray(3 * MIB)]), { contentType: 'application/zip' }, access);
    expect(put.bytes).toBe(data.length);
    expect((await s3.getObject(BUCKET, location.key)).equals(data)).toBe(true);
    const requests = requestsFor(location.key);
    expect(requests.filter((r) => r.operation === 'UploadPart')).toHaveLength(2);
    expect(requests.every((r) => !(r.contentEncoding ?? '').includes('aws-chunked'))).toBe(true);
  });

  it('sends aws:kms without a key id when the pipeline has no encryption key (single PutObject)', async () => {
    const { access } = registeredAccess();
    const location = { bucket: BUCKET, key: 'my-pipeline/Small/k1' };
    const put = await store.put(location, Readable.from([Buffer.from('PK small')]), { contentType: 'application/zip' }, access);
    expect(put.bytes).toBe(8);
    const [request] = requestsFor(location.key);
    expect(request).toMatchObject({ operation: 'PutObject', sse: 'aws:kms', status: 200 });
    expect(request?.sseKmsKeyId).toBeUndefined();
    expect(s3.objectEncryption(BUCKET, location.key)).toEqual({ sse: 'aws:kms' });
    expect(access.calls).toBeGreaterThan(0);
  });

  it('refreshes the credentials after ExpiredToken on get and retries once', async () => {
    const stale = newCredentials();
    const fresh = newCredentials();
    s3.registerCredentials(stale, { expiresAt: Date.now() - 1 });
    s3.registerCredentials(fresh);
    await s3.putObject(BUCKET, 'my-pipeline/Source/in1', 'source zip', 'application/zip');
    const access = new TestAccess(stale, fresh);

    const got = await store.get({ bucket: BUCKET, key: 'my-pipeline/Source/in1' }, access);
    expect((await collect(got.body)).toString()).toBe('source zip');
    expect(access.invalidations).toBe(1);
    expect(requestsFor('my-pipeline/Source/in1').map((r) => [r.accessKeyId, r.status])).toEqual([
      [stale.accessKeyId, 400],
      [fresh.accessKeyId, 200],
    ]);
    expect(logger.entries.some((e) => e.message.includes('refreshing them and retrying'))).toBe(true);

    // Still expired after the refresh: a TransientError after exactly one retry.
    const stuck = new TestAccess(stale, stale);
    await s3.putObject(BUCKET, 'my-pipeline/Source/in2', 'x');
    const failure = await store.get({ bucket: BUCKET, key: 'my-pipeline/Source/in2' }, stuck).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as TransientError).system).toBe('s3');
    expect(requestsFor('my-pipeline/Source/in2')).toHaveLength(2);
  });

  it('invalidates the credentials and throws TransientError when an upload meets ExpiredToken', async () => {
    const stale = newCredentials();
    s3.registerCredentials(stale, { expiresAt: Date.now() - 1 });
    const access = new TestAccess(stale);
    const failure = await store
      .put({ bucket: BUCKET, key: 'my-pipeline/Out/expired' }, Readable.from([Buffer.from('data')]), { contentType: 'application/zip' }, access)
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransientError);
    expect(String((failure as Error).message)).toContain('s3://codepipeline-us-east-1-artifacts/my-pipeline/Out/expired');
    expect(access.invalidations).toBe(1);
    expect(await s3.listKeys(BUCKET, 'my-pipeline/Out/expired')).toEqual([]);

    // A zip writer still producing when the upload fails stops with the same cause, so its `done`
    // tells the same story (a small archive may already be complete in lib-storage's part buffer).
    const zip = createZipStream(entriesOf([bufferEntry('a.bin', randomBytes(12 * MIB))]));
    const [put, done] = await Promise.allSettled([
      store.put({ bucket: BUCKET, key: 'my-pipeline/Out/expired2' }, zip.stream, { contentType: 'application/zip' }, access),
      zip.done,
    ]);
    expect(put).toMatchObject({ status: 'rejected', reason: expect.any(TransientError) });
    expect(done).toMatchObject({ status: 'rejected', reason: (put as PromiseRejectedResult).reason });
  });

  it('aborts the multipart upload when a source stream fails mid-archive', async () => {
    const { access } = registeredAccess(KMS_KEY);
    const key = 'my-pipeline/Out/broken';
    const sourceFailure = Object.assign(new Error('Jenkins artifact download reset'), { code: 'ECONNRESET' });
    const failingSource = new Readable({ read() {} });
    failingSource.push(randomBytes(64 * 1024));
    // Fail only once the upload is really multipart (a part has been stored), bounded to 10 s.
    const failLater = async (): Promise<void> => {
      for (let i = 0; i < 1000 && !requestsFor(key).some((r) => r.operation === 'UploadPart' && r.status === 200); i++) await delay(10);
      failingSource.destroy(sourceFailure);
    };
    const zip = createZipStream(
      entriesOf([
        bufferEntry('first.bin', randomBytes(6 * MIB)),
        {
          path: 'second.bin',
          open: async () => {
            void failLater();
            return failingSource;
          },
        },
      ]),
    );
    const [put, done] = await Promise.allSettled([
      store.put({ bucket: BUCKET, key }, zip.stream, { contentType: 'application/zip' }, access),
      zip.done,
    ]);
    expect(put).toMatchObject({ status: 'rejected', reason: sourceFailure });
    expect(done).toMatchObject({ status: 'rejected', reason: sourceFailure });
    expect(requestsFor(key).find((r) => r.operation === 'AbortMultipartUpload')).toMatchObject({ status: 204 });
    expect(await s3.listMultipartUploads(BUCKET)).toEqual([]);
    expect(await s3.listKeys(BUCKET, key)).toEqual([]);
  });

  it('stops on the abort signal', async () => {
    const { access } = registeredAccess();
    await s3.putObject(BUCKET, 'my-pipeline/Source/abort', 'x');
    const aborted = await store.get({ bucket: BUCKET, key: 'my-pipeline/Source/abort' }, access, AbortSignal.abort()).catch((e: unknown) => e);
    expect(isAbortError(aborted)).toBe(true);

    const controller = new AbortController();
    const key = 'my-pipeline/Out/aborted';
    const endless = new Readable({
      read() {
        this.push(randomBytes(256 * 1024));
      },
    });
    // Abort once the multipart upload exists on the server (bounded), so there is something to clean up.
    void (async () => {
      for (let i = 0; i < 1000 && !requestsFor(key).some((r) => r.operation === 'CreateMultipartUpload' && r.status === 200); i++) await delay(5);
      controller.abort();
    })();
    const failure = await store
      .put({ bucket: BUCKET, key }, endless, { contentType: 'application/zip' }, access, controller.signal)
      .catch((e: unknown) => e);
    expect(isAbortError(failure)).toBe(true);
    expect(endless.destroyed).toBe(true);
    // lib-storage aborts the multipart upload in the background once in-flight parts return.
    const abortRequest = () => requestsFor(key).find((r) => r.operation === 'AbortMultipartUpload' && r.status !== 0);
    for (let i = 0; i < 500 && !abortRequest(); i++) await delay(10);
    expect(abortRequest()).toMatchObject({ status: 204 });
    expect(await s3.listMultipartUploads(BUCKET)).toEqual([]);
    expect(await s3.listKeys(BUCKET, key)).toEqual([]);
  });

  it('maps NoSuchKey and InvalidAccessKeyId to PermanentError naming the object', async () => {
    const { access, credentials } = registeredAccess();
    const missing = await store.get({ bucket: BUCKET, key: 'my-pipeline/Source/missing' }, access).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing).toMatchObject({ failureType: 'JobFailed' });
    expect((missing as Error).message).toContain(`s3://${BUCKET}/my-pipeline/Source/missing`);
    expect((missing as Error).message).toContain('NoSuchKey');

    const noBucket = await store.get({ bucket: 'no-such-bucket', key: 'k' }, access).catch((e: unknown) => e);
    expect(noBucket).toBeInstanceOf(PermanentError);
    expect((noBucket as Error).message).toContain('NoSuchBucket');

    s3.revokeCredentials(credentials.accessKeyId);
    const revoked = await store.get({ bucket: BUCKET, key: 'my-pipeline/Source/missing' }, access).catch((e: unknown) => e);
    expect(revoked).toBeInstanceOf(PermanentError);
    expect((revoked as Error).message).toContain('InvalidAccessKeyId');
  });

  it('classifies S3 error codes', () => {
    const location = { bucket: 'b', key: 'k' };
    const sdkError = (name: string, status: number) =>
      new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
    expect(mapS3Error(sdkError('AccessDenied', 403), 'GetObject', location)).toMatchObject({
      kind: 'permanent',
      failureType: 'PermissionError',
    });
    expect(mapS3Error(sdkError('SlowDown', 503), 'PutObject', location)).toMatchObject({ kind: 'transient', throttled: true, system: 's3' });
    expect(mapS3Error(sdkError('InternalError', 500), 'PutObject', location)).toMatchObject({ kind: 'transient' });
    expect(mapS3Error(sdkError('EntityTooLarge', 400), 'PutObject', location)).toMatchObject({ kind: 'permanent', failureType: 'JobFailed' });
    const notS3 = new Error('zip entry broken');
    expect(mapS3Error(notS3, 'PutObject', location)).toBe(notS3);
  });

  it('throws TransientError when S3 is unreachable (connection refused)', async () => {
    const down = await startLocalS3({ buckets: [BUCKET] });
    const url = down.url;
    await down.close();
    const unreachable = new S3ArtifactStore({ ...storeOptions(), endpoint: url, maxAttempts: 1 }, logger);
    const access = new TestAccess(newCredentials());

    const getFailure = await unreachable.get({ bucket: BUCKET, key: 'k' }, access).catch((e: unknown) => e);
    expect(getFailure).toBeInstanceOf(TransientError);
    expect(getFailure).toMatchObject({ system: 's3' });
    expect((getFailure as Error).message).toContain('ECONNREFUSED');

    const putFailure = await unreachable
      .put({ bucket: BUCKET, key: 'k' }, Readable.from([Buffer.from('x')]), { contentType: 'application/zip' }, access)
      .catch((e: unknown) => e);
    expect(putFailure).toBeInstanceOf(TransientError);
  });

  it('rejects part sizes below the S3 minimum', () => {
    expect(() => new S3ArtifactStore({ region: 'us-east-1', partSizeBytes: MIB }, logger)).toThrow(/at least 5242880/);
  });
});
