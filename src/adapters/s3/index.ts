export { S3ArtifactStore, type S3ArtifactStoreOptions } from './s3-artifact-store';
export { isTokenError, mapS3Error } from './s3-error-mapping';
