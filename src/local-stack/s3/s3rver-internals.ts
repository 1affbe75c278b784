import type { Readable } from 'node:stream';

/*
 * Typed views of s3rver 3.7.1 internals that have no published typings: the process-wide access-key
 * registry (lib/models/account), the object model and the filesystem store. Pinned by the exact
 * s3rver version in package.json; the local stack is the only user.
 */

export interface S3rverAccount {
  readonly id: number | string;
  readonly accessKeys: Map<string, string>;
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}

interface AccountModule {
  /** Access key id → account, shared by every s3rver instance in this module registry. */
  readonly registry: Map<string, S3rverAccount>;
  /** The account owning the default S3RVER/S3RVER key. */
  readonly DUMMY_ACCOUNT: S3rverAccount;
}

export type S3rverMetadata = Record<string, string | number>;

export interface S3rverObject {
  readonly bucket: string;
  readonly key: string;
  readonly content: Readable | Buffer | null;
  readonly metadata: S3rverMetadata;
}

type S3ObjectConstructor = new (
  bucket: string,
  key: string,
  content: Readable | Buffer | null,
  metadata: S3rverMetadata,
) => S3rverObject;

export interface S3rverStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getBucket(bucket: string): Promise<{ name: string } | null>;
  putBucket(bucket: string): Promise<unknown>;
  getMetadata(bucket: string, key: string): Promise<S3rverMetadata>;
  getObject(bucket: string, key: string): Promise<S3rverObject | null>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  listObjects(
    bucket: string,
    options: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys?: number },
  ): Promise<{ objects: S3rverObject[]; commonPrefixes: string[]; isTruncated: boolean }>;
}

export interface S3rverAppInternals {
  readonly store: S3rverStore;
  readonly logger?: { close(): void };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const s3rverAccounts = require('s3rver/lib/models/account') as AccountModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const S3rverObjectModel = require('s3rver/lib/models/object') as S3ObjectConstructor;
