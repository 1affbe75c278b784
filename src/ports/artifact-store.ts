import type { Readable } from 'node:stream';
import type { ArtifactCredentials, EncryptionKey, S3ObjectLocation } from './pipeline-job';

/**
 * How to reach one job's artifacts: the job's own temporary credentials (refreshed by the caller's
 * provider when they near expiry) and the pipeline's KMS key, if any.
 */
export interface ArtifactAccess {
  /** Called before requests; returns current credentials. May call GetJobDetails to refresh. */
  credentials: () => Promise<ArtifactCredentials>;
  /** Called when the store saw an expired-token error, so the next `credentials()` refreshes. */
  invalidate?: () => void;
  encryptionKey?: EncryptionKey;
}

export interface StoredObject {
  body: Readable;
  contentLength?: number;
  contentType?: string;
}

export interface PutResult {
  bytes: number;
  etag?: string;
}

/** Port to the artifact bucket (S3). Uploads always use SSE-KMS (the key when one is given). */
export interface ArtifactStore {
  get(location: S3ObjectLocation, access: ArtifactAccess, signal?: AbortSignal): Promise<StoredObject>;
  /** Streams `body` into the object (multipart for large bodies); aborts the upload on error. */
  put(
    location: S3ObjectLocation,
    body: Readable,
    options: { contentType: string },
    access: ArtifactAccess,
    signal?: AbortSignal,
  ): Promise<PutResult>;
}
