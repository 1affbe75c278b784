import { randomInt, randomUUID } from 'node:crypto';
import type { ActionExecutionState } from './action-events';
import { actionTypeNotFound, invalidJobState, jobNotFound, ServiceError, validation } from './service-error';
import type {
  ActionTypeDefinition,
  CreateActionTypeInput,
  CreateJobInput,
  EmulatedJob,
  FailureDetailsInput,
  IssuedCredentials,
  JobStatus,
  SuccessInput,
  WireActionTypeId,
  WireArtifact,
  WireCredentials,
} from './types';

/** Timings and hooks of the job lifecycle. */
export interface JobStoreOptions {
  accountId: string;
  region: string;
  /** A Dispatched job not acknowledged within this returns to Queued and is offered again with a new nonce (real: ~30 s). */
  ackTimeoutMs: number;
  /** Delay before a continuation job is offered (real: ~30 s, "CodePipeline creates a new job in another 30 seconds"). */
  continuationDelayMs: number;
  /** An action execution with no final result after this is TimedOut (custom actions: 24 h). */
  jobTimeoutMs: number;
  /**
   * Whether the action timeout spans all continuation jobs of one action execution (true) or
   * restarts with each continuation job (false). Undocumented by AWS; assumed true.
   */
  timeoutSpansContinuations: boolean;
  issueCredentials: (jobId: string) => IssuedCredentials;
  now: () => number;
  /**
   * An action execution changed state: STARTED when its first job is queued, SUCCEEDED on a success
   * without continuation token, FAILED on a failure. Continuation jobs and progress reports
   * (success with a token) are not state changes. Called synchronously; must not throw or block.
   */
  onActionStateChange?: (job: EmulatedJob, state: ActionExecutionState) => void;
}

const TERMINAL: ReadonlySet<JobStatus> = new Set(['Succeeded', 'Failed', 'TimedOut']);
const OPEN: ReadonlySet<JobStatus> = new Set(['Created', 'Queued', 'Dispatched', 'InProgress']);
const typeKey = (id: WireActionTypeId) => `${id.owner}/${id.category}/${id.provider}/${id.version}`;

/** Succeeded, Failed or TimedOut: no result is accepted any more. */
export const isTerminal = (status: JobStatus) => TERMINAL.has(status);

/**
 * The job lifecycle of CodePipeline's job-worker API (custom actions):
 *   Queued → Dispatched (PollForJobs, fresh nonce) → InProgress (AcknowledgeJob with that nonce)
 *   → Succeeded | Failed | TimedOut.
 * Dispatched without an acknowledgement for `ackTimeoutMs` → Queued again (new nonce on the next poll).
 * A success with a continuation token completes the job and creates a new one (new id) carrying
 * the token, Created until `continuationDelayMs` has passed, then Queued.
 * Timers are applied lazily whenever a job is looked at, so the store needs no background work
 * (and a closed emulator leaves no timers behind).
 */
export class JobStore {
  private readonly jobs = new Map<string, EmulatedJob>();
  private readonly actionTypes = new Map<string, ActionTypeDefinition>();

  constructor(private readonly options: JobStoreOptions) {}

  /** CreateCustomActionType: (re)defines the type; creating an existing one replaces its definition. */
  createActionType(input: CreateActionTypeInput): ActionTypeDefinition {
    const id: WireActionTypeId = { category: input.category, owner: 'Custom', provider: input.provider, version: input.version };
    const definition: ActionTypeDefinition = {
      id,
      ...(input.settings ? { settings: { ...input.settings } } : {}),
      actionConfigurationProperties: (input.configurationProperties ?? []).map((p) => ({ ...p })),
      inputArtifactDetails: input.inputArtifactDetails ?? { minimumCount: 0, maximumCount: 5 },
      outputArtifactDetails: input.outputArtifactDetails ?? { minimumCount: 0, maximumCount: 5 },
    };
    this.actionTypes.set(typeKey(id), definition);
    return structuredClone(definition);
  }

  /** DeleteCustomActionType: later polls for the type fail with ActionTypeNotFoundException. */
  deleteActionType(id: WireActionTypeId): void {
    this.actionTypes.delete(typeKey({ ...id, owner: 'Custom' }));
  }

  listActionTypes(owner?: string): ActionTypeDefinition[] {
    return [...this.actionTypes.values()].filter((t) => !owner || t.id.owner === owner).map((t) => structuredClone(t));
  }

  private requireActionType(id: WireActionTypeId): ActionTypeDefinition {
    const type = this.actionTypes.get(typeKey(id));
    if (!type) throw actionTypeNotFound(id);
    return type;
  }

  /** A pipeline execution reaching the action: one Queued job. The action type must exist. */
  createJob(input: CreateJobInput): EmulatedJob {
    const typeId: WireActionTypeId = { ...input.actionTypeId, owner: 'Custom' };
    this.requireActionType(typeId);
    const now = this.options.now();
    const pipelineName = input.pipelineName ?? 'local-pipeline';
    const artifact = (a: { name: string; revision?: string; bucket: string; key: string }): WireArtifact => ({
      name: a.name,
      ...(a.revision ? { revision: a.revision } : {}),
      location: { type: 'S3', s3Location: { bucketName: a.bucket, objectKey: a.key } },
    });
    const job: EmulatedJob = {
      id: randomUUID(),
      accountId: this.options.accountId,
      status: 'Queued',
      createdAt: now,
      availableAt: now,
      actionStartedAt: now,
      dispatches: 0,
      data: {
        actionTypeId: typeId,
        actionConfiguration: { configuration: { ...(input.configuration ?? {}) } },
        pipelineContext: {
          pipelineName,
          stage: { name: input.stage ?? 'Build' },
          action: { name: input.action ?? 'Build', actionExecutionId: randomUUID() },
          pipelineArn: `arn:aws:codepipeline:${this.options.region}:${this.options.accountId}:${pipelineName}`,
          pipelineExecutionId: input.pipelineExecutionId ?? randomUUID(),
        },
        inputArtifacts: (input.inputArtifacts ?? []).map(artifact),
        outputArtifacts: (input.outputArtifacts ?? []).map(artifact),
        ...(input.encryptionKey ? { encryptionKey: { id: input.encryptionKey.id, type: 'KMS' as const } } : {}),
        ...(input.continuationToken ? { continuationToken: input.continuationToken } : {}),
      },
    };
    this.jobs.set(job.id, job);
    this.options.onActionStateChange?.(structuredClone(job), 'STARTED');
    return structuredClone(job);
  }

  /** A copy of the job with its timers applied. */
  get(id: string): EmulatedJob | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    this.advance(job);
    return structuredClone(job);
  }

  list(): EmulatedJob[] {
    return [...this.jobs.values()].map((job) => {
      this.advance(job);
      return structuredClone(job);
    });
  }

  /**
   * PollForJobs: up to `max` Queued jobs of exactly this action type (and matching `query`, whose
   * key must be the type's queryable property), oldest first, each dispatched with a fresh nonce
   * and fresh artifact credentials.
   * Lenience: a poll without queryParam on a type that has a queryable property returns jobs of
   * every configuration. The model says the property "must" be supplied; the bridge can serve all
   * projects with one poll, and whether the service enforces it is unverified.
   */
  poll(typeId: WireActionTypeId, max: number, query: Record<string, string> | undefined): EmulatedJob[] {
    const type = this.requireActionType(typeId);
    const [entry] = Object.entries(query ?? {});
    if (entry) {
      const queryable = type.actionConfigurationProperties.find((p) => p.queryable);
      if (!queryable) throw new ServiceError('ValidationException', 'queryParam must be empty: the action type has no queryable configuration property');
      if (queryable.name !== entry[0]) throw validation(`Value '${entry[0]}' at 'queryParam' failed to satisfy constraint: must be the queryable property '${queryable.name}'`);
    }
    const now = this.options.now();
    const out: EmulatedJob[] = [];
    for (const job of this.jobs.values()) {
      if (out.length >= max) break;
      this.advance(job);
      if (job.status !== 'Queued' || typeKey(job.data.actionTypeId) !== typeKey(typeId)) continue;
      if (entry && job.data.actionConfiguration.configuration[entry[0]] !== entry[1]) continue;
      job.status = 'Dispatched';
      // Fresh per dispatch: an earlier holder's nonce must stop working once the job is re-offered.
      job.nonce = String(randomInt(1, 2 ** 47));
      job.dispatchedAt = now;
      job.dispatches++;
      job.data.artifactCredentials = this.credentialsFor(job.id);
      out.push(structuredClone(job));
    }
    return out;
  }

  /**
   * AcknowledgeJob. The current nonce of a Dispatched job makes it InProgress. Repeating the ack
   * with that nonce later returns the job's current status (InProgress, or e.g. TimedOut), so a
   * retried ack is harmless. Any other nonce — another worker's, or one from an expired dispatch —
   * is InvalidNonceException.
   */
  acknowledge(id: string, nonce: string): JobStatus {
    const job = this.require(id);
    if (job.nonce !== nonce || job.status === 'Queued' || job.status === 'Created') {
      throw new ServiceError('InvalidNonceException', `The nonce ${nonce} is not valid for job ${id}`);
    }
    if (job.status === 'Dispatched') {
      job.status = 'InProgress';
      job.acknowledgedAt = this.options.now();
    }
    return job.status;
  }

  /** GetJobDetails: the job with freshly issued artifact credentials. */
  details(id: string): EmulatedJob {
    const job = this.require(id);
    job.data.artifactCredentials = this.credentialsFor(id);
    return structuredClone(job);
  }

  /** PutJobSuccessResult (input already validated). With a token, queues the continuation job. */
  succeed(id: string, result: SuccessInput): EmulatedJob {
    const job = this.requireInProgress(id);
    const now = this.options.now();
    job.status = 'Succeeded';
    job.result = { kind: 'success', at: now, ...structuredClone(result) };
    if (result.continuationToken) job.continuedAs = this.continueJob(job, result.continuationToken, now).id;
    else this.options.onActionStateChange?.(structuredClone(job), 'SUCCEEDED');
    return structuredClone(job);
  }

  /** PutJobFailureResult (input already validated). */
  fail(id: string, failureDetails: FailureDetailsInput): EmulatedJob {
    const job = this.requireInProgress(id);
    job.status = 'Failed';
    job.result = { kind: 'failure', at: this.options.now(), failureDetails: { ...failureDetails } };
    this.options.onActionStateChange?.(structuredClone(job), 'FAILED');
    return structuredClone(job);
  }

  private continueJob(previous: EmulatedJob, token: string, now: number): EmulatedJob {
    const { artifactCredentials: _notCarried, ...data } = previous.data;
    const job: EmulatedJob = {
      id: randomUUID(),
      accountId: previous.accountId,
      status: 'Created',
      createdAt: now,
      availableAt: now + this.options.continuationDelayMs,
      actionStartedAt: this.options.timeoutSpansContinuations ? previous.actionStartedAt : now,
      dispatches: 0,
      data: { ...structuredClone(data), continuationToken: token },
      continuationOf: previous.id,
    };
    this.jobs.set(job.id, job);
    this.advance(job);
    return job;
  }

  private credentialsFor(jobId: string): WireCredentials {
    const { accessKeyId, secretAccessKey, sessionToken } = this.options.issueCredentials(jobId);
    return { accessKeyId, secretAccessKey, sessionToken };
  }

  private require(id: string): EmulatedJob {
    const job = this.jobs.get(id);
    if (!job) throw jobNotFound(id);
    this.advance(job);
    return job;
  }

  private requireInProgress(id: string): EmulatedJob {
    const job = this.require(id);
    if (job.status !== 'InProgress') throw invalidJobState(id, job.status);
    return job;
  }

  /** Applies the time-driven transitions that are due. */
  private advance(job: EmulatedJob): void {
    const now = this.options.now();
    if (OPEN.has(job.status) && now - job.actionStartedAt >= this.options.jobTimeoutMs) {
      job.status = 'TimedOut';
      return;
    }
    if (job.status === 'Created' && now >= job.availableAt) job.status = 'Queued';
    if (job.status === 'Dispatched' && job.dispatchedAt !== undefined && now - job.dispatchedAt >= this.options.ackTimeoutMs) {
      job.status = 'Queued';
      delete job.nonce;
    }
  }
}
