import { describe, expect, it } from '@jest/globals';
import yauzl from 'yauzl';
import { coreHarness } from '../support/core-harness';
import { REQUIRED_PARAMETERS } from '../../src/core/jobs/build-parameters';
import { TransientError } from '../../src/core/errors';

function unzipNames(buffer: Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const out: Record<string, string> = {};
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out[entry.fileName] = Buffer.concat(chunks).toString();
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.readEntry();
    });
  });
}

const out = (name: string) => ({ name, location: { bucket: 'artifacts', key: `demo/${name}/obj` } });

async function runOne(h: ReturnType<typeof coreHarness>, _job: ReturnType<typeof h.source.add>) {
  return (await h.runPolled()).outcome;
}

describe('JobRunner', () => {
  it('runs the build with the job parameters, uploads the output zip with the job credentials, and reports success', async () => {
    const h = coreHarness();
    h.runner.define('team/app', { artifacts: { 'dist/app.txt': 'built', 'codepipeline-outputs.json': '{"VERSION":"1.2.3","COUNT":3}' } });
    const job = h.source.add({
      configuration: { ProjectName: 'team/app' },
      inputArtifacts: [{ name: 'Source', revision: 'abc123', location: { bucket: 'artifacts', key: 'demo/Source/in' } }],
      outputArtifacts: [out('BuildOut')],
      encryptionKey: { id: 'arn:aws:kms:us-east-1:111122223333:key/k1', type: 'KMS' },
    });
    const outcome = await runOne(h, job);
    expect(outcome).toEqual({ kind: 'succeeded', buildNumber: 1 });

    const build = h.runner.builds[0]!;
    expect(build.parameters.CODEPIPELINE_JOB_ID).toBe(job.id);
    expect(build.parameters.CODEPIPELINE_PIPELINE_NAME).toBe('demo');
    expect(build.parameters.CODEPIPELINE_EXECUTION_ID).toBe('exec-1');
    expect(JSON.parse(build.parameters.CODEPIPELINE_OUTPUT_ARTIFACTS!)).toEqual(['BuildOut']);
    const inputs = JSON.parse(build.parameters.CODEPIPELINE_INPUT_ARTIFACTS!);
    expect(inputs).toEqual([
      {
        name: 'Source',
        url: `http://bridge.test:8080/artifacts/${job.id}/Source?token=${h.tokens.issue(job.id)}`,
        bucket: 'artifacts',
        key: 'demo/Source/in',
        revision: 'abc123',
      },
    ]);

    const entry = h.source.entries.get(job.id)!;
    expect(entry.status).toBe('Succeeded');
    expect(entry.success?.executionDetails).toEqual({ summary: expect.stringContaining('Jenkins build #1 SUCCESS'), externalExecutionId: '1', percentComplete: 100 });
    expect(entry.success?.outputVariables).toEqual({ VERSION: '1.2.3', COUNT: '3' });

    expect(h.store.puts).toEqual([
      { location: out('BuildOut').location, accessKeyId: job.credentials!.accessKeyId, kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k1', contentType: 'application/zip' },
    ]);
    const files = await unzipNames(h.store.objects.get('artifacts/demo/BuildOut/obj')!);
    expect(files).toEqual({ 'dist/app.txt': 'built' });
    expect(h.active.size).toBe(0);
  });

  it('splits archived files into several output artifacts by top-level folder', async () => {
    const h = coreHarness();
    h.runner.define('app', { artifacts: { 'web/index.html': '<html>', 'web/css/a.css': 'a{}', 'api/server.js': 'js', 'other.txt': 'x' } });
    const job = h.source.add({ outputArtifacts: [out('web'), out('api')] });
    expect((await runOne(h, job)).kind).toBe('succeeded');
    expect(await unzipNames(h.store.objects.get('artifacts/demo/web/obj')!)).toEqual({ 'index.html': '<html>', 'css/a.css': 'a{}' });
    expect(await unzipNames(h.store.objects.get('artifacts/demo/api/obj')!)).toEqual({ 'server.js': 'js' });
  });

  it('fails with JobFailed when an expected output artifact has no files', async () => {
    const h = coreHarness();
    h.runner.define('app', { artifacts: { 'web/index.html': '<html>' } });
    const job = h.source.add({ outputArtifacts: [out('web'), out('api')] });
    const outcome = await runOne(h, job);
    expect(outcome.kind).toBe('failed');
    expect(h.source.entries.get(job.id)!.failure).toEqual({ type: 'JobFailed', message: expect.stringContaining('"api"'), externalExecutionId: '1' });
  });

  it('fails a FAILURE build with JobFailed quoting the console tail within 5000 characters', async () => {
    const h = coreHarness();
    const log = Array.from({ length: 500 }, (_, i) => `line ${i} of a long build log`).join('\n') + '\nERROR: tests failed';
    h.runner.define('app', { result: 'FAILURE', log });
    const job = h.source.add();
    await runOne(h, job);
    const failure = h.source.entries.get(job.id)!.failure!;
    expect(failure.type).toBe('JobFailed');
    expect(failure.externalExecutionId).toBe('1');
    expect(failure.message).toContain('finished FAILURE');
    expect(failure.message).toContain('ERROR: tests failed');
    expect(failure.message.length).toBeLessThanOrEqual(5000);
  });

  it('quotes the tail of a failed build once its console log closed (COMPLETED before FINALIZED); a success does not wait', async () => {
    const h = coreHarness();
    h.runner.define('app', { result: 'FAILURE', logOpenPolls: 2, partialLog: 'step 1\nstep 2', log: 'step 1\nstep 2\nFinished: FAILURE' });
    h.runner.define('ok', { logOpenPolls: 5 });
    const failing = h.source.add();
    await runOne(h, failing);
    expect(h.source.entries.get(failing.id)!.failure!.message).toContain('Finished: FAILURE');
    const passing = h.source.add({ configuration: { ProjectName: 'ok' } });
    expect((await runOne(h, passing)).kind).toBe('succeeded');
    // Completed (log open) on its 2nd look: published at once, no look while the log closes.
    expect(h.runner.builds.find((b) => b.project === 'ok')!.polls).toBe(2);
  });

  it.each(['UNSTABLE', 'ABORTED'] as const)('fails a %s build with JobFailed', async (result) => {
    const h = coreHarness();
    h.runner.define('app', { result, log: 'x' });
    const job = h.source.add();
    await runOne(h, job);
    expect(h.source.entries.get(job.id)!.failure).toMatchObject({ type: 'JobFailed', message: expect.stringContaining(result) });
  });

  it('fails with ConfigurationError naming the parameters the Jenkins job does not declare, without triggering', async () => {
    const h = coreHarness();
    h.runner.define('app', { parameters: REQUIRED_PARAMETERS.filter((p) => p !== 'CODEPIPELINE_INPUT_ARTIFACTS' && p !== 'CODEPIPELINE_STAGE') });
    const job = h.source.add();
    await runOne(h, job);
    const failure = h.source.entries.get(job.id)!.failure!;
    expect(failure.type).toBe('ConfigurationError');
    expect(failure.message).toContain('CODEPIPELINE_STAGE, CODEPIPELINE_INPUT_ARTIFACTS');
    expect(h.runner.builds).toHaveLength(0);
  });

  it('fails with ConfigurationError for an unknown Jenkins job and for a missing ProjectName', async () => {
    const h = coreHarness();
    const unknown = h.source.add({ configuration: { ProjectName: 'nope' } });
    await runOne(h, unknown);
    expect(h.source.entries.get(unknown.id)!.failure?.type).toBe('ConfigurationError');
    const noName = h.source.add({ configuration: {} });
    await runOne(h, noName);
    expect(h.source.entries.get(noName.id)!.failure).toMatchObject({ type: 'ConfigurationError', message: expect.stringContaining('ProjectName') });
  });

  it('reports SystemUnavailable when Jenkins stays unreachable after the bounded retries', async () => {
    const h = coreHarness();
    h.runner.define('app');
    h.runner.failures.describeProject = Array.from({ length: 3 }, () => new TransientError('connect ECONNREFUSED', 'jenkins'));
    const job = h.source.add();
    await runOne(h, job);
    expect(h.source.entries.get(job.id)!.failure).toMatchObject({ type: 'SystemUnavailable', message: expect.stringContaining('Jenkins stayed unreachable') });
  });

  it('finds the build of a trigger whose response was lost instead of starting a second one', async () => {
    const h = coreHarness();
    h.runner.define('app');
    h.runner.loseTriggerResponses = 1;
    const job = h.source.add();
    expect((await runOne(h, job)).kind).toBe('succeeded');
    expect(h.runner.builds).toHaveLength(1);
  });

  it('keeps following a build through transient observation failures', async () => {
    const h = coreHarness();
    h.runner.define('app');
    h.runner.failures.observe = [new TransientError('socket hang up', 'jenkins')];
    const job = h.source.add();
    expect((await runOne(h, job)).kind).toBe('succeeded');
    expect(h.runner.builds).toHaveLength(1);
  });

  it('retries an upload that failed transiently, re-streaming the whole artifact', async () => {
    const h = coreHarness();
    h.runner.define('app', { artifacts: { 'a.txt': 'A' } });
    h.store.failPuts = [new TransientError('SlowDown', 's3')];
    const job = h.source.add({ outputArtifacts: [out('Out')] });
    expect((await runOne(h, job)).kind).toBe('succeeded');
    expect(await unzipNames(h.store.objects.get('artifacts/demo/Out/obj')!)).toEqual({ 'a.txt': 'A' });
  });

  it('rejects invalid output variables with a clear JobFailed', async () => {
    const h = coreHarness();
    h.runner.define('app', { artifacts: { 'codepipeline-outputs.json': '{"bad key":"x"}' } });
    const job = h.source.add();
    await runOne(h, job);
    expect(h.source.entries.get(job.id)!.failure).toMatchObject({ type: 'JobFailed', message: expect.stringContaining('bad key') });
  });

  it('stops the build and reports nothing when CodePipeline no longer accepts the result', async () => {
    const h = coreHarness();
    h.runner.define('app', { runningPolls: 3 });
    const job = h.source.add();
    const [polled] = await h.source.poll(1);
    await h.source.acknowledge(polled!.id, polled!.nonce!);
    h.source.expire(job.id);
    h.ledger.begin(polled!, Date.now());
    const entry = h.ledger.advance(job.id, 'acknowledged', {}, Date.now());
    const outcome = await h.jobRunner.run(polled!, { abort: h.abort.signal, handoff: h.handoff.signal }, entry);
    expect(outcome.kind).toBe('abandoned');
    expect(h.ledger.get(job.id)?.state).toBe('abandoned');
  });

  it('cancels a build that stays queued past the queue timeout and fails the job with Jenkins\' reason', async () => {
    const h = coreHarness({ queueTimeoutMs: 20, statusIntervalMs: 10 });
    h.runner.define('app', { queuedPolls: 1000 });
    const job = h.source.add();
    await runOne(h, job);
    expect(h.source.entries.get(job.id)!.failure).toMatchObject({ type: 'JobFailed', message: expect.stringContaining('Waiting for next available executor') });
    expect(h.runner.builds[0]!.stopped).toBe(true);
  });

  it('turns an unexpected exception into a failure report, never silence', async () => {
    const h = coreHarness();
    h.runner.define('app');
    h.runner.failures.describeProject = [new TypeError('boom')];
    const job = h.source.add();
    await runOne(h, job);
    expect(h.source.entries.get(job.id)!.failure).toEqual({ type: 'JobFailed', message: 'Internal error in pipeline-bridge: TypeError: boom' });
  });

  it('refreshes the job credentials through GetJobDetails once they are older than the refresh age', async () => {
    const h = coreHarness({ credentialsRefreshMs: 1 });
    h.runner.define('app', { artifacts: { 'a.txt': 'A' }, runningPolls: 2 });
    const job = h.source.add({ outputArtifacts: [out('Out')] });
    await new Promise((r) => setTimeout(r, 5));
    await runOne(h, job);
    expect(h.source.detailsCalls).toContain(job.id);
    expect(h.store.puts[0]!.accessKeyId).not.toBe(job.credentials!.accessKeyId);
  });
});
