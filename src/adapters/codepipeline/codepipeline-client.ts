import { CodePipelineClient, type CodePipelineClientConfig } from '@aws-sdk/client-codepipeline';

/** Connection settings of the adapter's SDK client. */
export interface CodePipelineClientOptions {
  region: string;
  /** Custom endpoint (local stack, VPC endpoint); otherwise the SDK's own resolution, which also reads AWS_ENDPOINT_URL_CODEPIPELINE. */
  endpoint?: string;
  /** The bridge's own identity; default: the SDK's standard provider chain. */
  credentials?: CodePipelineClientConfig['credentials'];
  /**
   * SDK attempts per call. Kept low: the core retries through its own error taxonomy with jittered
   * backoff, and a long SDK retry chain would hide throttling from the poll loop's backoff.
   */
  maxAttempts?: number;
  /** Per-attempt bound on a call (default 20 s); exceeding it is a TransientError. */
  requestTimeoutMs?: number;
}

/** The adapter's one SDK client. Only this folder imports the CodePipeline SDK. */
export function createCodePipelineClient(options: CodePipelineClientOptions): CodePipelineClient {
  return new CodePipelineClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 2,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 20_000,
      connectionTimeout: 5_000,
      // Without this the handler only logs a warning and the call hangs until the socket dies.
      throwOnRequestTimeout: true,
    },
  });
}
