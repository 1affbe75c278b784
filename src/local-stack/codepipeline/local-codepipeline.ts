import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { JobStore } from './job-store';
import { createCodePipelineServer, type Fault, type RecordedCall } from './server';
import type { CreateActionTypeInput, CreateJobInput, EmulatedJob, IssuedCredentials } from './types';

export interface LocalCodePipelineOptions {
  host?: string;
  port?: number;
  region?: string;
  accountId?: string;
  /** Real CodePipeline re-offers an unacknowledged job after about 30 s. */
  ackTimeoutMs?: number;
  /** Real CodePipeline offers a continuation job about 30 s after the token was returned. */
  continuationDelayMs?: number;
  /** Custom actions time out after 24 h. */
  jobTimeoutMs?: number;
  /** Lifetime of issued artifact credentials (observed: about 15 minutes). */
  credentialsTtlMs?: number;
  /** Issues artifact credentials per dispatch/GetJobDetails (the local stack registers them in S3). */
  issueCredentials?: (jobId: string) => IssuedCredentials;
}

export interface LocalCodePipeline {
  url: string;
  region: string;
  close(): Promise<void>;
  /** Creates a Queued job (the action type must exist). Returns the job id. */
  createJob(input: CreateJobInput): string;
  createActionType(input: CreateActionTypeInput): void;
  getJob(id: string): EmulatedJob | undefined;
  listJobs(): EmulatedJob[];
  /**
   * Resolves once the job is Succeeded, Failed or TimedOut. With `followContinuations` (default
   * true) a success that continued into a new job waits for the end of the chain.
   */
  waitForCompletion(id: string, options?: { timeoutMs?: number; followContinuations?: boolean }): Promise<EmulatedJob>;
  injectFault(fault: Fault): void;
  /** Every API call, in order of arrival. */
  readonly calls: ReadonlyArray<RecordedCall>;
}

export async function startLocalCodePipeline(options: LocalCodePipelineOptions = {}): Promise<LocalCodePipeline> {
  const region = options.region ?? 'us-east-1';
  const ttl = options.credentialsTtlMs ?? 15 * 60_000;
  const store = new JobStore({
    accountId: options.accountId ?? '123456789012',
    region,
    ackTimeoutMs: options.ackTimeoutMs ?? 30_000,
    continuationDelayMs: options.continuationDelayMs ?? 30_000,
    jobTimeoutMs: options.jobTimeoutMs ?? 24 * 3_600_000,
    now: () => Date.now(),
    issueCredentials:
      options.issueCredentials ??
      (() => ({
        accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(48).toString('base64'),
        expiresAt: Date.now() + ttl,
      })),
  });
  const state = { faults: [] as Fault[], calls: [] as RecordedCall[] };
  const server = createCodePipelineServer(store, state);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;

  return {
    url,
    region,
    calls: state.calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    createJob: (input) => store.createJob(input).id,
    createActionType: (input) => void store.createActionType(input),
    getJob: (id) => store.get(id),
    listJobs: () => store.list(),
    injectFault: (fault) => void state.faults.push({ ...fault }),
    async waitForCompletion(id, { timeoutMs = 30_000, followContinuations = true } = {}) {
      const deadline = Date.now() + timeoutMs;
      let current = id;
      for (;;) {
        const job = store.get(current);
        if (!job) throw new Error(`no job ${current}`);
        if (store.isTerminal(job)) {
          if (followContinuations && job.continuedAs) {
            current = job.continuedAs;
            continue;
          }
          return job;
        }
        if (Date.now() > deadline) throw new Error(`job ${current} still ${job.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
