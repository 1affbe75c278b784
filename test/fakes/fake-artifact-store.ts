import { Readable } from 'node:stream';
import type { ArtifactAccess, ArtifactStore, PutResult, StoredObject } from '../../src/ports/artifact-store';
import type { S3ObjectLocation } from '../../src/ports/pipeline-job';
import { PermanentError } from '../../src/core/errors';

/** In-memory ArtifactStore that records which credentials and key each call used. */
export class FakeArtifactStore implements ArtifactStore {
  readonly objects = new Map<string, Buffer>();
  readonly puts: { location: S3ObjectLocation; accessKeyId: string; kmsKeyId?: string; contentType: string }[] = [];
  failPuts: Error[] = [];

  static keyOf(location: S3ObjectLocation): string {
    return `${location.bucket}/${location.key}`;
  }

  seed(location: S3ObjectLocation, content: Buffer | string): void {
    this.objects.set(FakeArtifactStore.keyOf(location), Buffer.from(content));
  }

  async get(location: S3ObjectLocation, access: ArtifactAccess): Promise<StoredObject> {
    await access.credentials();
    const body = this.objects.get(FakeArtifactStore.keyOf(location));
    if (!body) throw new PermanentError(`NoSuchKey ${location.key}`);
    return { body: Readable.from([body]), contentLength: body.length, contentType: 'application/zip' };
  }

  async put(location: S3ObjectLocation, body: Readable, options: { contentType: string }, access: ArtifactAccess): Promise<PutResult> {
    const credentials = await access.credentials();
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const failure = this.failPuts.shift();
    if (failure) throw failure;
    const data = Buffer.concat(chunks);
    this.objects.set(FakeArtifactStore.keyOf(location), data);
    this.puts.push({ location, accessKeyId: credentials.accessKeyId, kmsKeyId: access.encryptionKey?.id, contentType: options.contentType });
    return { bytes: data.length };
  }
}
