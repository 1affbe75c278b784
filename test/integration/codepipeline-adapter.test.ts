import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CodePipelineJobSource, type CodePipelineJobSourceOptions } from '../../src/adapters/codepipeline';
import { isAbortError, JobNoLongerActiveError, PermanentError, TransientError } from '../../src/core/errors';
import { startLocalCodePipeline, type LocalCodePipeline } from '../../src/local-stack/codepipeline';
import { CaptureLogger } from '../support/capture-logger';

const TYPE = { category: 'Build', provider: 'Jenkins', version: '1' } as const;
const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';
const CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'x' };

describe('CodePipelineJobSource against the local CodePipeline', () => {
  let cp: LocalCodePipeline;
  let logger: CaptureLogger;
  const sources: CodePipelineJobSource[] = [];
  let issued = 0;

  function source(overrides: Partial<CodePipelineJobSourceOptions> = {}): CodePipelineJobSource {
    const created = new CodePipelineJobSource(
      { actionType: { ...TYPE, owner: 'Custom' }, region: 'us-east-1', endpoint: cp.url, credentials: CREDENTIALS, maxAttempts: 1, ...overrides },
      logger,
    );
    sources.push(created);
    return created;
  }

  function createJob(project = 'app', extra: Partial<Parameters<LocalCodePipeline['createJob']>[0]> = {}): string {
    return cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: project }, ...extra });
  }

  /** Polls and acknowledges the one queued job through the adapter. */
  async function own(jobs: CodePipelineJobSource): Promise<string> {
    const [job] = await jobs.poll(1);
    expect(job).toBeDefined();
    await expect(jobs.acknowledge(job!.id, job!.nonce!)).resolves.toEqual({ kind: 'owned' });
    return job!.id;
  }

  beforeEach(async () => {
    logger = new CaptureLogger();
    cp = await startLocalCodePipeline({
      ackTimeoutMs: 150,
      continuationDelayMs: 100,
      issueCredentials: () => {
        issued++;
        return { accessKeyId: `ASIATESTKEY${String(issued).padStart(9, '0')}`, secretAccessKey: `job-secret-value-${issued}`, sessionToken: `job-session-token-${issued}` };
      },
    });
    cp.createActionType({
      ...TYPE,
      configurationProperties: [{ name: 'ProjectName', required: true, key: true, secret: false, queryable: true }],
    });
  });
  afterEach(async () => {
    for (const s of sources.splice(0)) s.close();
    await cp.close();
  });

  it('maps polled jobs to the domain shape, honouring maxBatchSize', async () => {
    const ids = [
      createJob('app', {
        pipelineName: 'shop',
        stage: 'Build',
        action: 'Compile',
        pipelineExecutionId: 'exec-1',
        inputArtifacts: [{ name: 'Source', revision: 'abc', bucket: 'artifact-bucket', key: 'shop/Source/k1' }],
        outputArtifacts: [{ name: 'Dist', bucket: 'artifact-bucket', key: 'shop/Dist/k2' }],
        encryptionKey: { id: 'alias/pipeline' },
      }),
      createJob('app', { continuationToken: 'build:41' }),
      createJob(),
    ];
    const jobs = await source().poll(2);
    expect(jobs.map((j) => j.id)).toEqual(ids.slice(0, 2));
    expect(jobs[0]).toEqual({
      id: ids[0],
      nonce: expect.any(String),
      accountId: '123456789012',
      actionType: { ...TYPE, owner: 'Custom' },
      configuration: { ProjectName: 'app' },
      pipeline: {
        pipelineName: 'shop',
        pipelineArn: 'arn:aws:codepipeline:us-east-1:123456789012:shop',
        pipelineExecutionId: 'exec-1',
        stage: 'Build',
        action: 'Compile',
        actionExecutionId: expect.any(String),
      },
      inputArtifacts: [{ name: 'Source', revision: 'abc', location: { bucket: 'artifact-bucket', key: 'shop/Source/k1' } }],
      outputArtifacts: [{ name: 'Dist', location: { bucket: 'artifact-bucket', key: 'shop/Dist/k2' } }],
      credentials: { accessKeyId: expect.stringMatching(/^ASIATESTKEY/), secretAccessKey: expect.stringMatching(/^job-secret-value-/), sessionToken: expect.any(String) },
      encryptionKey: { id: 'alias/pipeline', type: 'KMS' },
    });
    // A continuation job carries its token; a first job has none (and no encryption key unless set).
    expect(jobs[1]).toMatchObject({ id: ids[1], nonce: expect.any(String), continuationToken: 'build:41' });
    expect(jobs[1]!.nonce).not.toBe(jobs[0]!.nonce);
    expect(jobs[1]).not.toHaveProperty('encryptionKey');
    expect(jobs[0]).not.toHaveProperty('continuationToken');
    expect(cp.calls.filter((c) => c.operation === 'PollForJobs').map((c) => c.input.maxBatchSize)).toEqual([2]);
  });

  it('applies the default queryParam, and a per-call one instead of it', async () => {
    const alpha = createJob('alpha');
    const beta = createJob('beta');
    const jobs = source({ queryParam: { ProjectName: 'beta' } });
    expect((await jobs.poll(5)).map((j) => j.id)).toEqual([beta]);
    expect((await jobs.poll(5, undefined, { ProjectName: 'alpha' })).map((j) => j.id)).toEqual([alpha]);
    expect(cp.calls.map((c) => c.input.queryParam)).toEqual([{ ProjectName: 'beta' }, { ProjectName: 'alpha' }]);
  });

  it('acknowledge: owned, then taken for a stale nonce, gone for an unknown job', async () => {
    const id = createJob();
    const jobs = source();
    const [first] = await jobs.poll(1);
    await sleep(200); // ack window passes: the job is offered again with a new nonce
    const [second] = await jobs.poll(1);
    expect(second?.id).toBe(id);
    await expect(jobs.acknowledge(id, first!.nonce!)).resolves.toEqual({ kind: 'taken' });
    await expect(jobs.acknowledge(id, second!.nonce!)).resolves.toEqual({ kind: 'owned' });
    await expect(jobs.acknowledge(UNKNOWN_JOB, '1')).resolves.toEqual({ kind: 'gone' });
  });

  it('acknowledge: not-runnable when the service answers a status other than InProgress', async () => {
    // Long enough for poll + ack on a loaded machine; the job then times out while owned.
    const timed = await startLocalCodePipeline({ jobTimeoutMs: 400 });
    try {
      timed.createActionType(TYPE);
      const id = timed.createJob({ actionTypeId: TYPE });
      const jobs = source({ endpoint: timed.url });
      const [job] = await jobs.poll(1);
      await expect(jobs.acknowledge(id, job!.nonce!)).resolves.toEqual({ kind: 'owned' });
      await timed.waitForCompletion(id, { timeoutMs: 2_000 });
      await expect(jobs.acknowledge(id, job!.nonce!)).resolves.toEqual({ kind: 'not-runnable', status: 'TimedOut' });
      await expect(jobs.putSuccess(id, {})).rejects.toBeInstanceOf(JobNoLongerActiveError);
    } finally {
      await timed.close();
    }
  });

  it('getJobDetails returns fresh credentials and no nonce', async () => {
    createJob('app', { continuationToken: 'token-1' });
    const jobs = source();
    const [polled] = await jobs.poll(1);
    const details = await jobs.getJobDetails(polled!.id);
    expect(details.nonce).toBeUndefined();
    expect(details.continuationToken).toBe('token-1');
    expect(details.credentials?.accessKeyId).not.toBe(polled!.credentials?.accessKeyId);
    const { credentials: _a, nonce: _n, ...polledRest } = polled!;
    const { credentials: _b, ...detailsRest } = details;
    expect(detailsRest).toEqual(polledRest);
    await expect(jobs.getJobDetails(UNKNOWN_JOB)).rejects.toBeInstanceOf(JobNoLongerActiveError);
  });

  it('reports success and failure; a second result is JobNoLongerActiveError', async () => {
    const jobs = source();
    createJob();
    const succeeded = await own(jobs);
    await jobs.putSuccess(succeeded, { executionDetails: { summary: 'Finished', externalExecutionId: '12', percentComplete: 100 }, outputVariables: { BUILD: '12' } });
    expect(cp.getJob(succeeded)?.result).toMatchObject({
      kind: 'success',
      executionDetails: { summary: 'Finished', externalExecutionId: '12', percentComplete: 100 },
      outputVariables: { BUILD: '12' },
    });
    const late = jobs.putFailure(succeeded, { type: 'JobFailed', message: 'late' });
    await expect(late).rejects.toBeInstanceOf(JobNoLongerActiveError);
    await expect(late).rejects.toMatchObject({ jobId: succeeded, message: expect.stringContaining('InvalidJobStateException') });

    createJob();
    const failed = await own(jobs);
    await jobs.putFailure(failed, { type: 'ConfigurationError', message: 'no such Jenkins project', externalExecutionId: 'q-1' });
    expect(cp.getJob(failed)?.result).toEqual({
      kind: 'failure',
      at: expect.any(Number),
      failureDetails: { type: 'ConfigurationError', message: 'no such Jenkins project', externalExecutionId: 'q-1' },
    });
    await expect(jobs.putSuccess(UNKNOWN_JOB, {})).rejects.toMatchObject({ kind: 'inactive', jobId: UNKNOWN_JOB });
  });

  it('truncates result fields to the model limits instead of being refused', async () => {
    const jobs = source();
    createJob();
    createJob();
    const first = await own(jobs);
    await jobs.putSuccess(first, { executionDetails: { summary: 's'.repeat(5_000), externalExecutionId: 'e'.repeat(3_000), percentComplete: 140 } });
    const details = cp.getJob(first)?.result?.kind === 'success' ? cp.getJob(first)?.result : undefined;
    expect(details).toMatchObject({ executionDetails: { percentComplete: 100 } });
    const sent = details as { executionDetails: { summary: string; externalExecutionId: string } };
    expect(sent.executionDetails.summary).toHaveLength(2048);
    expect(sent.executionDetails.externalExecutionId).toHaveLength(1500);

    const second = await own(jobs);
    await jobs.putFailure(second, { type: 'JobFailed', message: `log tail\n${'x'.repeat(20_000)}`, externalExecutionId: 'e'.repeat(1_600) });
    const failure = cp.getJob(second)?.result;
    expect(failure?.kind).toBe('failure');
    if (failure?.kind !== 'failure') return;
    expect(failure.failureDetails.message).toHaveLength(5000);
    expect(failure.failureDetails.message.startsWith('log tail')).toBe(true);
    expect(failure.failureDetails.externalExecutionId).toHaveLength(1500);
  });

  it('refuses an oversized continuation token before sending, and drops output variables sent with a token', async () => {
    const jobs = source();
    createJob();
    const id = await own(jobs);
    const before = cp.calls.length;
    await expect(jobs.putSuccess(id, { continuationToken: 't'.repeat(2049) })).rejects.toBeInstanceOf(PermanentError);
    expect(cp.calls.length).toBe(before);

    await jobs.putSuccess(id, { continuationToken: 'build:9', outputVariables: { A: '1' } });
    expect(cp.calls.at(-1)?.input).toEqual({ jobId: id, continuationToken: 'build:9' });
    expect(logger.entries.some((e) => e.level === 'warn' && /output variables dropped/.test(e.message))).toBe(true);
  });

  it('carries a continuation: the next job arrives after the delay with the token and must be acknowledged again', async () => {
    const jobs = source();
    createJob();
    const first = await own(jobs);
    await jobs.putSuccess(first, { continuationToken: 'build:9', executionDetails: { externalExecutionId: '9', percentComplete: 5 } });
    expect(await jobs.poll(1)).toEqual([]);
    await sleep(150);
    const [next] = await jobs.poll(1);
    expect(next).toMatchObject({ continuationToken: 'build:9', configuration: { ProjectName: 'app' } });
    expect(next!.id).not.toBe(first);
    await expect(jobs.acknowledge(next!.id, next!.nonce!)).resolves.toEqual({ kind: 'owned' });
    await jobs.putSuccess(next!.id, { executionDetails: { summary: 'done', percentComplete: 100 } });
    await expect(cp.waitForCompletion(first, { timeoutMs: 1_000 })).resolves.toMatchObject({ id: next!.id, status: 'Succeeded' });
  });

  it('maps throttling to a throttled TransientError', async () => {
    cp.injectFault({ operation: 'PollForJobs', type: 'ThrottlingException', times: 1 });
    const error = await source().poll(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ system: 'codepipeline', throttled: true, message: expect.stringContaining('Rate exceeded') });
  });

  it('maps 500 and 503 to TransientError (not throttled), after the SDK\'s own minimal retry', async () => {
    const jobs = source({ maxAttempts: 2 });
    createJob();
    const id = await own(jobs);
    cp.injectFault({ operation: 'PutJobSuccessResult', type: 'InternalFailure', times: 2 });
    const before = cp.calls.length;
    const error = await jobs.putSuccess(id, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ system: 'codepipeline', throttled: false });
    expect(cp.calls.slice(before).map((c) => c.status)).toEqual([500, 500]);

    cp.injectFault({ operation: 'GetJobDetails', type: 'ServiceUnavailable', times: 1 });
    await expect(source().getJobDetails(id)).rejects.toBeInstanceOf(TransientError);
    // The job was not touched by the failed calls and accepts the result now.
    await jobs.putSuccess(id, {});
    expect(cp.getJob(id)?.status).toBe('Succeeded');
  });

  it('maps configuration errors to PermanentError ConfigurationError', async () => {
    const wrongType = source({ actionType: { ...TYPE, owner: 'Custom', version: '7' } });
    await expect(wrongType.poll(1)).rejects.toMatchObject({ kind: 'permanent', failureType: 'ConfigurationError', message: expect.stringContaining('is not available') });
    const wrongQuery = source({ queryParam: { Project: 'app' } });
    await expect(wrongQuery.poll(1)).rejects.toMatchObject({ kind: 'permanent', failureType: 'ConfigurationError' });
  });

  it('maps OutputVariablesSizeExceededException to PermanentError JobFailed', async () => {
    const jobs = source();
    createJob();
    const id = await own(jobs);
    const error = await jobs.putSuccess(id, { outputVariables: { BIG: 'x'.repeat(130_000) } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ failureType: 'JobFailed', message: expect.stringContaining('OutputVariablesSizeExceededException') });
    expect(cp.getJob(id)?.status).toBe('InProgress');
  });

  it('ping answers through ListActionTypes (no jobs dispatched) and fails transiently on 5xx', async () => {
    createJob();
    const jobs = source();
    await expect(jobs.ping()).resolves.toBeUndefined();
    expect(cp.calls.at(-1)).toMatchObject({ operation: 'ListActionTypes', input: { actionOwnerFilter: 'Custom' }, status: 200 });
    expect(cp.listJobs().map((j) => j.status)).toEqual(['Queued']);
    cp.injectFault({ type: 'InternalFailure', times: 1 });
    await expect(jobs.ping()).rejects.toBeInstanceOf(TransientError);
  });

  it('does not call at all with an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await source().poll(1, controller.signal).catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect(cp.calls).toHaveLength(0);
  });

  it('never logs artifact credentials', async () => {
    const jobs = source();
    createJob();
    const id = await own(jobs);
    const details = await jobs.getJobDetails(id);
    cp.injectFault({ type: 'InternalFailure', times: 1 });
    await jobs.putFailure(id, { type: 'JobFailed', message: 'x' }).catch(() => undefined);
    await jobs.putFailure(id, { type: 'JobFailed', message: 'x' });
    const text = logger.text();
    expect(logger.entries.length).toBeGreaterThan(0);
    expect(text).not.toContain(details.credentials!.secretAccessKey);
    expect(text).not.toContain(details.credentials!.sessionToken);
  });
});

describe('CodePipelineJobSource transport failures', () => {
  const servers: http.Server[] = [];
  afterAll(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /** A server that accepts requests and never answers (a hung endpoint). */
  async function hangingServer(): Promise<string> {
    const server = http.createServer(() => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const make = (endpoint: string, extra: Partial<CodePipelineJobSourceOptions> = {}) =>
    new CodePipelineJobSource({ actionType: { ...TYPE, owner: 'Custom' }, region: 'us-east-1', endpoint, credentials: CREDENTIALS, maxAttempts: 1, ...extra }, new CaptureLogger());

  it('an AbortSignal cancels a call in flight, and the error is an abort (not a TransientError)', async () => {
    const jobs = make(await hangingServer());
    const controller = new AbortController();
    const pending = jobs.poll(1, controller.signal).catch((e: unknown) => e);
    await sleep(50);
    controller.abort();
    const error = await pending;
    expect(isAbortError(error)).toBe(true);
    expect(error).not.toBeInstanceOf(TransientError);
    jobs.close();
  });

  it('maps a request timeout to TransientError', async () => {
    const jobs = make(await hangingServer(), { requestTimeoutMs: 100 });
    const error = await jobs.acknowledge(UNKNOWN_JOB, '1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ system: 'codepipeline' });
    jobs.close();
  });

  it('maps a refused connection to TransientError', async () => {
    const closed = await startLocalCodePipeline();
    const url = closed.url;
    await closed.close();
    const jobs = make(url);
    const error = await jobs.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ system: 'codepipeline', throttled: false, message: expect.stringContaining('ListActionTypes') });
    // Under jest the SDK wraps the cross-realm socket error and keeps only its message.
    expect((error as Error).message).toContain('ECONNREFUSED');
    jobs.close();
  });
});
