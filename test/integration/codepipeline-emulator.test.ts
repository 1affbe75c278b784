import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  AcknowledgeJobCommand,
  CodePipelineClient,
  CreateCustomActionTypeCommand,
  DeleteCustomActionTypeCommand,
  GetJobDetailsCommand,
  ListActionTypesCommand,
  ListPipelinesCommand,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
  type ActionTypeId,
  type FailureType,
} from '@aws-sdk/client-codepipeline';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalCodePipeline, type LocalCodePipeline, type LocalCodePipelineOptions } from '../../src/local-stack/codepipeline';

const TYPE = { category: 'Build', provider: 'Jenkins', version: '1' } as const;
const TYPE_ID: ActionTypeId = { ...TYPE, owner: 'Custom' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';
/** A syntactically valid SigV4 header, for raw requests (the emulator does not verify signatures). */
const FAKE_SIGV4 = `AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/us-east-1/codepipeline/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`;

const emulators: LocalCodePipeline[] = [];
const clients: CodePipelineClient[] = [];

async function start(options: LocalCodePipelineOptions = {}): Promise<LocalCodePipeline> {
  const cp = await startLocalCodePipeline(options);
  emulators.push(cp);
  return cp;
}

/** The real SDK client, configured as a worker would be, pointed at the emulator. */
function sdk(cp: LocalCodePipeline, maxAttempts = 1): CodePipelineClient {
  const client = new CodePipelineClient({
    region: 'us-east-1',
    endpoint: cp.url,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'x' },
    maxAttempts,
  });
  clients.push(client);
  return client;
}

/** Creates the Jenkins-like action type (queryable ProjectName) through the API. */
async function createType(client: CodePipelineClient, type: { category: 'Build' | 'Test'; provider: string; version: string } = TYPE) {
  return client.send(
    new CreateCustomActionTypeCommand({
      ...type,
      settings: { executionUrlTemplate: 'http://jenkins/job/{Config:ProjectName}/{ExternalExecutionId}' },
      configurationProperties: [{ name: 'ProjectName', required: true, key: true, secret: false, queryable: true, type: 'String' }],
      inputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
      outputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
    }),
  );
}

async function pollOne(client: CodePipelineClient, queryParam?: Record<string, string>) {
  const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 1, ...(queryParam ? { queryParam } : {}) }));
  expect(jobs).toHaveLength(1);
  return jobs![0]!;
}

/** Polls and acknowledges one job; returns its id and nonce. */
async function claim(client: CodePipelineClient): Promise<{ id: string; nonce: string }> {
  const job = await pollOne(client);
  await expect(client.send(new AcknowledgeJobCommand({ jobId: job.id!, nonce: job.nonce! }))).resolves.toMatchObject({ status: 'InProgress' });
  return { id: job.id!, nonce: job.nonce! };
}

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all(emulators.map((cp) => cp.close()));
});

describe('local CodePipeline: protocol', () => {
  let cp: LocalCodePipeline;
  beforeAll(async () => {
    cp = await start();
  });

  it('answers awsJson1_1 with a request id, and refuses unsigned requests with MissingAuthenticationTokenException', async () => {
    const unsigned = await fetch(cp.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'CodePipeline_20150709.ListActionTypes' },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(unsigned.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(await unsigned.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: expect.any(String) });

    const signed = await fetch(cp.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'CodePipeline_20150709.ListActionTypes', Authorization: FAKE_SIGV4 },
      body: JSON.stringify({ actionOwnerFilter: 'Custom' }),
    });
    expect(signed.status).toBe(200);
    expect(signed.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await signed.json()).toEqual({ actionTypes: [] });
  });

  it('rejects a non-SigV4 Authorization header and a signature scoped to another service', async () => {
    const post = (authorization: string) =>
      fetch(cp.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'CodePipeline_20150709.ListActionTypes', Authorization: authorization },
        body: '{}',
      });
    const basic = await post('Basic dXNlcjpwYXNz');
    expect(basic.status).toBe(400);
    expect(await basic.json()).toMatchObject({ __type: 'IncompleteSignatureException' });
    const s3Scoped = await post(FAKE_SIGV4.replace('/codepipeline/', '/s3/'));
    expect(s3Scoped.status).toBe(403);
    expect(await s3Scoped.json()).toMatchObject({ __type: 'InvalidSignatureException' });
  });

  it('answers an unknown X-Amz-Target with UnknownOperationException (400), as the SDK sees it', async () => {
    const raw = await fetch(cp.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'CodePipeline_20150709.Nope', Authorization: FAKE_SIGV4 },
      body: '{}',
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ __type: 'UnknownOperationException' });
    await expect(sdk(cp).send(new ListPipelinesCommand({}))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('puts Content-Type application/x-amz-json-1.1 and a fresh x-amzn-RequestId on every answer', async () => {
    cp.createActionType(TYPE);
    const post = (target: string, body: unknown, authorization = FAKE_SIGV4) =>
      fetch(cp.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `CodePipeline_20150709.${target}`, ...(authorization ? { Authorization: authorization } : {}) },
        body: JSON.stringify(body),
      });
    cp.injectFault({ operation: 'GetJobDetails', type: 'InternalFailure', times: 1 });
    const answers = [
      await post('PollForJobs', { actionTypeId: TYPE_ID }), // 200
      await post('AcknowledgeJob', { jobId: UNKNOWN_JOB, nonce: '1' }), // 400 modeled
      await post('GetJobDetails', { jobId: UNKNOWN_JOB }), // 500 injected
      await post('Nope', {}), // 400 unknown operation
      await post('PollForJobs', {}, ''), // 403 unsigned (no Authorization header)
      await fetch(cp.url), // 404 not POST /
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 400, 500, 400, 403, 404]);
    for (const answer of answers) expect(answer.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    const ids = answers.map((a) => a.headers.get('x-amzn-requestid'));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
    // Error answers name the exception in __type and in x-amzn-ErrorType, as AWS does.
    expect(answers[1]!.headers.get('x-amzn-errortype')).toBe('JobNotFoundException');
    expect(await answers[1]!.json()).toEqual({ __type: 'JobNotFoundException', message: expect.any(String) });
    // The SDK reads the request id into $metadata.
    const output = await sdk(cp).send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom' }));
    expect(output.$metadata).toMatchObject({ httpStatusCode: 200, requestId: expect.stringMatching(UUID) });
  });

  it('answers malformed JSON with SerializationException', async () => {
    const response = await fetch(cp.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'CodePipeline_20150709.PollForJobs', Authorization: FAKE_SIGV4 },
      body: '{"actionTypeId":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
  });

  it('is reachable through AWS_ENDPOINT_URL_CODEPIPELINE, which the SDK reads itself', async () => {
    const previous = process.env.AWS_ENDPOINT_URL_CODEPIPELINE;
    process.env.AWS_ENDPOINT_URL_CODEPIPELINE = cp.url;
    const client = new CodePipelineClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'x' }, maxAttempts: 1 });
    clients.push(client);
    try {
      const before = cp.calls.length;
      await expect(client.send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom' }))).resolves.toMatchObject({ actionTypes: expect.any(Array) });
      expect(cp.calls.slice(before)).toEqual([expect.objectContaining({ operation: 'ListActionTypes', status: 200 })]);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_CODEPIPELINE;
      else process.env.AWS_ENDPOINT_URL_CODEPIPELINE = previous;
    }
  });
});

describe('local CodePipeline: action types', () => {
  let cp: LocalCodePipeline;
  let client: CodePipelineClient;
  beforeAll(async () => {
    cp = await start();
    client = sdk(cp);
  });

  it('creates, lists and deletes a custom action type', async () => {
    const created = await createType(client, { category: 'Test', provider: 'Jenkins', version: '2' });
    expect(created.actionType).toMatchObject({
      id: { category: 'Test', owner: 'Custom', provider: 'Jenkins', version: '2' },
      actionConfigurationProperties: [expect.objectContaining({ name: 'ProjectName', queryable: true })],
      inputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
    });
    const listed = await client.send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom' }));
    expect(listed.actionTypes?.map((t) => t.id)).toContainEqual({ category: 'Test', owner: 'Custom', provider: 'Jenkins', version: '2' });

    await client.send(new DeleteCustomActionTypeCommand({ category: 'Test', provider: 'Jenkins', version: '2' }));
    await expect(
      client.send(new PollForJobsCommand({ actionTypeId: { category: 'Test', owner: 'Custom', provider: 'Jenkins', version: '2' } })),
    ).rejects.toMatchObject({ name: 'ActionTypeNotFoundException' });
  });

  it('validates action type definitions against the model', async () => {
    const base = {
      category: 'Build' as const,
      provider: 'Bad',
      version: '1',
      inputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
      outputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
    };
    await expect(client.send(new CreateCustomActionTypeCommand({ ...base, provider: 'has space' }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      client.send(new CreateCustomActionTypeCommand({ ...base, outputArtifactDetails: { minimumCount: 0, maximumCount: 6 } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const twoQueryable = [
      { name: 'A', required: true, key: true, secret: false, queryable: true },
      { name: 'B', required: true, key: false, secret: false, queryable: true },
    ];
    await expect(client.send(new CreateCustomActionTypeCommand({ ...base, configurationProperties: twoQueryable }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const secretQueryable = [{ name: 'A', required: true, key: true, secret: true, queryable: true }];
    await expect(client.send(new CreateCustomActionTypeCommand({ ...base, configurationProperties: secretQueryable }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('refuses to create jobs for an action type that does not exist', () => {
    expect(() => cp.createJob({ actionTypeId: { category: 'Build', provider: 'Nobody', version: '1' } })).toThrow(/ActionType .*Nobody.* is not available/);
  });
});

describe('local CodePipeline: polling', () => {
  let cp: LocalCodePipeline;
  let client: CodePipelineClient;
  beforeEach(async () => {
    cp = await start({ accountId: '111122223333' });
    client = sdk(cp);
    await createType(client);
  });
  afterEach(async () => {
    await cp.close();
  });

  it('answers ActionTypeNotFoundException with the message the Jenkins plugin shows', async () => {
    await expect(
      client.send(new PollForJobsCommand({ actionTypeId: { category: 'Build', owner: 'Custom', provider: 'Jenkins', version: '9' }, maxBatchSize: 1 })),
    ).rejects.toMatchObject({
      name: 'ActionTypeNotFoundException',
      message: "ActionType (Category: 'Build', Owner: 'Custom', Provider: 'Jenkins', Version: '9') is not available",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('dispatches at most maxBatchSize jobs, oldest first, with the real Job shape', async () => {
    const ids = [1, 2, 3].map((n) =>
      cp.createJob({
        actionTypeId: TYPE,
        configuration: { ProjectName: `app-${n}` },
        pipelineName: 'shop',
        stage: 'Build',
        action: 'Compile',
        inputArtifacts: [{ name: 'Source', revision: 'abc123', bucket: 'artifacts-bucket', key: 'shop/Source/k1' }],
        outputArtifacts: [{ name: 'Dist', bucket: 'artifacts-bucket', key: 'shop/Dist/k2' }],
        encryptionKey: { id: 'arn:aws:kms:us-east-1:111122223333:key/k' },
      }),
    );
    const first = await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 2 }));
    expect(first.jobs?.map((j) => j.id)).toEqual(ids.slice(0, 2));
    const job = first.jobs![0]!;
    expect(job.id).toMatch(UUID);
    expect(job.nonce).toEqual(expect.any(String));
    expect(job.accountId).toBe('111122223333');
    expect(job.data).toEqual({
      actionTypeId: TYPE_ID,
      actionConfiguration: { configuration: { ProjectName: 'app-1' } },
      pipelineContext: {
        pipelineName: 'shop',
        stage: { name: 'Build' },
        action: { name: 'Compile', actionExecutionId: expect.stringMatching(UUID) },
        pipelineArn: 'arn:aws:codepipeline:us-east-1:111122223333:shop',
        pipelineExecutionId: expect.any(String),
      },
      inputArtifacts: [{ name: 'Source', revision: 'abc123', location: { type: 'S3', s3Location: { bucketName: 'artifacts-bucket', objectKey: 'shop/Source/k1' } } }],
      outputArtifacts: [{ name: 'Dist', location: { type: 'S3', s3Location: { bucketName: 'artifacts-bucket', objectKey: 'shop/Dist/k2' } } }],
      artifactCredentials: { accessKeyId: expect.stringMatching(/^ASIA[A-Z0-9]{16}$/), secretAccessKey: expect.any(String), sessionToken: expect.any(String) },
      encryptionKey: { id: 'arn:aws:kms:us-east-1:111122223333:key/k', type: 'KMS' },
    });
    // Every job of the batch is dispatched on its own: own nonce, own credentials.
    const other = first.jobs![1]!;
    expect(other.nonce).toEqual(expect.any(String));
    expect(other.nonce).not.toBe(job.nonce);
    expect(other.data?.actionConfiguration?.configuration).toEqual({ ProjectName: 'app-2' });
    expect(other.data?.artifactCredentials?.accessKeyId).not.toBe(job.data?.artifactCredentials?.accessKeyId);
    expect(cp.getJob(ids[0]!)?.status).toBe('Dispatched');
    expect(cp.getJob(ids[0]!)?.nonce).toBe(job.nonce);

    const second = await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 2 }));
    expect(second.jobs?.map((j) => j.id)).toEqual([ids[2]]);
    const third = await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 2 }));
    expect(third.jobs ?? []).toEqual([]);
    expect(cp.calls.filter((c) => c.operation === 'PollForJobs').map((c) => c.input.maxBatchSize)).toEqual([2, 2, 2]);
  });

  it('never hands one job to two workers polling at the same time', async () => {
    const ids = [1, 2, 3, 4, 5].map((n) => cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: `app-${n}` } }));
    const workers = [client, sdk(cp), sdk(cp)];
    const batches = await Promise.all(workers.map((w) => w.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 2 }))));
    const handed = batches.flatMap((b) => b.jobs ?? []).map((j) => j.id);
    expect(handed).toHaveLength(5);
    expect([...handed].sort()).toEqual([...ids].sort());
  });

  it('offers only jobs of the exact action type', async () => {
    await createType(client, { category: 'Build', provider: 'Jenkins', version: '2' });
    const v2 = cp.createJob({ actionTypeId: { ...TYPE, version: '2' }, configuration: { ProjectName: 'app' } });
    const v1 = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 10 }));
    expect(jobs?.map((j) => j.id)).toEqual([v1]);
    expect(cp.getJob(v2)?.status).toBe('Queued');
  });

  it('filters by queryParam on the queryable property', async () => {
    const a = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'alpha' } });
    const b = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'beta' } });
    const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 5, queryParam: { ProjectName: 'beta' } }));
    expect(jobs?.map((j) => j.id)).toEqual([b]);
    expect(cp.getJob(a)?.status).toBe('Queued');
    await expect(
      client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 5, queryParam: { Other: 'alpha' } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('accepts queryParam values up to the model limit of 50 characters (the docs still say 20)', async () => {
    const long = 'p'.repeat(50);
    const id = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: long } });
    const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, queryParam: { ProjectName: long } }));
    expect(jobs?.map((j) => j.id)).toEqual([id]);
    await expect(client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, queryParam: { ProjectName: 'p'.repeat(51) } }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, queryParam: { ProjectName: 'team/app' } }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('validates the poll request: owner Custom only, maxBatchSize ≥ 1, at most one queryParam', async () => {
    for (const owner of ['AWS', 'ThirdParty'] as const) {
      await expect(client.send(new PollForJobsCommand({ actionTypeId: { ...TYPE_ID, owner }, maxBatchSize: 1 }))).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining("at 'actionTypeId.owner'"),
        $metadata: { httpStatusCode: 400 },
      });
    }
    await expect(client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 0 }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'maxBatchSize'"),
    });
    await expect(
      client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, queryParam: { ProjectName: 'a', Other: 'b' } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('local CodePipeline: acknowledge, redelivery, details', () => {
  let cp: LocalCodePipeline;
  let client: CodePipelineClient;
  const issued: string[] = [];
  beforeEach(async () => {
    issued.length = 0;
    let n = 0;
    cp = await start({
      ackTimeoutMs: 150,
      issueCredentials: (jobId) => {
        issued.push(jobId);
        n++;
        return { accessKeyId: `ASIATESTKEY${String(n).padStart(9, '0')}`, secretAccessKey: `secret-${n}`, sessionToken: `token-${n}`, expiresAt: Date.now() + 60_000 };
      },
    });
    client = sdk(cp);
    await createType(client);
  });
  afterEach(async () => {
    await cp.close();
  });

  it('moves a job to InProgress with its nonce; a wrong nonce is InvalidNonceException, an unknown job JobNotFoundException', async () => {
    const id = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    const job = await pollOne(client);
    expect(job.id).toBe(id);
    await expect(client.send(new AcknowledgeJobCommand({ jobId: id, nonce: `${job.nonce}0` }))).rejects.toMatchObject({
      name: 'InvalidNonceException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(client.send(new AcknowledgeJobCommand({ jobId: UNKNOWN_JOB, nonce: job.nonce! }))).rejects.toMatchObject({ name: 'JobNotFoundException' });
    await expect(client.send(new AcknowledgeJobCommand({ jobId: 'not-a-uuid', nonce: '1' }))).rejects.toMatchObject({ name: 'ValidationException' });

    await expect(client.send(new AcknowledgeJobCommand({ jobId: id, nonce: job.nonce! }))).resolves.toMatchObject({ status: 'InProgress' });
    expect(cp.getJob(id)).toMatchObject({ status: 'InProgress', acknowledgedAt: expect.any(Number) });
    // A repeated acknowledgement with the right nonce is harmless.
    await expect(client.send(new AcknowledgeJobCommand({ jobId: id, nonce: job.nonce! }))).resolves.toMatchObject({ status: 'InProgress' });
  });

  it('re-offers an unacknowledged job after the ack timeout with a new nonce; the old nonce is then refused', async () => {
    const id = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    const first = await pollOne(client);
    // Still Dispatched within the window: not offered again.
    expect((await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 1 }))).jobs ?? []).toEqual([]);
    await sleep(200);
    expect(cp.getJob(id)?.status).toBe('Queued');
    const second = await pollOne(client);
    expect(second.id).toBe(id);
    expect(second.nonce).not.toBe(first.nonce);
    expect(second.data?.artifactCredentials?.accessKeyId).not.toBe(first.data?.artifactCredentials?.accessKeyId);
    await expect(client.send(new AcknowledgeJobCommand({ jobId: id, nonce: first.nonce! }))).rejects.toMatchObject({ name: 'InvalidNonceException' });
    await expect(client.send(new AcknowledgeJobCommand({ jobId: id, nonce: second.nonce! }))).resolves.toMatchObject({ status: 'InProgress' });
    expect(cp.getJob(id)?.dispatches).toBe(2);
  });

  it('an acknowledged job is not re-offered after the ack timeout', async () => {
    const id = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    await claim(client);
    await sleep(200);
    expect(cp.getJob(id)?.status).toBe('InProgress');
    expect((await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 1 }))).jobs ?? []).toEqual([]);
  });

  it('GetJobDetails returns the job data with freshly issued credentials and no nonce', async () => {
    const id = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' }, continuationToken: 'resume-here' });
    const polled = await pollOne(client);
    const { jobDetails } = await client.send(new GetJobDetailsCommand({ jobId: id }));
    expect(jobDetails).toEqual({ id, accountId: '123456789012', data: { ...polled.data, artifactCredentials: expect.any(Object) } });
    expect(jobDetails).not.toHaveProperty('nonce');
    expect(jobDetails?.data?.continuationToken).toBe('resume-here');
    expect(jobDetails?.data?.artifactCredentials).toEqual({ accessKeyId: 'ASIATESTKEY000000002', secretAccessKey: 'secret-2', sessionToken: 'token-2' });
    expect(polled.data?.artifactCredentials?.accessKeyId).toBe('ASIATESTKEY000000001');
    expect(issued).toEqual([id, id]);
    await expect(client.send(new GetJobDetailsCommand({ jobId: UNKNOWN_JOB }))).rejects.toMatchObject({ name: 'JobNotFoundException' });
  });
});

describe('local CodePipeline: results, continuation, timeout', () => {
  let cp: LocalCodePipeline;
  let client: CodePipelineClient;
  beforeEach(async () => {
    cp = await start({ continuationDelayMs: 150, jobTimeoutMs: 2_000 });
    client = sdk(cp);
    await createType(client);
  });
  afterEach(async () => {
    await cp.close();
  });

  it('records a success with details and output variables; a second result is InvalidJobStateException', async () => {
    cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    const { id } = await claim(client);
    await client.send(
      new PutJobSuccessResultCommand({
        jobId: id,
        executionDetails: { summary: 'Finished', externalExecutionId: '42', percentComplete: 100 },
        outputVariables: { BUILD_NUMBER: '42', 'image@tag': 'v1' },
        currentRevision: { revision: 'abc', changeIdentifier: 'c1', created: new Date(1_700_000_000_000) },
      }),
    );
    const job = await cp.waitForCompletion(id, { timeoutMs: 1_000 });
    expect(job).toMatchObject({
      status: 'Succeeded',
      result: {
        kind: 'success',
        executionDetails: { summary: 'Finished', externalExecutionId: '42', percentComplete: 100 },
        outputVariables: { BUILD_NUMBER: '42', 'image@tag': 'v1' },
        // awsJson timestamps travel as epoch seconds.
        currentRevision: { revision: 'abc', changeIdentifier: 'c1', created: 1_700_000_000 },
      },
    });
    await expect(client.send(new PutJobSuccessResultCommand({ jobId: id }))).rejects.toMatchObject({ name: 'InvalidJobStateException', $metadata: { httpStatusCode: 400 } });
    await expect(
      client.send(new PutJobFailureResultCommand({ jobId: id, failureDetails: { type: 'JobFailed', message: 'late' } })),
    ).rejects.toMatchObject({ name: 'InvalidJobStateException' });
  });

  it('records a failure; results for unacknowledged or unknown jobs are refused', async () => {
    cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    const dispatched = await pollOne(client);
    await expect(client.send(new PutJobSuccessResultCommand({ jobId: dispatched.id! }))).rejects.toMatchObject({ name: 'InvalidJobStateException' });
    await client.send(new AcknowledgeJobCommand({ jobId: dispatched.id!, nonce: dispatched.nonce! }));
    await client.send(
      new PutJobFailureResultCommand({ jobId: dispatched.id!, failureDetails: { type: 'JobFailed', message: 'Build failed', externalExecutionId: '7' } }),
    );
    expect(cp.getJob(dispatched.id!)).toMatchObject({
      status: 'Failed',
      result: { kind: 'failure', failureDetails: { type: 'JobFailed', message: 'Build failed', externalExecutionId: '7' } },
    });
    await expect(client.send(new PutJobSuccessResultCommand({ jobId: UNKNOWN_JOB }))).rejects.toMatchObject({ name: 'JobNotFoundException' });
    await expect(
      client.send(new PutJobFailureResultCommand({ jobId: UNKNOWN_JOB, failureDetails: { type: 'JobFailed', message: 'x' } })),
    ).rejects.toMatchObject({ name: 'JobNotFoundException' });
  });

  it('a success with a continuation token creates a new job carrying it, offered after the delay', async () => {
    const originalId = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' }, pipelineName: 'shop' });
    const original = await pollOne(client);
    await client.send(new AcknowledgeJobCommand({ jobId: originalId, nonce: original.nonce! }));
    await client.send(
      new PutJobSuccessResultCommand({ jobId: originalId, continuationToken: 'build:17', executionDetails: { externalExecutionId: '17', percentComplete: 10 } }),
    );
    const done = cp.getJob(originalId)!;
    expect(done.status).toBe('Succeeded');
    const nextId = done.continuedAs!;
    expect(nextId).toMatch(UUID);
    expect(nextId).not.toBe(originalId);
    expect(cp.getJob(nextId)).toMatchObject({ status: 'Created', continuationOf: originalId });
    // Not offered before the delay.
    expect((await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 5 }))).jobs ?? []).toEqual([]);
    await sleep(200);

    const next = await pollOne(client);
    expect(next.id).toBe(nextId);
    expect(next.nonce).not.toBe(original.nonce);
    expect(next.data?.continuationToken).toBe('build:17');
    expect(next.data?.pipelineContext).toEqual(original.data?.pipelineContext);
    expect(next.data?.actionConfiguration).toEqual(original.data?.actionConfiguration);
    // Each continuation job is acknowledged on its own; the old nonce means nothing for it.
    await expect(client.send(new AcknowledgeJobCommand({ jobId: nextId, nonce: original.nonce! }))).rejects.toMatchObject({ name: 'InvalidNonceException' });
    await client.send(new AcknowledgeJobCommand({ jobId: nextId, nonce: next.nonce! }));
    const finished = cp.waitForCompletion(originalId, { timeoutMs: 2_000 });
    await client.send(new PutJobSuccessResultCommand({ jobId: nextId, executionDetails: { summary: 'done', percentComplete: 100 } }));
    await expect(finished).resolves.toMatchObject({ id: nextId, status: 'Succeeded', continuationOf: originalId });
    await expect(cp.waitForCompletion(originalId, { followContinuations: false, timeoutMs: 100 })).resolves.toMatchObject({ id: originalId });
  });

  it('validates results against the model limits', async () => {
    cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    const { id } = await claim(client);
    const rejects = async (input: Omit<ConstructorParameters<typeof PutJobSuccessResultCommand>[0], 'jobId'>, name = 'ValidationException') =>
      expect(client.send(new PutJobSuccessResultCommand({ jobId: id, ...input }))).rejects.toMatchObject({ name, $metadata: { httpStatusCode: 400 } });
    await rejects({ executionDetails: { summary: 's'.repeat(2049) } });
    await rejects({ executionDetails: { summary: '' } });
    await rejects({ executionDetails: { externalExecutionId: 'e'.repeat(1501) } });
    await rejects({ executionDetails: { percentComplete: 101 } });
    await rejects({ executionDetails: { percentComplete: -1 } });
    await rejects({ continuationToken: 't'.repeat(2049) });
    await rejects({ outputVariables: { 'bad key': 'v' } });
    await rejects({ outputVariables: { A: 'v' }, continuationToken: 'token' });
    await rejects({ currentRevision: { revision: 'r', changeIdentifier: 'c'.repeat(101) } });
    await rejects({ outputVariables: { BIG: 'x'.repeat(122_880) } }, 'OutputVariablesSizeExceededException');
    const fails = (failureDetails: { type: FailureType; message: string; externalExecutionId?: string }) =>
      expect(client.send(new PutJobFailureResultCommand({ jobId: id, failureDetails }))).rejects.toMatchObject({ name: 'ValidationException' });
    await fails({ type: 'JobFailed', message: 'm'.repeat(5001) });
    await fails({ type: 'JobFailed', message: '' });
    await fails({ type: 'JobFailed', message: 'm', externalExecutionId: 'e'.repeat(1501) });
    await fails({ type: 'Exploded' as FailureType, message: 'm' });
    // None of the rejected results changed the job; values at the limits are accepted.
    expect(cp.getJob(id)?.status).toBe('InProgress');
    await client.send(
      new PutJobSuccessResultCommand({
        jobId: id,
        executionDetails: { summary: 's'.repeat(2048), externalExecutionId: 'e'.repeat(1500), percentComplete: 0 },
        outputVariables: { BIG: 'x'.repeat(122_877) },
      }),
    );
    expect(cp.getJob(id)?.status).toBe('Succeeded');
  });

  it('times out a job with no result; later results are InvalidJobStateException and a repeated ack reports TimedOut', async () => {
    const fast = await start({ jobTimeoutMs: 400 });
    const fastClient = sdk(fast);
    await createType(fastClient);
    const id = fast.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    const { nonce } = await claim(fastClient);
    await expect(fast.waitForCompletion(id, { timeoutMs: 2_000 })).resolves.toMatchObject({ status: 'TimedOut' });
    await expect(fastClient.send(new PutJobSuccessResultCommand({ jobId: id }))).rejects.toMatchObject({ name: 'InvalidJobStateException' });
    await expect(
      fastClient.send(new PutJobFailureResultCommand({ jobId: id, failureDetails: { type: 'JobFailed', message: 'too late' } })),
    ).rejects.toMatchObject({ name: 'InvalidJobStateException', $metadata: { httpStatusCode: 400 } });
    await expect(fastClient.send(new AcknowledgeJobCommand({ jobId: id, nonce }))).resolves.toMatchObject({ status: 'TimedOut' });
    expect(fast.getJob(id)).toMatchObject({ status: 'TimedOut' });
    expect(fast.getJob(id)).not.toHaveProperty('result');
  });

  it('times out queued and dispatched jobs too, which are then never offered', async () => {
    const fast = await start({ jobTimeoutMs: 300 });
    const fastClient = sdk(fast);
    await createType(fastClient);
    const dispatched = fast.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    await pollOne(fastClient);
    expect(fast.getJob(dispatched)?.status).toBe('Dispatched');
    const queued = fast.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    await sleep(350);
    expect([fast.getJob(dispatched)?.status, fast.getJob(queued)?.status]).toEqual(['TimedOut', 'TimedOut']);
    expect((await fastClient.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 5 }))).jobs ?? []).toEqual([]);
  });

  it('counts the action timeout from the first job of a continuation chain (timeoutSpansContinuations)', async () => {
    const fast = await start({ jobTimeoutMs: 400, continuationDelayMs: 20 });
    const fastClient = sdk(fast);
    await createType(fastClient);
    const id = fast.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    await claim(fastClient);
    await sleep(150);
    await fastClient.send(new PutJobSuccessResultCommand({ jobId: id, continuationToken: 'step-2' }));
    await sleep(50);
    const next = await pollOne(fastClient);
    await fastClient.send(new AcknowledgeJobCommand({ jobId: next.id!, nonce: next.nonce! }));
    const first = fast.getJob(id)!;
    const created = fast.getJob(next.id!)!;
    expect(created.actionStartedAt).toBe(first.actionStartedAt);
    const ended = await fast.waitForCompletion(id, { timeoutMs: 2_000 });
    expect(ended).toMatchObject({ id: next.id, status: 'TimedOut' });
    // On its own clock the continuation job would have had 400 ms; it got what was left of the action's.
    expect(Date.now() - created.createdAt).toBeLessThan(400);
  });

  it('waitForCompletion rejects when its bound passes', async () => {
    const id = cp.createJob({ actionTypeId: TYPE, configuration: { ProjectName: 'app' } });
    await expect(cp.waitForCompletion(id, { timeoutMs: 50 })).rejects.toThrow(/still Queued/);
  });
});

describe('local CodePipeline: fault injection', () => {
  let cp: LocalCodePipeline;
  beforeAll(async () => {
    cp = await start();
    await createType(sdk(cp));
  });

  it('throttles with the SDK-visible ThrottlingException "Rate exceeded", then recovers', async () => {
    const client = sdk(cp);
    cp.injectFault({ operation: 'PollForJobs', type: 'ThrottlingException', times: 1 });
    // Other operations are unaffected.
    await expect(client.send(new ListActionTypesCommand({}))).resolves.toBeDefined();
    await expect(client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID }))).rejects.toMatchObject({
      name: 'ThrottlingException',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID }))).resolves.toMatchObject({});
  });

  it('answers InternalFailure with 500 and ServiceUnavailable with 503, as server faults', async () => {
    const client = sdk(cp);
    cp.injectFault({ type: 'InternalFailure', times: 1 });
    cp.injectFault({ type: 'ServiceUnavailable', times: 1 });
    await expect(client.send(new ListActionTypesCommand({}))).rejects.toMatchObject({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 } });
    await expect(client.send(new ListActionTypesCommand({}))).rejects.toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    await expect(client.send(new ListActionTypesCommand({}))).resolves.toBeDefined();
  });

  it('fails exactly `times` matching calls, in order, and records every call with its input and status', async () => {
    const client = sdk(cp);
    const before = cp.calls.length;
    cp.injectFault({ operation: 'PollForJobs', type: 'ThrottlingException', times: 2 });
    cp.injectFault({ operation: 'PollForJobs', type: 'InternalFailure', times: 1 });
    const poll = () => client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID, maxBatchSize: 3, queryParam: { ProjectName: 'app' } }));
    await expect(poll()).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    // A call to another operation does not consume a PollForJobs fault.
    await expect(client.send(new GetJobDetailsCommand({ jobId: UNKNOWN_JOB }))).rejects.toMatchObject({ name: 'JobNotFoundException' });
    await expect(poll()).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(poll()).rejects.toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
    await expect(poll()).resolves.toMatchObject({ jobs: [] });
    const recorded = cp.calls.slice(before);
    expect(recorded.map((c) => [c.operation, c.status, c.errorType])).toEqual([
      ['PollForJobs', 400, 'ThrottlingException'],
      ['GetJobDetails', 400, 'JobNotFoundException'],
      ['PollForJobs', 400, 'ThrottlingException'],
      ['PollForJobs', 500, 'InternalFailure'],
      ['PollForJobs', 200, undefined],
    ]);
    expect(recorded[0]!.input).toEqual({ actionTypeId: TYPE_ID, maxBatchSize: 3, queryParam: { ProjectName: 'app' } });
    expect(recorded[1]!.input).toEqual({ jobId: UNKNOWN_JOB });
    for (const call of recorded) expect(call.at).toEqual(expect.any(Number));
  });

  it('lets the SDK standard retry absorb a single throttle (every attempt is recorded)', async () => {
    const client = sdk(cp, 2);
    const before = cp.calls.length;
    cp.injectFault({ operation: 'ListActionTypes', type: 'ThrottlingException', times: 1 });
    await expect(client.send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom' }))).resolves.toBeDefined();
    expect(cp.calls.slice(before).map((c) => [c.operation, c.status, c.errorType])).toEqual([
      ['ListActionTypes', 400, 'ThrottlingException'],
      ['ListActionTypes', 200, undefined],
    ]);
  });
});

describe('local CodePipeline: admin HTTP API', () => {
  let cp: LocalCodePipeline;
  beforeAll(async () => {
    cp = await start();
    cp.createActionType(TYPE);
  });

  it('creates jobs and shows them without credentials', async () => {
    const created = await fetch(`${cp.url}/__local/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ actionTypeId: TYPE, configuration: { ProjectName: 'demo' }, outputArtifacts: [{ name: 'Dist', bucket: 'bucket-1', key: 'p/Dist/1' }] }),
    });
    expect(created.status).toBe(201);
    const { jobId } = (await created.json()) as { jobId: string };
    expect(jobId).toMatch(UUID);

    const client = sdk(cp);
    const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: TYPE_ID }));
    expect(jobs?.[0]?.data?.artifactCredentials).toBeDefined();

    const one = await fetch(`${cp.url}/__local/jobs/${jobId}`);
    expect(one.status).toBe(200);
    const shown = (await one.json()) as { status: string; data: Record<string, unknown> };
    expect(shown.status).toBe('Dispatched');
    expect(shown.data).not.toHaveProperty('artifactCredentials');
    const all = (await (await fetch(`${cp.url}/__local/jobs`)).json()) as { jobs: { id: string }[] };
    expect(all.jobs.map((j) => j.id)).toContain(jobId);
  });

  it('answers 400 for invalid job input and 404 for unknown jobs or routes', async () => {
    const bad = await fetch(`${cp.url}/__local/jobs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"configuration":{}}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'ValidationException' });
    const unknownType = await fetch(`${cp.url}/__local/jobs`, {
      method: 'POST',
      body: JSON.stringify({ actionTypeId: { ...TYPE, provider: 'Missing' } }),
    });
    expect(unknownType.status).toBe(400);
    expect(await unknownType.json()).toMatchObject({ error: 'ActionTypeNotFoundException' });
    expect((await fetch(`${cp.url}/__local/jobs/${UNKNOWN_JOB}`)).status).toBe(404);
    expect((await fetch(`${cp.url}/__local/nothing`)).status).toBe(404);
  });
});
