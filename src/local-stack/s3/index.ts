export {
  LocalS3,
  startLocalS3,
  type LocalObjectInfo,
  type LocalS3Options,
  type ObjectEncryption,
  type PendingMultipartUpload,
  type RecordedS3Request,
} from './local-s3';
export type { CredentialRegistration, LocalS3Credentials } from './credential-registry';
