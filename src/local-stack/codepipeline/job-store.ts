import { randomBytes, randomUUID } from 'node:crypto';
import { jobNotFound, ServiceError, validation } from './service-error';
import type {
  ActionTypeDefinition,
  CreateActionTypeInput,
  CreateJobInput,
  EmulatedJob,
  IssuedCredentials,
  JobResult,
  WireActionTypeId,
  WireArtifact,
} from './types';
import { FAILURE_TYPES, OUTPUT_VARIABLES_MAX_BYTES, outputVariablesBytes } from './validation';

export interface JobStoreOptions {
  accountId: string;
  region: string;
  /** A Dispatched job not acknowledged within this returns to Queued, to be offered with a new nonce (real: ~30 s). */
  ackTimeoutMs: number;
  /** Delay before a continuation job is offered (real: ~30 s). */
  continuationDelayMs: number;
  /** An InProgress job with no result after this is TimedOut (custom actions: 24 h). */
  jobTimeoutMs: number;
  issueCredentials: (jobId: string) => IssuedCredentials;
  now: () => number;
}

const TERMINAL = new Set(['Succeeded', 'Failed', 'TimedOut']);
const typeKey = (id: WireActionTypeId) => `${id.owner}/${id.category}/${id.provider}/${id.version}`;

/**
 * The job lifecycle of CodePipeline's job-worker API:
 *   Queued → Dispatched (PollForJobs, fresh nonce) → InProgress (AcknowledgeJob with that nonce)
 *   → Succeeded | Failed | TimedOut.
 * Dispatched without an acknowledge for `ackTimeoutMs` → Queued again (new nonce on next poll).
 * A success with a continuation token creates a new job carrying it, offered after a delay.
 * Timers are evaluated lazily on each access, so the store needs no background work.
 */
export class JobStore {
  private readonly jobs = new Map<string, EmulatedJob>();
  private readonly actionTypes = new Map<string, ActionTypeDefinition>();

  constructor(private readonly options: JobStoreOptions) {}

  createActionType(input: CreateActionTypeInput): ActionTypeDefinition {
    const id: WireActionTypeId = { category: input.category, owner: 'Custom', provider: input.provider, version: input.version };
    const properties = input.configurationProperties ?? [];
    if (properties.length > 10) throw validation('An action type can have at most 10 configuration properties');
    if (properties.filter((p) => p.queryable).length > 1) throw validation('Only one configuration property can be queryable');
    const definition: ActionTypeDefinition = {
      id,
      ...(input.settings ? { settings: { ...input.settings } } : {}),
      actionConfigurationProperties: properties.map((p) => ({ ...p })),
      inputArtifactDetails: input.inputArtifactDetails ?? { minimumCount: 0, maximumCount: 5 },
      outputArtifactDetails: input.outputArtifactDetails ?? { minimumCount: 0, maximumCount: 5 },
    };
    this.actionTypes.set(typeKey(id), definition);
    return definition;
  }

  deleteActionType(id: WireActionTypeId): void {
    this.actionTypes.delete(typeKey({ ...id, owner: 'Custom' }));
  }

  listActionTypes(owner?: string): ActionTypeDefinition[] {
    return [...this.actionTypes.values()].filter((t) => !owner || t.id.owner === owner);
  }

  requireActionType(id: WireActionTypeId): ActionTypeDefinition {
    const type = this.actionTypes.get(typeKey(id));
    if (!type) {
      throw new ServiceError(
        'ActionTypeNotFoundException',
        `ActionType (Category: '${id.category}', Owner: '${id.owner}', Provider: '${id.provider}', Version: '${id.version}') is not available`,
      );
    }
    return type;
  }

  createJob(input: CreateJobInput, continuationOf?: string): EmulatedJob {
    const typeId: WireActionTypeId = { ...input.actionTypeId, owner: input.actionTypeId.owner ?? 'Custom' };
    this.requireActionType(typeId);
    const now = this.options.now();
    const id = randomUUID();
    const pipelineName = input.pipelineName ?? 'local-pipeline';
    const artifact = (a: { name: string; revision?: string; bucket: string; key: string }): WireArtifact => ({
      name: a.name,
      ...(a.revision ? { revision: a.revision } : {}),
      location: { type: 'S3', s3Location: { bucketName: a.bucket, objectKey: a.key } },
    });
    const job: EmulatedJob = {
      id,
      accountId: this.options.accountId,
      status: 'Queued',
      createdAt: now,
      availableAt: now,
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
      ...(continuationOf ? { continuationOf } : {}),
    };
    this.jobs.set(id, job);
    return job;
  }

  get(id: string): EmulatedJob | undefined {
    const job = this.jobs.get(id);
    if (job) this.advanceTimers(job);
    return job;
  }

  list(): EmulatedJob[] {
    return [...this.jobs.values()].map((job) => {
      this.advanceTimers(job);
      return job;
    });
  }

  /** PollForJobs: up to `max` available Queued jobs of the type (and queryParam), each with a fresh nonce. */
  poll(typeId: WireActionTypeId, max: number, query: Record<string, string> | undefined): EmulatedJob[] {
    if (typeId.owner !== 'Custom') throw validation(`PollForJobs is only supported for action types owned by Custom, not ${typeId.owner}`);
    const type = this.requireActionType(typeId);
    if (query) {
      const queryable = type.actionConfigurationProperties?.find((p) => p.queryable);
      const [key] = Object.keys(query);
      if (!queryable || queryable.name !== key) {
        throw validation(`queryParam key ${key ?? ''} is not the queryable property of this action type`);
      }
    }
    const now = this.options.now();
    const out: EmulatedJob[] = [];
    for (const job of this.jobs.values()) {
      if (out.length >= max) break;
      this.advanceTimers(job);
      if (job.status !== 'Queued' || job.availableAt > now) continue;
      if (typeKey(job.data.actionTypeId) !== typeKey(typeId)) continue;
      if (query && Object.entries(query).some(([k, v]) => job.data.actionConfiguration.configuration[k] !== v)) continue;
      job.status = 'Dispatched';
      job.nonce = String(randomBytes(6).readUIntBE(0, 6));
      job.dispatchedAt = now;
      job.dispatches++;
      job.data.artifactCredentials = this.credentialsFor(job.id);
      out.push(job);
    }
    return out;
  }

  acknowledge(id: string, nonce: string): EmulatedJob {
    const job = this.require(id);
    if (job.status === 'Dispatched' && job.nonce === nonce) {
      job.status = 'InProgress';
      job.acknowledgedAt = this.options.now();
      return job;
    }
    // Acknowledging again with the job's own nonce returns its status (a retried ack is harmless).
    if (job.status !== 'Queued' && job.status !== 'Dispatched' && job.nonce === nonce) return job;
    throw new ServiceError('InvalidNonceException', `Nonce ${nonce} is not valid for job ${id}`);
  }

  details(id: string): EmulatedJob {
    const job = this.require(id);
    job.data.artifactCredentials = this.credentialsFor(id);
    return job;
  }

  succeed(id: string, result: Omit<Extract<JobResult, { kind: 'success' }>, 'kind' | 'at'>): EmulatedJob {
    const job = this.requireInProgress(id);
    if (result.outputVariables && result.continuationToken) {
      throw validation('outputVariables can only be set when no continuationToken is provided');
    }
    if (result.outputVariables && outputVariablesBytes(result.outputVariables) > OUTPUT_VARIABLES_MAX_BYTES) {
      throw new ServiceError('OutputVariablesSizeExceededException', `The total size of the output variables exceeds ${OUTPUT_VARIABLES_MAX_BYTES} bytes`);
    }
    job.status = 'Succeeded';
    job.result = { kind: 'success', at: this.options.now(), ...result };
    if (result.continuationToken) {
      const next = this.continueJob(job, result.continuationToken);
      job.continuedAs = next.id;
    }
    return job;
  }

  fail(id: string, failureDetails: { type: string; message: string; externalExecutionId?: string }): EmulatedJob {
    if (!(FAILURE_TYPES as readonly string[]).includes(failureDetails.type)) {
      throw validation(`Value '${failureDetails.type}' at 'failureDetails.type' failed to satisfy constraint: Member must satisfy enum value set: [${FAILURE_TYPES.join(', ')}]`);
    }
    const job = this.requireInProgress(id);
    job.status = 'Failed';
    job.result = { kind: 'failure', at: this.options.now(), failureDetails };
    return job;
  }

  private continueJob(previous: EmulatedJob, token: string): EmulatedJob {
    const now = this.options.now();
    const id = randomUUID();
    const { artifactCredentials: _dropped, ...data } = previous.data;
    const job: EmulatedJob = {
      id,
      accountId: previous.accountId,
      status: 'Queued',
      createdAt: now,
      availableAt: now + this.options.continuationDelayMs,
      dispatches: 0,
      data: { ...structuredClone(data), continuationToken: token },
      continuationOf: previous.id,
    };
    this.jobs.set(id, job);
    return job;
  }

  private credentialsFor(jobId: string) {
    const { accessKeyId, secretAccessKey, sessionToken } = this.options.issueCredentials(jobId);
    return { accessKeyId, secretAccessKey, sessionToken };
  }

  private require(id: string): EmulatedJob {
    const job = this.get(id);
    if (!job) throw jobNotFound(id);
    return job;
  }

  private requireInProgress(id: string): EmulatedJob {
    const job = this.require(id);
    if (job.status !== 'InProgress') {
      throw new ServiceError('InvalidJobStateException', `Job ${id} is in state ${job.status}, not InProgress`);
    }
    return job;
  }

  private advanceTimers(job: EmulatedJob): void {
    const now = this.options.now();
    if (job.status === 'Dispatched' && job.dispatchedAt !== undefined && now - job.dispatchedAt >= this.options.ackTimeoutMs) {
      job.status = 'Queued';
      delete job.nonce;
    }
    if (job.status === 'InProgress' && job.acknowledgedAt !== undefined && now - job.acknowledgedAt >= this.options.jobTimeoutMs) {
      job.status = 'TimedOut';
    }
  }

  isTerminal(job: EmulatedJob): boolean {
    return TERMINAL.has(job.status);
  }
}
