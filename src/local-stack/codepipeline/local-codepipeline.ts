import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { actionExecutionEvent } from './action-events';
import { EventDelivery, type EventDeliveryOptions, type EventDeliveryRecord, type EventTarget } from './event-delivery';
import { FaultInjector, type Fault } from './faults';
import { isTerminal, JobStore } from './job-store';
import { PipelineStore } from './pipeline-store';
import { pipelineDeclaration } from './pipeline-validation';
import { createCodePipelineServer, type RecordedCall } from './server';
import type { CreateActionTypeInput, CreateJobInput, EmulatedExecution, EmulatedJob, IssuedCredentials, PipelineDeclaration } from './types';
import { createCustomActionType, createJobInput, type Body } from './validation';

export interface LocalCodePipelineOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Default us-east-1; used in pipeline ARNs. */
  region?: string;
  /** 12 digits; default 123456789012. */
  accountId?: string;
  /** Real CodePipeline re-offers an unacknowledged job after about 30 s (default 30 000). */
  ackTimeoutMs?: number;
  /** Real CodePipeline offers a continuation job about 30 s after the token was returned (default 30 000). */
  continuationDelayMs?: number;
  /** Custom actions time out after 24 h (default). */
  jobTimeoutMs?: number;
  /** Whether `jobTimeoutMs` spans a whole continuation chain (default true; undocumented by AWS). */
  timeoutSpansContinuations?: boolean;
  /** Lifetime of the default-issued artifact credentials (the plugin assumes 15 minutes, the default). */
  credentialsTtlMs?: number;
  /** Issues artifact credentials on each dispatch and GetJobDetails (the local stack registers them in its S3). */
  issueCredentials?: (jobId: string) => IssuedCredentials;
  /**
   * EventBridge API-destination targets for "CodePipeline Action Execution State Change" events
   * (STARTED when a job is queued, SUCCEEDED / FAILED when its result is reported). Default none;
   * `setEventTargets` changes them at run time (a bridge's port is known only once it started).
   */
  eventTargets?: EventTarget[];
  /** Retry and timeout of event delivery (EventBridge-like defaults, shortened). */
  eventDelivery?: EventDeliveryOptions;
  /** Pipelines StartPipelineExecution knows (more with `declarePipeline` or `POST /__local/pipelines`). */
  pipelines?: PipelineDeclaration[];
  /** How long a StartPipelineExecution clientRequestToken returns the same execution (default 24 h; AWS does not say). */
  idempotencyWindowMs?: number;
}

/** A running local CodePipeline (job-worker API) with test and setup helpers. */
export interface LocalCodePipeline {
  /** Endpoint for the SDK (`endpoint`, or AWS_ENDPOINT_URL_CODEPIPELINE). */
  url: string;
  region: string;
  close(): Promise<void>;
  /** Creates a job in Queued state (the action type must exist, else throws). Returns the job id. */
  createJob(input: CreateJobInput): string;
  /** Same as CreateCustomActionType, for setup. */
  createActionType(input: CreateActionTypeInput): void;
  /** A snapshot of the job, with due timers applied. */
  getJob(id: string): EmulatedJob | undefined;
  listJobs(): EmulatedJob[];
  /**
   * Resolves when the job reaches Succeeded, Failed or TimedOut — with `followContinuations`
   * (default true), the last job of its continuation chain; rejects after `timeoutMs` (default 30 s).
   */
  waitForCompletion(id: string, options?: { timeoutMs?: number; followContinuations?: boolean }): Promise<EmulatedJob>;
  /** Answers the next `times` matching calls with the given error instead of handling them. */
  injectFault(fault: Fault): void;
  /** Drops pending faults. */
  clearFaults(): void;
  /** Every API call received, in order (admin calls excluded). */
  readonly calls: ReadonlyArray<RecordedCall>;
  /** Makes a pipeline known to StartPipelineExecution (replaces a declaration of the same name). Throws on an invalid one. */
  declarePipeline(declaration: PipelineDeclaration): void;
  /** Executions started, in start order (of one pipeline, or all). */
  listExecutions(pipelineName?: string): EmulatedExecution[];
  getExecution(executionId: string): EmulatedExecution | undefined;
  /** Replaces the event targets; events emitted from now on go there. */
  setEventTargets(targets: EventTarget[]): void;
  /** Every event delivery (one per event and target), in emission order, with its attempts. */
  readonly eventDeliveries: ReadonlyArray<EventDeliveryRecord>;
  /** Resolves once every event emitted so far was delivered or given up. */
  eventsSettled(): Promise<void>;
}

const POLL_INTERVAL_MS = 10;
/** What most custom action types declare (the Jenkins type of the AWS CDK: 0–5 in, 0–5 out). */
const DEFAULT_ARTIFACT_DETAILS = {
  inputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
  outputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
};

/** Starts the emulator on loopback (free port by default). */
export async function startLocalCodePipeline(options: LocalCodePipelineOptions = {}): Promise<LocalCodePipeline> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  if (!/^\d{12}$/.test(accountId)) throw new Error('accountId must be 12 digits');
  const ttl = options.credentialsTtlMs ?? 15 * 60_000;
  const events = new EventDelivery(options.eventTargets ?? [], options.eventDelivery);
  const store = new JobStore({
    accountId,
    region,
    ackTimeoutMs: options.ackTimeoutMs ?? 30_000,
    continuationDelayMs: options.continuationDelayMs ?? 30_000,
    jobTimeoutMs: options.jobTimeoutMs ?? 24 * 3_600_000,
    timeoutSpansContinuations: options.timeoutSpansContinuations ?? true,
    now: () => Date.now(),
    issueCredentials: options.issueCredentials ?? (() => randomCredentials(Date.now() + ttl)),
    onActionStateChange: (job, state) => {
      const now = Date.now();
      events.emit(actionExecutionEvent(job, state, { region, now }), job.id, now);
    },
  });
  const pipelines = new PipelineStore({ accountId, idempotencyWindowMs: options.idempotencyWindowMs ?? 24 * 3_600_000, now: () => Date.now() });
  const declare = (declaration: PipelineDeclaration) => pipelines.declare(pipelineDeclaration(declaration as unknown as Body));
  for (const declaration of options.pipelines ?? []) declare(declaration);
  const faults = new FaultInjector();
  const calls: RecordedCall[] = [];
  const server = createCodePipelineServer({ store, pipelines, faults, calls });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    region,
    calls,
    eventDeliveries: events.deliveries,
    setEventTargets: (targets) => events.setTargets(targets),
    eventsSettled: () => events.settled(),
    close: () => {
      // Idempotent: tests close in afterEach and again in afterAll.
      closing ??= Promise.all([
        events.close(),
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          // Keep-alive sockets of SDK clients would otherwise hold close() open.
          server.closeAllConnections();
        }),
      ]).then(() => undefined);
      return closing;
    },
    createJob: (input) => store.createJob(createJobInput(input as unknown as Body)).id,
    createActionType: (input) =>
      void store.createActionType(createCustomActionType({ ...DEFAULT_ARTIFACT_DETAILS, ...input } as unknown as Body)),
    getJob: (id) => store.get(id),
    listJobs: () => store.list(),
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    declarePipeline: declare,
    listExecutions: (pipelineName) => pipelines.list(pipelineName),
    getExecution: (id) => pipelines.find(id),
    async waitForCompletion(id, { timeoutMs = 30_000, followContinuations = true } = {}) {
      const deadline = Date.now() + timeoutMs;
      let current = id;
      for (;;) {
        const job = store.get(current);
        if (!job) throw new Error(`no job ${current}`);
        if (isTerminal(job.status)) {
          if (!(followContinuations && job.continuedAs)) return job;
          current = job.continuedAs;
          continue;
        }
        if (Date.now() >= deadline) throw new Error(`job ${current} is still ${job.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      }
    },
  };
}

/** Shaped like STS session credentials: ASIA access key id, 40-char secret, opaque token. */
function randomCredentials(expiresAt: number): IssuedCredentials {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(96).toString('base64'),
    expiresAt,
  };
}
