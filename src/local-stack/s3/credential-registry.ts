import { S3Errors, type S3ErrorSpec } from './s3-error-response';
import type { S3RequestInfo } from './s3-request-info';
import { s3rverAccounts } from './s3rver-internals';

/** A key pair the local S3 accepts, typically the STS-style artifact credentials of a fake job. */
export interface LocalS3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry it as x-amz-security-token (as STS session credentials must). */
  sessionToken?: string;
}

export interface CredentialRegistration {
  /** Epoch ms after which requests signed with the key get 400 ExpiredToken. */
  expiresAt?: number;
}

interface Registration extends CredentialRegistration {
  credentials: LocalS3Credentials;
}

/*
 * s3rver's key registry is process-wide (per module registry, i.e. per jest test file), so the
 * expiry and session-token rules are too: a key registered through one LocalS3 is known to all.
 */
const registrations = new Map<string, Registration>();

/**
 * The credential rules s3rver lacks: expiry and session tokens. s3rver itself only knows whether
 * an access key exists (and does not verify SigV4 signatures at all).
 */
export class CredentialRegistry {
  private readonly owned = new Set<string>();

  constructor(
    private readonly now: () => number,
    private readonly allowAnonymous: boolean,
  ) {}

  register(credentials: LocalS3Credentials, options: CredentialRegistration = {}): void {
    s3rverAccounts.DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
    registrations.set(credentials.accessKeyId, { credentials: { ...credentials }, ...options });
    this.owned.add(credentials.accessKeyId);
  }

  /** Makes a registered key expired from now on (as if its STS session ran out). */
  expire(accessKeyId: string): void {
    const registration = registrations.get(accessKeyId);
    if (!registration) throw new Error(`local S3: no registered credentials with access key ${accessKeyId}`);
    registration.expiresAt = this.now() - 1;
  }

  revoke(accessKeyId: string): void {
    s3rverAccounts.registry.get(accessKeyId)?.revokeAccessKey(accessKeyId);
    registrations.delete(accessKeyId);
    this.owned.delete(accessKeyId);
  }

  revokeAll(): void {
    for (const accessKeyId of [...this.owned]) this.revoke(accessKeyId);
  }

  /** The authentication error S3 would answer this request with, if any. */
  check(info: S3RequestInfo): S3ErrorSpec | undefined {
    const { accessKeyId } = info;
    if (!accessKeyId) return this.allowAnonymous ? undefined : S3Errors.accessDenied();
    if (!s3rverAccounts.registry.has(accessKeyId)) return S3Errors.invalidAccessKeyId(accessKeyId);
    const registration = registrations.get(accessKeyId);
    if (!registration) return undefined;
    if (registration.expiresAt !== undefined && registration.expiresAt <= this.now()) return S3Errors.expiredToken();
    const expectedToken = registration.credentials.sessionToken;
    if (expectedToken !== undefined) {
      // S3 does not recognise a session key id without its token; a wrong token is "invalid".
      if (!info.securityToken) return S3Errors.invalidAccessKeyId(accessKeyId);
      if (info.securityToken !== expectedToken) return S3Errors.invalidToken();
    }
    return undefined;
  }
}
