/**
 * Environment variables and the config path each one sets. These names are a public contract
 * (deployments and external checks use them), so they never change silently.
 */
export interface EnvBinding {
  env: string;
  path: readonly string[];
  type: 'string' | 'int' | 'bool' | 'list';
}

export const ENV_BINDINGS: readonly EnvBinding[] = [
  { env: 'JENKINS_URL', path: ['jenkins', 'url'], type: 'string' },
  { env: 'JENKINS_USER', path: ['jenkins', 'user'], type: 'string' },
  { env: 'JENKINS_API_TOKEN', path: ['jenkins', 'apiToken'], type: 'string' },
  { env: 'JENKINS_CRUMB', path: ['jenkins', 'crumb'], type: 'string' },
  { env: 'BRIDGE_ACTION_PROVIDER', path: ['actionType', 'provider'], type: 'string' },
  { env: 'BRIDGE_ACTION_CATEGORY', path: ['actionType', 'category'], type: 'string' },
  { env: 'BRIDGE_ACTION_VERSION', path: ['actionType', 'version'], type: 'string' },
  { env: 'BRIDGE_MAX_CONCURRENT_JOBS', path: ['worker', 'maxConcurrentJobs'], type: 'int' },
  { env: 'BRIDGE_POLL_INTERVAL_MS', path: ['worker', 'pollIntervalMs'], type: 'int' },
  { env: 'BRIDGE_STATUS_INTERVAL_MS', path: ['worker', 'statusIntervalMs'], type: 'int' },
  { env: 'BRIDGE_PROJECTS', path: ['worker', 'projects'], type: 'list' },
  { env: 'BRIDGE_SHUTDOWN_GRACE_MS', path: ['worker', 'shutdownGraceMs'], type: 'int' },
  { env: 'BRIDGE_MAX_JOB_DURATION_MS', path: ['worker', 'maxJobDurationMs'], type: 'int' },
  { env: 'BRIDGE_S3_FORCE_PATH_STYLE', path: ['s3', 'forcePathStyle'], type: 'bool' },
  { env: 'BRIDGE_S3_CHECKSUMS', path: ['s3', 'checksums'], type: 'string' },
  { env: 'BRIDGE_HTTP_PORT', path: ['http', 'port'], type: 'int' },
  { env: 'BRIDGE_HTTP_HOST', path: ['http', 'host'], type: 'string' },
  { env: 'BRIDGE_PUBLIC_URL', path: ['http', 'publicUrl'], type: 'string' },
  { env: 'BRIDGE_ARTIFACT_TOKEN_SECRET', path: ['artifacts', 'tokenSecret'], type: 'string' },
  { env: 'BRIDGE_MAX_CONCURRENT_UPLOADS', path: ['artifacts', 'maxConcurrentUploads'], type: 'int' },
  { env: 'BRIDGE_DATA_DIR', path: ['dataDir'], type: 'string' },
  { env: 'BRIDGE_WEBHOOK_GITHUB_SECRET', path: ['webhooks', 'github', 'secret'], type: 'string' },
  { env: 'BRIDGE_WEBHOOK_GITLAB_TOKEN', path: ['webhooks', 'gitlab', 'token'], type: 'string' },
  { env: 'BRIDGE_WEBHOOK_BITBUCKET_SECRET', path: ['webhooks', 'bitbucket', 'secret'], type: 'string' },
  { env: 'BRIDGE_WEBHOOK_JENKINS_TOKEN', path: ['webhooks', 'jenkins', 'token'], type: 'string' },
  { env: 'BRIDGE_WEBHOOK_MAX_BODY_BYTES', path: ['webhooks', 'maxBodyBytes'], type: 'int' },
  { env: 'BRIDGE_WEBHOOK_RATE_LIMIT_PER_MINUTE', path: ['webhooks', 'rateLimit', 'perMinute'], type: 'int' },
  { env: 'BRIDGE_EVENTS_TOKEN', path: ['events', 'codepipelineToken'], type: 'string' },
  { env: 'BRIDGE_LOG_LEVEL', path: ['log', 'level'], type: 'string' },
  { env: 'BRIDGE_LOG_FORMAT', path: ['log', 'format'], type: 'string' },
  // The SDK's standard names; read here too so the endpoints are visible in one validated config.
  { env: 'AWS_REGION', path: ['aws', 'region'], type: 'string' },
  { env: 'AWS_ENDPOINT_URL_CODEPIPELINE', path: ['aws', 'codepipelineEndpoint'], type: 'string' },
  { env: 'AWS_ENDPOINT_URL_S3', path: ['aws', 's3Endpoint'], type: 'string' },
  { env: 'AWS_ACCESS_KEY_ID', path: ['aws', 'accessKeyId'], type: 'string' },
  { env: 'AWS_SECRET_ACCESS_KEY', path: ['aws', 'secretAccessKey'], type: 'string' },
  { env: 'AWS_SESSION_TOKEN', path: ['aws', 'sessionToken'], type: 'string' },
];
