import { randomUUID } from 'node:crypto';
import type { AckOutcome, JobSource } from '../../src/ports/job-source';
import type { JobFailure, JobSuccess, PipelineJob } from '../../src/ports/pipeline-job';
import { JobNoLongerActiveError, TransientError } from '../../src/core/errors';

type Status = 'Queued' | 'Dispatched' | 'InProgress' | 'Succeeded' | 'Failed';

interface Entry {
  job: PipelineJob;
  status: Status;
  nonce?: string;
  success?: JobSuccess;
  failure?: JobFailure;
}

/** In-memory JobSource with CodePipeline's state rules (nonce ownership, results only while InProgress). */
export class FakeJobSource implements JobSource {
  readonly entries = new Map<string, Entry>();
  readonly pollSizes: number[] = [];
  readonly queryParams: (Readonly<Record<string, string>> | undefined)[] = [];
  readonly detailsCalls: string[] = [];
  /** Errors thrown by the next polls, in order. */
  pollFailures: Error[] = [];
  ackFailures: Error[] = [];
  /** Jobs whose nonce another worker "takes" before our ack. */
  readonly stolen = new Set<string>();
  private credentialSerial = 0;

  add(partial: Partial<PipelineJob> & { configuration?: Record<string, string> } = {}): PipelineJob {
    const job: PipelineJob = {
      id: partial.id ?? randomUUID(),
      actionType: { category: 'Build', owner: 'Custom', provider: 'Jenkins', version: '1' },
      configuration: partial.configuration ?? { ProjectName: 'app' },
      pipeline: partial.pipeline ?? { pipelineName: 'demo', pipelineExecutionId: 'exec-1', stage: 'Build', action: 'Jenkins' },
      inputArtifacts: partial.inputArtifacts ?? [],
      outputArtifacts: partial.outputArtifacts ?? [],
      credentials: partial.credentials ?? this.newCredentials(),
      ...(partial.encryptionKey ? { encryptionKey: partial.encryptionKey } : {}),
    };
    this.entries.set(job.id, { job, status: 'Queued' });
    return job;
  }

  private newCredentials() {
    this.credentialSerial++;
    return { accessKeyId: `ASIAFAKE${this.credentialSerial}XXXXXXXX`, secretAccessKey: `secret-${this.credentialSerial}-${randomUUID()}`, sessionToken: `token-${randomUUID()}` };
  }

  async poll(maxBatchSize: number, _signal?: AbortSignal, queryParam?: Readonly<Record<string, string>>): Promise<PipelineJob[]> {
    this.pollSizes.push(maxBatchSize);
    this.queryParams.push(queryParam);
    const failure = this.pollFailures.shift();
    if (failure) throw failure;
    const out: PipelineJob[] = [];
    for (const entry of this.entries.values()) {
      if (out.length >= maxBatchSize) break;
      if (entry.status !== 'Queued') continue;
      if (queryParam && Object.entries(queryParam).some(([k, v]) => entry.job.configuration[k] !== v)) continue;
      entry.status = 'Dispatched';
      entry.nonce = randomUUID();
      out.push({ ...entry.job, nonce: entry.nonce });
    }
    return out;
  }

  async acknowledge(jobId: string, nonce: string): Promise<AckOutcome> {
    const failure = this.ackFailures.shift();
    if (failure) throw failure;
    const entry = this.entries.get(jobId);
    if (!entry) return { kind: 'gone' };
    if (this.stolen.has(jobId) || entry.nonce !== nonce) return { kind: 'taken' };
    entry.status = 'InProgress';
    return { kind: 'owned' };
  }

  async getJobDetails(jobId: string): Promise<PipelineJob> {
    this.detailsCalls.push(jobId);
    const entry = this.entries.get(jobId);
    if (!entry) throw new JobNoLongerActiveError('not found', jobId);
    return { ...entry.job, credentials: this.newCredentials() };
  }

  /** Continuation jobs created by successes that carried a token: original job id → new job id. */
  readonly continuations = new Map<string, string>();

  async putSuccess(jobId: string, result: JobSuccess): Promise<void> {
    const entry = this.require(jobId);
    entry.status = 'Succeeded';
    entry.success = result;
    if (result.continuationToken) {
      // As CodePipeline does: a new job (new id) with the same data and the token, offered again.
      const next = this.add({ ...entry.job, id: randomUUID(), credentials: this.newCredentials() });
      this.entries.get(next.id)!.job = { ...next, continuationToken: result.continuationToken };
      this.continuations.set(jobId, next.id);
    }
  }

  async putFailure(jobId: string, failure: JobFailure): Promise<void> {
    const entry = this.require(jobId);
    entry.status = 'Failed';
    entry.failure = failure;
  }

  async ping(): Promise<void> {}

  /** Marks the job as timed out on the service side: results are refused from now on. */
  expire(jobId: string): void {
    const entry = this.entries.get(jobId);
    if (entry) entry.status = 'Failed';
  }

  private require(jobId: string): Entry {
    const entry = this.entries.get(jobId);
    if (!entry || entry.status !== 'InProgress') throw new JobNoLongerActiveError(`job ${jobId} is not InProgress`, jobId);
    return entry;
  }

  static throttle(): TransientError {
    return new TransientError('Rate exceeded', 'codepipeline', { throttled: true });
  }
}
