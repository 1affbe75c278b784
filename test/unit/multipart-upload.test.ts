import { describe, expect, it } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { uploadStream, type StreamUploadOptions } from '../../src/adapters/s3/multipart-upload';

const MIB = 1024 * 1024;

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

/**
 * A stand-in for S3Client.send (no network): records each command, keeps part bodies (copied, as
 * the wire would), answers after `latencyMs`, and can fail one command by name.
 */
class RecordingClient {
  readonly sent: Sent[] = [];
  readonly parts = new Map<number, Buffer>();
  inFlightParts = 0;
  maxInFlightParts = 0;

  constructor(private readonly opts: { latencyMs?: number; failOn?: string } = {}) {}

  async send(command: { constructor: { name: string }; input: Record<string, unknown> }, options?: { abortSignal?: AbortSignal }): Promise<Record<string, unknown>> {
    const name = command.constructor.name.replace(/Command$/, '');
    this.sent.push({ command: name, input: command.input });
    const part = name === 'UploadPart';
    if (part) {
      this.inFlightParts++;
      this.maxInFlightParts = Math.max(this.maxInFlightParts, this.inFlightParts);
      this.parts.set(command.input.PartNumber as number, Buffer.from(command.input.Body as Buffer));
    }
    try {
      await delay(this.opts.latencyMs ?? 1, undefined, options?.abortSignal ? { signal: options.abortSignal } : {});
      if (this.opts.failOn === name) throw Object.assign(new Error(`${name} failed`), { name: 'InternalError' });
      if (name === 'CreateMultipartUpload') return { UploadId: 'u-1' };
      if (name === 'UploadPart') return { ETag: `"etag-${String(command.input.PartNumber)}"` };
      return { ETag: '"final"' };
    } finally {
      if (part) this.inFlightParts--;
    }
  }
}

function options(client: RecordingClient, overrides: Partial<StreamUploadOptions> = {}): StreamUploadOptions {
  return {
    client: client as unknown as S3Client,
    bucket: 'b',
    key: 'k',
    contentType: 'application/zip',
    kmsKeyId: 'key-1',
    partSize: 5 * MIB,
    queueSize: 2,
    checksums: 'WHEN_REQUIRED',
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** `data` in chunks of 100,000 bytes (not a divisor of the part size). */
const chunks = (data: Buffer): Readable => Readable.from(Array.from({ length: Math.ceil(data.length / 100_000) }, (_, i) => data.subarray(i * 100_000, (i + 1) * 100_000)));

describe('uploadStream', () => {
  it('uploads parts of exactly partSize, at most queueSize at once, and completes them in order', async () => {
    const client = new RecordingClient({ latencyMs: 5 });
    const data = randomBytes(23 * MIB + 7);
    const result = await uploadStream(chunks(data), options(client, { checksums: 'WHEN_SUPPORTED' }));

    expect(result).toEqual({ etag: '"final"' });
    expect(client.sent[0]).toMatchObject({
      command: 'CreateMultipartUpload',
      input: { Bucket: 'b', Key: 'k', ContentType: 'application/zip', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-1', ChecksumAlgorithm: 'CRC32' },
    });
    expect([...client.parts.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect([1, 2, 3, 4].map((n) => client.parts.get(n)!.length)).toEqual([5 * MIB, 5 * MIB, 5 * MIB, 5 * MIB]);
    expect(Buffer.concat([1, 2, 3, 4, 5].map((n) => client.parts.get(n)!)).equals(data)).toBe(true);
    expect(client.maxInFlightParts).toBeLessThanOrEqual(2);
    const complete = client.sent.at(-1)!;
    expect(complete.command).toBe('CompleteMultipartUpload');
    expect((complete.input.MultipartUpload as { Parts: { PartNumber: number; ETag: string }[] }).Parts).toEqual(
      [1, 2, 3, 4, 5].map((n) => ({ PartNumber: n, ETag: `"etag-${n}"` })),
    );
  });

  it('sends one PutObject when the body fits in one part (up to exactly partSize, or empty)', async () => {
    for (const size of [0, 1000, 5 * MIB]) {
      const client = new RecordingClient();
      await uploadStream(chunks(randomBytes(size)), options(client, { kmsKeyId: undefined }));
      expect(client.sent.map((s) => s.command)).toEqual(['PutObject']);
      expect((client.sent[0]!.input.Body as Buffer).length).toBe(size);
      expect(client.sent[0]!.input).toMatchObject({ ServerSideEncryption: 'aws:kms' });
      expect(client.sent[0]!.input.SSEKMSKeyId).toBeUndefined();
    }
  });

  it('aborts the multipart upload when a part fails, and rejects with that failure', async () => {
    const client = new RecordingClient({ failOn: 'UploadPart' });
    const failure = await uploadStream(chunks(randomBytes(12 * MIB)), options(client)).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'InternalError', message: 'UploadPart failed' });
    expect(client.sent.at(-1)).toMatchObject({ command: 'AbortMultipartUpload', input: { UploadId: 'u-1' } });
    expect(client.sent.some((s) => s.command === 'CompleteMultipartUpload')).toBe(false);
  });

  it('rejects with the body error and aborts the upload when the body fails', async () => {
    const client = new RecordingClient();
    const bodyFailure = new Error('zip source lost');
    const body = new Readable({ read() {} });
    body.push(randomBytes(6 * MIB));
    setTimeout(() => body.destroy(bodyFailure), 20);
    await expect(uploadStream(body, options(client))).rejects.toBe(bodyFailure);
    expect(client.sent.at(-1)).toMatchObject({ command: 'AbortMultipartUpload' });
  });

  it('stops in-flight parts on the signal and cleans up', async () => {
    const client = new RecordingClient({ latencyMs: 10_000 });
    const controller = new AbortController();
    const body = chunks(randomBytes(11 * MIB));
    setTimeout(() => {
      controller.abort();
      body.destroy();
    }, 50);
    const started = Date.now();
    const failure = await uploadStream(body, options(client, { signal: controller.signal })).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(client.sent.map((s) => s.command)).not.toContain('CompleteMultipartUpload');
  });
});
