import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

/** S3 accepts at most this many parts per upload. */
const MAX_PARTS = 10_000;

export interface StreamUploadOptions {
  client: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  /** KMS key for SSE-KMS; `aws:kms` is always requested (the artifact bucket policy demands it). */
  kmsKeyId?: string;
  partSize: number;
  /** Parts uploaded at once. */
  queueSize: number;
  /** As the client's requestChecksumCalculation: 'WHEN_SUPPORTED' declares CRC32 on the multipart upload. */
  checksums: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** Stops in-flight requests; the upload then cleans up and rejects with an AbortError. */
  signal: AbortSignal;
}

/**
 * Streams `body` into one object: a single PutObject when it fits in one part, otherwise a
 * multipart upload with up to `queueSize` parts in flight, aborted (parts deleted) on any failure.
 *
 * The same requests lib-storage's Upload makes, with one difference that matters for a long-lived
 * process moving gigabytes: part buffers come from a pool of `queueSize + 1` buffers of `partSize`
 * (allocated as needed, then reused), and chunks are copied straight into them. lib-storage
 * concatenates a fresh buffer for every part, so memory beyond the parts in flight depends on when
 * the garbage collector gets to them (it reached ~100 MB over the parts with 8 MiB × 4 on 200 MB+
 * artifacts), and every part's fresh pages cost page faults. Here memory is the pool, fixed.
 */
export async function uploadStream(body: Readable, options: StreamUploadOptions): Promise<{ etag?: string }> {
  const { client, bucket, key, partSize, signal } = options;
  const pool = new PartBuffers(partSize, options.queueSize + 1);
  const inFlight = new Set<Promise<void>>();
  const parts: CompletedPart[] = [];
  let uploadId: Promise<string> | undefined;
  let failure: unknown;
  const stop = (error: unknown): void => {
    failure ??= error;
    pool.fail(error);
  };
  const onAbort = (): void => stop(abortError());
  signal.addEventListener('abort', onAbort, { once: true });

  const objectParams = {
    Bucket: bucket,
    Key: key,
    ContentType: options.contentType,
    ServerSideEncryption: 'aws:kms' as const,
    ...(options.kmsKeyId ? { SSEKMSKeyId: options.kmsKeyId } : {}),
  };

  const multipart = (): Promise<string> =>
    (uploadId ??= client
      .send(
        new CreateMultipartUploadCommand({ ...objectParams, ...(options.checksums === 'WHEN_SUPPORTED' ? { ChecksumAlgorithm: 'CRC32' as const } : {}) }),
        { abortSignal: signal },
      )
      .then(({ UploadId }) => {
        if (!UploadId) throw new Error(`CreateMultipartUpload for s3://${bucket}/${key} returned no UploadId`);
        return UploadId;
      }));

  const send = (buffer: Buffer, length: number, partNumber: number): void => {
    if (partNumber > MAX_PARTS) {
      throw new Error(`s3://${bucket}/${key}: more than ${MAX_PARTS} parts of ${partSize} bytes; raise the part size for artifacts this large`);
    }
    const upload = multipart()
      .then((id) => client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: partNumber, Body: buffer.subarray(0, length) }), { abortSignal: signal }))
      .then((result) => {
        if (!result.ETag) throw new Error(`UploadPart ${partNumber} of s3://${bucket}/${key} returned no ETag`);
        parts.push({
          PartNumber: partNumber,
          ETag: result.ETag,
          ...(result.ChecksumCRC32 ? { ChecksumCRC32: result.ChecksumCRC32 } : {}),
          ...(result.ChecksumCRC32C ? { ChecksumCRC32C: result.ChecksumCRC32C } : {}),
          ...(result.ChecksumCRC64NVME ? { ChecksumCRC64NVME: result.ChecksumCRC64NVME } : {}),
          ...(result.ChecksumSHA1 ? { ChecksumSHA1: result.ChecksumSHA1 } : {}),
          ...(result.ChecksumSHA256 ? { ChecksumSHA256: result.ChecksumSHA256 } : {}),
        });
        pool.release(buffer);
      }, stop)
      .finally(() => inFlight.delete(upload));
    inFlight.add(upload);
  };

  try {
    let partNumber = 1;
    let buffer = await pool.acquire();
    let filled = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; ) {
        if (filled === partSize) {
          // More data after a full part: that part is not the last one, so it can go once one
          // of the `queueSize` upload slots is free (which also frees a buffer).
          while (inFlight.size >= options.queueSize) await Promise.race(inFlight);
          if (failure !== undefined) throw failure;
          send(buffer, filled, partNumber++);
          buffer = await pool.acquire();
          filled = 0;
        }
        const n = chunk.copy(buffer, filled, offset, Math.min(chunk.length, offset + partSize - filled));
        filled += n;
        offset += n;
      }
      if (failure !== undefined) break;
    }
    if (failure !== undefined) throw failure;

    if (partNumber === 1) {
      const put = await client.send(new PutObjectCommand({ ...objectParams, Body: buffer.subarray(0, filled) }), { abortSignal: signal });
      return put.ETag ? { etag: put.ETag } : {};
    }
    while (inFlight.size >= options.queueSize) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
    send(buffer, filled, partNumber);
    while (inFlight.size > 0) await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    const done = await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: await multipart(), MultipartUpload: { Parts: parts } }),
      { abortSignal: signal },
    );
    return done.ETag ? { etag: done.ETag } : {};
  } catch (error) {
    stop(error);
    throw failure;
  } finally {
    signal.removeEventListener('abort', onAbort);
    // On failure: let the parts in flight settle (aborted with the signal, or failing), then delete
    // the upload so no parts are left behind (billed, invisible) in the artifact bucket.
    if (failure !== undefined) {
      await Promise.allSettled([...inFlight]);
      const id = await uploadId?.catch(() => undefined);
      if (id) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id })).catch(() => undefined);
    }
  }
}

/** At most `max` part buffers (the parts in flight and the one filling), reused as parts complete. */
class PartBuffers {
  private readonly free: Buffer[] = [];
  private readonly waiters: (() => void)[] = [];
  private created = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly size: number,
    private readonly max: number,
  ) {}

  async acquire(): Promise<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      const buffer = this.free.pop();
      if (buffer) return buffer;
      if (this.created < this.max) {
        this.created++;
        return Buffer.allocUnsafe(this.size);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  release(buffer: Buffer): void {
    this.free.push(buffer);
    this.waiters.shift()?.();
  }

  /** Wakes every waiter with the error: nothing more is sent. */
  fail(error: unknown): void {
    this.failure ??= { error };
    for (const wake of this.waiters.splice(0)) wake();
  }
}

function abortError(): Error {
  const error = new Error('The S3 upload was aborted');
  error.name = 'AbortError';
  return error;
}
