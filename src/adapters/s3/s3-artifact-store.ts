import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, Transform } from 'node:stream';
import type { ArtifactAccess, ArtifactStore, PutResult, StoredObject } from '../../ports/artifact-store';
import type { Logger } from '../../ports/logger';
import type { S3ObjectLocation } from '../../ports/pipeline-job';
import { TransientError } from '../../core/errors';
import { isTokenError, mapS3Error } from './s3-error-mapping';

export interface S3ArtifactStoreOptions {
  region: string;
  /** Custom endpoint (the local stack); AWS's regional endpoint when absent. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /**
   * SDK request checksums. 'WHEN_SUPPORTED' (SDK default, fine for real S3) sends streamed bodies
   * aws-chunked; s3rver cannot decode that, so the local stack uses 'WHEN_REQUIRED'.
   */
  checksums?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** Multipart part size; memory use is about partSize × (queueSize + 1). Default 8 MiB, minimum 5 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded concurrently. Default 4. */
  queueSize?: number;
  /** Socket inactivity timeout per request. */
  requestTimeoutMs?: number;
  /** SDK attempts per request, including its own retries of 5xx/throttling/network errors. Default 3. */
  maxAttempts?: number;
}

const MIB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MIB;

/**
 * Credentials handed to the SDK claim to expire this soon. The SDK re-asks its provider whenever
 * the expiration is less than 5 minutes away, so every request goes back to the job's provider,
 * which caches and refreshes (GetJobDetails) on its own schedule and after `invalidate()`.
 */
const CREDENTIALS_TTL_MS = 60_000;

/**
 * The artifact bucket through the AWS SDK, always with the job's own temporary credentials (one
 * S3Client per job access; never the process's credentials). Uploads stream through lib-storage
 * multipart with SSE-KMS, as the CodePipeline artifact bucket policy demands.
 */
export class S3ArtifactStore implements ArtifactStore {
  private readonly clients = new WeakMap<ArtifactAccess, S3Client>();
  private readonly log: Logger;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(
    private readonly options: S3ArtifactStoreOptions,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 's3-artifact-store' });
    this.partSize = options.partSizeBytes ?? 8 * MIB;
    this.queueSize = options.queueSize ?? 4;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE) {
      throw new TypeError(`partSizeBytes must be an integer of at least ${MIN_PART_SIZE} (S3's minimum part size)`);
    }
    if (!Number.isInteger(this.queueSize) || this.queueSize < 1) throw new TypeError('queueSize must be a positive integer');
  }

  async get(location: S3ObjectLocation, access: ArtifactAccess, signal?: AbortSignal): Promise<StoredObject> {
    const client = this.clientFor(access);
    const send = () => client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), { abortSignal: signal });
    let output: Awaited<ReturnType<typeof send>>;
    try {
      output = await send();
    } catch (error) {
      if (!isTokenError(error) || signal?.aborted) throw mapS3Error(error, 'GetObject', location);
      // Stale credentials: make the provider fetch fresh ones (GetJobDetails) and try once more.
      this.log.info('artifact credentials rejected; refreshing them and retrying the download', {
        bucket: location.bucket,
        key: location.key,
        code: (error as Error).name,
      });
      access.invalidate?.();
      try {
        output = await send();
      } catch (retryError) {
        throw mapS3Error(retryError, 'GetObject', location);
      }
    }
    const body = output.Body;
    if (!(body instanceof Readable)) {
      throw new TypeError(`GetObject s3://${location.bucket}/${location.key} returned no readable body`);
    }
    if (signal) destroyOnAbort(body, signal);
    return {
      body,
      ...(output.ContentLength !== undefined ? { contentLength: output.ContentLength } : {}),
      ...(output.ContentType !== undefined ? { contentType: output.ContentType } : {}),
    };
  }

  async put(
    location: S3ObjectLocation,
    body: Readable,
    options: { contentType: string },
    access: ArtifactAccess,
    signal?: AbortSignal,
  ): Promise<PutResult> {
    if (signal?.aborted) {
      const reason = abortReason(signal);
      body.once('error', () => undefined);
      body.destroy(reason);
      throw reason;
    }
    const client = this.clientFor(access);
    let bytes = 0;
    // The body's own failure (e.g. the zip writer lost a source) is the real cause of a failed upload.
    let bodyError: Error | undefined;
    let stopping = false;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        bytes += chunk.length;
        next(null, chunk);
      },
    });
    // Not pipeline(): lib-storage destroys its input when it gives up (with a bare AbortError),
    // and that must not reach the body; the body is ended below with the upload's real failure.
    body.on('error', (error) => {
      if (!stopping) bodyError ??= error;
      counted.destroy(error);
    });
    body.pipe(counted);

    const kmsKeyId = access.encryptionKey && access.encryptionKey.type.toUpperCase() === 'KMS' ? access.encryptionKey.id : undefined;
    const upload = new Upload({
      client,
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
      params: {
        Bucket: location.bucket,
        Key: location.key,
        Body: counted,
        ContentType: options.contentType,
        // The artifact bucket policy denies uploads without it, even when the pipeline has no key.
        ServerSideEncryption: 'aws:kms',
        ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}),
      },
    });
    const onAbort = (): void => {
      // Failing the body makes lib-storage abort the multipart upload once in-flight parts return;
      // upload.abort() settles done() right away.
      stopping = true;
      const reason = abortReason(signal);
      body.destroy(reason);
      counted.destroy(reason);
      void upload.abort();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await upload.done();
      this.log.debug('artifact uploaded', { bucket: location.bucket, key: location.key, bytes });
      return { bytes, ...(result.ETag ? { etag: result.ETag } : {}) };
    } catch (error) {
      const failure = signal?.aborted ? abortReason(signal) : (bodyError ?? this.uploadFailure(error, location, access));
      // Ending the body with the failure lets a producer awaiting its own completion (the zip
      // writer's `done`) report the same cause.
      stopping = true;
      body.destroy(failure instanceof Error ? failure : undefined);
      counted.destroy();
      throw failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private uploadFailure(error: unknown, location: S3ObjectLocation, access: ArtifactAccess): unknown {
    if (!isTokenError(error)) return mapS3Error(error, 'PutObject', location);
    // A half-sent stream cannot be replayed here: refresh the credentials and let the caller
    // produce the stream again.
    access.invalidate?.();
    return new TransientError(
      `Upload to s3://${location.bucket}/${location.key} was refused with expired artifact credentials (${(error as Error).name}); they are refreshed for the next attempt`,
      's3',
      { cause: error },
    );
  }

  private clientFor(access: ArtifactAccess): S3Client {
    let client = this.clients.get(access);
    if (!client) {
      client = new S3Client(this.clientConfig(access));
      this.clients.set(access, client);
    }
    return client;
  }

  private clientConfig(access: ArtifactAccess): S3ClientConfig {
    const { region, endpoint, forcePathStyle, checksums = 'WHEN_SUPPORTED', requestTimeoutMs, maxAttempts } = this.options;
    return {
      region,
      ...(endpoint ? { endpoint } : {}),
      ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      requestChecksumCalculation: checksums,
      responseChecksumValidation: checksums,
      // requestTimeout is socket inactivity, not total time, so big parts are fine. Without
      // throwOnRequestTimeout the SDK only logs a warning and a stalled S3 connection hangs the job.
      requestHandler: { requestTimeout: requestTimeoutMs ?? 60_000, connectionTimeout: 5_000, throwOnRequestTimeout: true },
      // Always the job's credentials; a client with a provider never consults the default chain.
      credentials: async () => {
        const credentials = await access.credentials();
        return {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
          expiration: new Date(Date.now() + CREDENTIALS_TTL_MS),
        };
      },
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: (...content: unknown[]) => this.log.warn(`AWS SDK: ${content.map(String).join(' ')}`),
        error: (...content: unknown[]) => this.log.warn(`AWS SDK: ${content.map(String).join(' ')}`),
      },
    };
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('The S3 transfer was aborted');
  error.name = 'AbortError';
  return error;
}

/** Aborting after GetObject returned must still stop the body download. */
function destroyOnAbort(body: Readable, signal: AbortSignal): void {
  const onAbort = (): void => {
    body.destroy(abortReason(signal));
  };
  if (signal.aborted) return onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  body.once('close', () => signal.removeEventListener('abort', onAbort));
}
