import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import S3rver from 's3rver';
import { CredentialRegistry, type CredentialRegistration, type LocalS3Credentials } from './credential-registry';
import { S3Errors, sendS3Error, type S3ErrorSpec } from './s3-error-response';
import { parseS3Request, type S3RequestInfo } from './s3-request-info';
import { S3rverObjectModel, type S3rverAppInternals, type S3rverStore } from './s3rver-internals';

export interface LocalS3Options {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Where objects live. Default: a fresh temp directory, removed on close. */
  directory?: string;
  /** Buckets to create at start. */
  buckets?: string[];
  /**
   * Deny PutObject/CopyObject/CreateMultipartUpload without `x-amz-server-side-encryption: aws:kms`,
   * as the default CodePipeline artifact bucket policy (DenyUnEncryptedObjectUploads) does. Default true.
   */
  requireSseKms?: boolean;
  /** Serve unsigned requests (s3rver's default). Default false: a private bucket answers 403. */
  allowAnonymous?: boolean;
  /** Clock for credential expiry, epoch ms. */
  now?: () => number;
}

/** One request as it reached the local S3: who signed it and what it asked for. No secrets. */
export interface RecordedS3Request {
  requestId: string;
  method: string;
  path: string;
  query: string;
  operation: string;
  bucket?: string;
  key?: string;
  uploadId?: string;
  accessKeyId?: string;
  /** x-amz-server-side-encryption */
  sse?: string;
  /** x-amz-server-side-encryption-aws-kms-key-id */
  sseKmsKeyId?: string;
  /** Whether x-amz-security-token was sent (its value is a secret and is not kept). */
  hasSecurityToken: boolean;
  contentEncoding?: string;
  /** HTTP status of the response; 0 until it is sent. */
  status: number;
}

export interface ObjectEncryption {
  sse: string;
  kmsKeyId?: string;
}

export interface LocalObjectInfo {
  size: number;
  contentType: string;
  etag: string;
  lastModified: Date;
  encryption?: ObjectEncryption;
}

export interface PendingMultipartUpload {
  uploadId: string;
  key: string;
}

/**
 * An S3 endpoint on loopback: s3rver 3.7.1 behind our own HTTP server, which adds what a real
 * CodePipeline artifact bucket does and s3rver does not: the SSE-KMS upload policy, expiring STS
 * credentials with session tokens, private-bucket access, AbortMultipartUpload, SSE response
 * headers, and a record of every request. Path-style addressing only (clients set forcePathStyle).
 *
 * Known s3rver limits kept as they are: SigV4 signatures are not verified (only that the key
 * exists); a truncated ListObjectsV2 answers 500 on Node >= 17 (it encrypts the continuation token
 * with DES, which OpenSSL 3 lacks), so the admin helpers read the store directly instead.
 */
export class LocalS3 {
  readonly requests: RecordedS3Request[] = [];
  private readonly encryption = new Map<string, ObjectEncryption>();

  private constructor(
    private readonly server: Server,
    private readonly s3rver: S3rver,
    private readonly store: S3rverStore,
    private readonly credentialRules: CredentialRegistry,
    private readonly requireSseKms: boolean,
    private readonly directory: string,
    private readonly removeDirectoryOnClose: boolean,
  ) {}

  static async start(options: LocalS3Options = {}): Promise<LocalS3> {
    const removeDirectoryOnClose = options.directory === undefined;
    const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'local-s3-')));
    await mkdir(directory, { recursive: true });
    const s3rver = new S3rver({ silent: true, directory, vhostBuckets: false });
    const store = (s3rver as unknown as S3rverAppInternals).store;
    const server = createServer();
    const local = new LocalS3(
      server,
      s3rver,
      store,
      new CredentialRegistry(options.now ?? Date.now, options.allowAnonymous ?? false),
      options.requireSseKms ?? true,
      directory,
      removeDirectoryOnClose,
    );
    const handler = s3rver.callback();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => local.handle(req, res, handler));
    for (const bucket of options.buckets ?? []) await local.createBucket(bucket);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return local;
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  registerCredentials(credentials: LocalS3Credentials, options?: CredentialRegistration): void {
    this.credentialRules.register(credentials, options);
  }

  /** From now on requests signed with this key get 400 ExpiredToken. */
  expireCredentials(accessKeyId: string): void {
    this.credentialRules.expire(accessKeyId);
  }

  /** From now on requests signed with this key get 403 InvalidAccessKeyId. */
  revokeCredentials(accessKeyId: string): void {
    this.credentialRules.revoke(accessKeyId);
  }

  /** Forgets the recorded requests (long-running local stacks; tests that assert on a phase). */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** The SSE headers the object was last written with through this server (or putObject). */
  objectEncryption(bucket: string, key: string): ObjectEncryption | undefined {
    return this.encryption.get(objectId(bucket, key));
  }

  // ---- admin helpers: straight to s3rver's store, no signing, no policies, not recorded ----

  async createBucket(name: string): Promise<void> {
    await this.store.putBucket(name);
  }

  async putObject(
    bucket: string,
    key: string,
    body: Buffer | string,
    contentType = 'binary/octet-stream',
    options: { encryption?: ObjectEncryption } = {},
  ): Promise<void> {
    await this.requireBucket(bucket);
    await this.store.putObject(new S3rverObjectModel(bucket, key, Buffer.from(body), { 'content-type': contentType }));
    if (options.encryption) this.encryption.set(objectId(bucket, key), { ...options.encryption });
    else this.encryption.delete(objectId(bucket, key));
  }

  async getObject(bucket: string, key: string): Promise<Buffer> {
    await this.requireBucket(bucket);
    const object = await this.store.getObject(bucket, key);
    if (!object?.content) throw new Error(`local S3: NoSuchKey s3://${bucket}/${key}`);
    if (Buffer.isBuffer(object.content)) return object.content;
    const chunks: Buffer[] = [];
    for await (const chunk of object.content as Readable) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async headObject(bucket: string, key: string): Promise<LocalObjectInfo | undefined> {
    await this.requireBucket(bucket);
    try {
      const metadata = await this.store.getMetadata(bucket, key);
      const encryption = this.objectEncryption(bucket, key);
      return {
        size: Number(metadata['content-length']),
        contentType: String(metadata['content-type'] ?? 'binary/octet-stream'),
        etag: String(metadata['etag']),
        lastModified: new Date(String(metadata['last-modified'])),
        ...(encryption ? { encryption } : {}),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async listKeys(bucket: string, prefix = ''): Promise<string[]> {
    await this.requireBucket(bucket);
    const { objects } = await this.store.listObjects(bucket, { prefix });
    return objects.map((object) => object.key);
  }

  /** Multipart uploads initiated and neither completed nor aborted (parts S3 would bill for). */
  async listMultipartUploads(bucket: string): Promise<PendingMultipartUpload[]> {
    await this.requireBucket(bucket);
    const directory = this.uploadsDirectory(bucket);
    const uploadIds = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    return Promise.all(
      uploadIds.map(async (uploadId) => ({ uploadId, key: await readFile(join(directory, uploadId, 'key'), 'utf8') })),
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.credentialRules.revokeAll();
    (this.s3rver as unknown as S3rverAppInternals).logger?.close();
    if (this.removeDirectoryOnClose) await rm(this.directory, { recursive: true, force: true });
  }

  // ---- request path ----

  private handle(req: IncomingMessage, res: ServerResponse, s3rver: (req: IncomingMessage, res: ServerResponse) => void): void {
    const info = parseS3Request(req);
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', randomBytes(24).toString('base64'));
    const record = recordOf(info, requestId);
    this.requests.push(record);
    const settle = (): void => {
      if (record.status === 0) record.status = res.headersSent ? res.statusCode : 0;
    };
    res.once('finish', settle);
    res.once('close', settle);

    const refusal = this.refusal(info);
    if (refusal) return sendS3Error(req, res, refusal, requestId);
    this.serve(info, req, res, s3rver).catch((error: unknown) => {
      sendS3Error(req, res, { status: 500, code: 'InternalError', message: String(error) }, requestId);
    });
  }

  /** The checks a real artifact bucket makes before s3rver would: authentication, then policy. */
  private refusal(info: S3RequestInfo): S3ErrorSpec | undefined {
    const authError = this.credentialRules.check(info);
    if (authError) return authError;
    // s3rver has no aws-chunked decoder and would store the chunk framing as object data (silent
    // corruption); refuse loudly instead. Real S3 accepts these bodies.
    if (info.contentEncoding?.toLowerCase().includes('aws-chunked') || info.contentSha256?.startsWith('STREAMING-')) {
      return S3Errors.awsChunkedUnsupported();
    }
    // The bucket policy condition is evaluated on the request that creates the object; parts and
    // CompleteMultipartUpload are not checked.
    const createsObject = ['PutObject', 'CopyObject', 'CreateMultipartUpload'].includes(info.operation);
    if (this.requireSseKms && createsObject && info.sse !== 'aws:kms') return S3Errors.accessDenied();
    return undefined;
  }

  private async serve(
    info: S3RequestInfo,
    req: IncomingMessage,
    res: ServerResponse,
    s3rver: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<void> {
    const { bucket, key, operation } = info;
    if (operation === 'AbortMultipartUpload' && bucket && key) {
      return this.abortMultipartUpload(bucket, key, info.uploadId ?? '', req, res, info);
    }
    if (bucket && key) {
      const id = objectId(bucket, key);
      let written: ObjectEncryption | undefined | null = null;
      if (operation === 'PutObject' || operation === 'CopyObject') written = encryptionOf(info.sse, info.sseKmsKeyId);
      if (operation === 'CompleteMultipartUpload') written = await this.initiatedEncryption(bucket, info.uploadId);
      if (written !== null) {
        // s3rver ignores SSE headers; remember them, and echo them as S3 does.
        if (written) addHeadersOnSuccess(res, encryptionHeaders(written));
        res.once('finish', () => {
          if (!isSuccess(res.statusCode)) return;
          if (written) this.encryption.set(id, written);
          else this.encryption.delete(id);
        });
      } else if (operation === 'GetObject' || operation === 'HeadObject') {
        const known = this.encryption.get(id);
        if (known) addHeadersOnSuccess(res, encryptionHeaders(known));
      } else if (operation === 'DeleteObject') {
        res.once('finish', () => {
          if (isSuccess(res.statusCode)) this.encryption.delete(id);
        });
      }
    }
    s3rver(req, res);
  }

  /** s3rver answers AbortMultipartUpload with 405; lib-storage relies on it to clean up failed uploads. */
  private async abortMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    req: IncomingMessage,
    res: ServerResponse,
    info: S3RequestInfo,
  ): Promise<void> {
    const requestId = String(res.getHeader('x-amz-request-id'));
    if (!(await this.store.getBucket(bucket))) return sendS3Error(req, res, S3Errors.noSuchBucket(bucket), requestId);
    const upload = /^[0-9a-f]+$/.test(uploadId) ? join(this.uploadsDirectory(bucket), uploadId) : undefined;
    const uploadKey = upload ? await readFile(join(upload, 'key'), 'utf8').catch(() => undefined) : undefined;
    if (!upload || uploadKey !== key) return sendS3Error(req, res, S3Errors.noSuchUpload(info.uploadId ?? ''), requestId);
    await rm(upload, { recursive: true, force: true });
    req.resume();
    res.statusCode = 204;
    res.end();
  }

  /** The SSE headers CreateMultipartUpload carried: s3rver saved that request's headers with the upload. */
  private async initiatedEncryption(bucket: string, uploadId: string | undefined): Promise<ObjectEncryption | undefined> {
    if (!uploadId || !/^[0-9a-f]+$/.test(uploadId)) return undefined;
    try {
      const headers = JSON.parse(await readFile(join(this.uploadsDirectory(bucket), uploadId, 'metadata'), 'utf8')) as Record<
        string,
        string | undefined
      >;
      return encryptionOf(headers['x-amz-server-side-encryption'], headers['x-amz-server-side-encryption-aws-kms-key-id']);
    } catch {
      return undefined; // unknown upload: s3rver answers the error
    }
  }

  private uploadsDirectory(bucket: string): string {
    return this.store.getResourcePath(bucket, undefined, 'uploads');
  }

  private async requireBucket(bucket: string): Promise<void> {
    if (!(await this.store.getBucket(bucket))) throw new Error(`local S3: NoSuchBucket ${bucket}`);
  }
}

export function startLocalS3(options?: LocalS3Options): Promise<LocalS3> {
  return LocalS3.start(options);
}

function recordOf(info: S3RequestInfo, requestId: string): RecordedS3Request {
  const query = info.query.toString();
  return {
    requestId,
    method: info.method,
    path: info.path,
    query,
    operation: info.operation,
    ...(info.bucket !== undefined ? { bucket: info.bucket } : {}),
    ...(info.key !== undefined ? { key: info.key } : {}),
    ...(info.uploadId !== undefined ? { uploadId: info.uploadId } : {}),
    ...(info.accessKeyId !== undefined ? { accessKeyId: info.accessKeyId } : {}),
    ...(info.sse !== undefined ? { sse: info.sse } : {}),
    ...(info.sseKmsKeyId !== undefined ? { sseKmsKeyId: info.sseKmsKeyId } : {}),
    hasSecurityToken: info.securityToken !== undefined,
    ...(info.contentEncoding !== undefined ? { contentEncoding: info.contentEncoding } : {}),
    status: 0,
  };
}

function objectId(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function encryptionOf(sse: string | undefined, kmsKeyId: string | undefined): ObjectEncryption | undefined {
  if (!sse) return undefined;
  return { sse, ...(kmsKeyId ? { kmsKeyId } : {}) };
}

function encryptionHeaders(encryption: ObjectEncryption): Record<string, string> {
  return {
    'x-amz-server-side-encryption': encryption.sse,
    ...(encryption.kmsKeyId ? { 'x-amz-server-side-encryption-aws-kms-key-id': encryption.kmsKeyId } : {}),
  };
}

/** Adds headers to the response if, and only if, it turns out to be a success. */
function addHeadersOnSuccess(res: ServerResponse, headers: Record<string, string>): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    if (isSuccess(statusCode)) for (const [name, value] of Object.entries(headers)) this.setHeader(name, value);
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
  } as typeof res.writeHead;
}
