import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CodePipelineClient, GetPipelineExecutionCommand, StartPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { CodePipelinePipelineStarter } from '../../src/adapters/codepipeline';
import { PermanentError, TransientError } from '../../src/core/errors';
import { startLocalCodePipeline, type LocalCodePipeline } from '../../src/local-stack/codepipeline';
import { CaptureLogger } from '../support/capture-logger';
import { rejection } from '../support/rejection';

const CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'x' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The adapter with the real SDK against the local CodePipeline over HTTP. */
describe('CodePipelinePipelineStarter against the local CodePipeline', () => {
  let cp: LocalCodePipeline;
  let starter: CodePipelinePipelineStarter;
  let sdk: CodePipelineClient;
  const logger = new CaptureLogger();

  beforeAll(async () => {
    cp = await startLocalCodePipeline({
      pipelines: [
        {
          name: 'app-release',
          sourceActions: [{ name: 'Source', revisionTypes: ['COMMIT_ID'] }, { name: 'Artifacts', revisionTypes: ['S3_OBJECT_KEY', 'S3_OBJECT_VERSION_ID'] }],
          variables: [{ name: 'ENV', defaultValue: 'staging' }, { name: 'RELEASE_TAG' }],
        },
        { name: 'nightly' },
      ],
    });
    // maxAttempts 1: each injected fault reaches the adapter's mapping instead of the SDK's own retry.
    starter = new CodePipelinePipelineStarter({ region: 'us-east-1', endpoint: cp.url, credentials: CREDENTIALS, maxAttempts: 1 }, logger);
    sdk = new CodePipelineClient({ region: 'us-east-1', endpoint: cp.url, credentials: CREDENTIALS, maxAttempts: 1 });
  });
  afterEach(() => cp.clearFaults());
  afterAll(async () => {
    starter?.close();
    sdk?.destroy();
    await cp?.close();
  });

  it('starts an execution: a UUID id, recorded InProgress with its token, visible through GetPipelineExecution and the admin route', async () => {
    const { executionId } = await starter.start({ pipeline: 'nightly', clientRequestToken: 'nightly-1700000000' });
    expect(executionId).toMatch(UUID);
    expect(cp.getExecution(executionId)).toMatchObject({ pipelineName: 'nightly', status: 'InProgress', clientRequestToken: 'nightly-1700000000', variables: [], sourceRevisions: [] });

    const { pipelineExecution } = await sdk.send(new GetPipelineExecutionCommand({ pipelineName: 'nightly', pipelineExecutionId: executionId }));
    expect(pipelineExecution).toMatchObject({ pipelineName: 'nightly', pipelineExecutionId: executionId, status: 'InProgress', pipelineVersion: 1, trigger: { triggerType: 'StartPipelineExecution' } });

    const admin = (await (await fetch(`${cp.url}/__local/executions?pipeline=nightly`)).json()) as { executions: { pipelineExecutionId: string }[] };
    expect(admin.executions.map((e) => e.pipelineExecutionId)).toContain(executionId);
    const call = cp.calls.find((c) => c.operation === 'StartPipelineExecution' && c.input.clientRequestToken === 'nightly-1700000000');
    expect(call).toMatchObject({ status: 200, input: { name: 'nightly' } });
    expect(logger.entries.find((e) => e.message === 'pipeline execution started')?.meta).toMatchObject({ pipeline: 'nightly', executionId });
  });

  it('is idempotent on clientRequestToken: the same token returns the same execution and starts nothing new', async () => {
    const before = cp.listExecutions('nightly').length;
    const first = await starter.start({ pipeline: 'nightly', clientRequestToken: 'sched-nightly-42' });
    const again = await starter.start({ pipeline: 'nightly', clientRequestToken: 'sched-nightly-42' });
    const other = await starter.start({ pipeline: 'nightly', clientRequestToken: 'sched-nightly-43' });
    expect(again.executionId).toBe(first.executionId);
    expect(other.executionId).not.toBe(first.executionId);
    expect(cp.listExecutions('nightly')).toHaveLength(before + 2);
  });

  it('passes variables: given values override declared defaults; an undeclared or missing one is a permanent ConfigurationError', async () => {
    const { executionId } = await starter.start({ pipeline: 'app-release', clientRequestToken: 'vars-1', variables: [{ name: 'RELEASE_TAG', value: 'v1.2.3' }] });
    expect(cp.getExecution(executionId)?.variables).toEqual([
      { name: 'ENV', resolvedValue: 'staging' },
      { name: 'RELEASE_TAG', resolvedValue: 'v1.2.3' },
    ]);
    const { pipelineExecution } = await sdk.send(new GetPipelineExecutionCommand({ pipelineName: 'app-release', pipelineExecutionId: executionId }));
    expect(pipelineExecution?.variables).toEqual([
      { name: 'ENV', resolvedValue: 'staging' },
      { name: 'RELEASE_TAG', resolvedValue: 'v1.2.3' },
    ]);

    const undeclared = await rejection(starter.start({ pipeline: 'app-release', clientRequestToken: 'vars-2', variables: [{ name: 'RELEASE_TAG', value: 'v1' }, { name: 'NOPE', value: 'x' }] }));
    expect(undeclared).toBeInstanceOf(PermanentError);
    expect(undeclared).toMatchObject({ failureType: 'ConfigurationError', message: expect.stringMatching(/ValidationException.*'NOPE' is not declared/) });

    const missing = await rejection(starter.start({ pipeline: 'app-release', clientRequestToken: 'vars-3' }));
    expect(missing).toMatchObject({ failureType: 'ConfigurationError', message: expect.stringContaining("'RELEASE_TAG'") });
  });

  it('overrides source revisions of declared source actions with a type they take', async () => {
    const sourceRevisions = [
      { actionName: 'Source', revisionType: 'COMMIT_ID' as const, revisionValue: 'c0ffee0000000000000000000000000000000001' },
      { actionName: 'Artifacts', revisionType: 'S3_OBJECT_KEY' as const, revisionValue: 'builds/app-1.2.3.zip' },
      { actionName: 'Artifacts', revisionType: 'S3_OBJECT_VERSION_ID' as const, revisionValue: '3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY' },
    ];
    const { executionId } = await starter.start({ pipeline: 'app-release', clientRequestToken: 'rev-1', variables: [{ name: 'RELEASE_TAG', value: 'v2' }], sourceRevisions });
    expect(cp.getExecution(executionId)?.sourceRevisions).toEqual(sourceRevisions);
    expect(cp.calls.find((c) => c.input.clientRequestToken === 'rev-1')?.input.sourceRevisions).toEqual(sourceRevisions);

    const wrongType = await rejection(
      starter.start({ pipeline: 'app-release', clientRequestToken: 'rev-2', variables: [{ name: 'RELEASE_TAG', value: 'v2' }], sourceRevisions: [{ actionName: 'Source', revisionType: 'IMAGE_DIGEST', revisionValue: 'sha256:abc' }] }),
    );
    expect(wrongType).toMatchObject({ failureType: 'ConfigurationError', message: expect.stringContaining('does not take revision type IMAGE_DIGEST') });
    const notSource = await rejection(
      starter.start({ pipeline: 'app-release', clientRequestToken: 'rev-3', variables: [{ name: 'RELEASE_TAG', value: 'v2' }], sourceRevisions: [{ actionName: 'Deploy', revisionType: 'COMMIT_ID', revisionValue: 'abc' }] }),
    );
    expect(notSource).toMatchObject({ message: expect.stringContaining("'Deploy' is not a source action") });
  });

  it('maps an unknown pipeline to a permanent ConfigurationError with the service wording', async () => {
    const error = await rejection(starter.start({ pipeline: 'no-such-pipeline', clientRequestToken: 'x-1' }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({
      failureType: 'ConfigurationError',
      message: expect.stringContaining("PipelineNotFoundException: Account '123456789012' does not have a pipeline with name 'no-such-pipeline'"),
    });
    expect(cp.calls.filter((c) => c.input.name === 'no-such-pipeline').at(-1)).toMatchObject({ status: 400, errorType: 'PipelineNotFoundException' });
  });

  it('maps throttling and 5xx to TransientError (throttled only for throttling), and succeeds once the fault is gone', async () => {
    cp.injectFault({ operation: 'StartPipelineExecution', type: 'ThrottlingException', times: 1 });
    const throttled = await rejection(starter.start({ pipeline: 'nightly', clientRequestToken: 'fault-1' }));
    expect(throttled).toBeInstanceOf(TransientError);
    expect(throttled).toMatchObject({ throttled: true, system: 'codepipeline' });

    cp.injectFault({ operation: 'StartPipelineExecution', type: 'ServiceUnavailable', times: 1 });
    const unavailable = await rejection(starter.start({ pipeline: 'nightly', clientRequestToken: 'fault-1' }));
    expect(unavailable).toBeInstanceOf(TransientError);
    expect(unavailable).toMatchObject({ throttled: false });

    await expect(starter.start({ pipeline: 'nightly', clientRequestToken: 'fault-1' })).resolves.toEqual({ executionId: expect.stringMatching(UUID) });
  });

  it('validates the request as the model does (token pattern, list sizes, enum) before looking at the pipeline', async () => {
    const badToken = await rejection(sdk.send(new StartPipelineExecutionCommand({ name: 'nightly', clientRequestToken: 'not a token!' })));
    expect(badToken).toMatchObject({ name: 'ValidationException', message: expect.stringContaining("at 'clientRequestToken' failed to satisfy constraint") });
    const emptyVariables = await rejection(sdk.send(new StartPipelineExecutionCommand({ name: 'no-such-pipeline', variables: [] })));
    expect(emptyVariables).toMatchObject({ name: 'ValidationException', message: expect.stringContaining("at 'variables' failed to satisfy constraint: Member must have length greater than or equal to 1") });
    const badType = await rejection(
      sdk.send(new StartPipelineExecutionCommand({ name: 'nightly', sourceRevisions: [{ actionName: 'Source', revisionType: 'BRANCH' as never, revisionValue: 'main' }] })),
    );
    expect(badType).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('sourceRevisions.1.member.revisionType') });
  });

  it('starts without a caller token too: the SDK fills in an idempotency token (so two plain starts are two executions)', async () => {
    const before = cp.listExecutions('nightly').length;
    const a = await sdk.send(new StartPipelineExecutionCommand({ name: 'nightly' }));
    const b = await sdk.send(new StartPipelineExecutionCommand({ name: 'nightly' }));
    expect(a.pipelineExecutionId).not.toBe(b.pipelineExecutionId);
    expect(cp.getExecution(a.pipelineExecutionId!)?.clientRequestToken).toMatch(UUID);
    expect(cp.listExecutions('nightly')).toHaveLength(before + 2);
  });

  it('GetPipelineExecution of an execution of another pipeline is PipelineExecutionNotFoundException', async () => {
    const { executionId } = await starter.start({ pipeline: 'nightly', clientRequestToken: 'get-1' });
    const error = await rejection(sdk.send(new GetPipelineExecutionCommand({ pipelineName: 'app-release', pipelineExecutionId: executionId })));
    expect(error).toMatchObject({ name: 'PipelineExecutionNotFoundException', $metadata: { httpStatusCode: 400 } });
  });

  it('takes pipeline declarations through the admin API, validated with the API name rules', async () => {
    const created = await fetch(`${cp.url}/__local/pipelines`, { method: 'POST', body: JSON.stringify({ name: 'from-admin', variables: [{ name: 'X', defaultValue: '1' }] }) });
    expect(created.status).toBe(201);
    await expect(starter.start({ pipeline: 'from-admin', clientRequestToken: 'admin-1' })).resolves.toEqual({ executionId: expect.stringMatching(UUID) });
    const invalid = await fetch(`${cp.url}/__local/pipelines`, { method: 'POST', body: JSON.stringify({ name: 'bad name' }) });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: 'ValidationException' });
    const listed = (await (await fetch(`${cp.url}/__local/pipelines`)).json()) as { pipelines: { name: string }[] };
    expect(listed.pipelines.map((p) => p.name)).toEqual(['app-release', 'nightly', 'from-admin']);
  });
});
