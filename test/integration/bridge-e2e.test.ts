import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load-config';
import { createAdapters } from '../../src/adapters/create-adapters';
import { Bridge } from '../../src/bridge';
import { redactor } from '../../src/core/redact';
import { demoJenkinsJobs } from '../../src/local-stack/demo-jobs';
import { startLocalStack, type LocalStack } from '../../src/local-stack/start-local-stack';
import { CaptureLogger } from '../support/capture-logger';
import { readZip } from '../support/read-zip';

async function zipFiles(zip: Buffer): Promise<Record<string, Buffer>> {
  return Object.fromEntries([...(await readZip(zip))].map(([name, entry]) => [name, entry.data]));
}

/**
 * The whole path over HTTP: the real @aws-sdk/client-codepipeline against the local CodePipeline,
 * the real @aws-sdk/client-s3 against s3rver, the Jenkins adapter (npm `jenkins` + fetch) against
 * the Jenkins simulator, the bridge's own HTTP server serving input artifacts to the builds.
 */
describe('bridge end to end on the local stack', () => {
  let stack: LocalStack;
  let bridge: Bridge;
  let dataDir: string;
  const logger = new CaptureLogger();
  const KMS_KEY = 'arn:aws:kms:us-east-1:000000000000:key/e2e-test-key';

  const SOURCE = {
    name: 'SourceOutput',
    revision: 'c0ffee0000000000000000000000000000000001',
    files: {
      'README.md': '# hello\nnon-ASCII: déjà vu ✓\n',
      'src/app.js': 'console.log("hi");\n',
      'bin/data.bin': Buffer.from([0, 1, 2, 3, 255, 254, 253]),
    },
  };

  beforeAll(async () => {
    stack = await startLocalStack({ jenkinsJobs: demoJenkinsJobs(), ackTimeoutMs: 1_500, jenkinsQuietPeriodMs: 50 });
    dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-e2e-'));
    const config = loadConfig(
      {
        ...stack.env,
        BRIDGE_HTTP_HOST: '127.0.0.1',
        BRIDGE_HTTP_PORT: '0',
        BRIDGE_DATA_DIR: dataDir,
        BRIDGE_POLL_INTERVAL_MS: '100',
        BRIDGE_STATUS_INTERVAL_MS: '100',
        BRIDGE_MAX_CONCURRENT_JOBS: '4',
      },
      { overrides: { worker: { retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 } }, jenkins: { requestTimeoutMs: 5_000 } } },
    );
    bridge = new Bridge(config, createAdapters(config, logger), { logger, redactor });
    await bridge.start();
  }, 30_000);

  afterAll(async () => {
    if (process.env.E2E_DEBUG) console.log(logger.text());
    await bridge?.stop({ graceMs: 1_000 });
    await stack?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const done = (jobId: string) => stack.codepipeline.waitForCompletion(jobId, { timeoutMs: 25_000 });

  it('runs a build with input and output artifacts: the build downloads the input through the bridge, the output lands in S3 with SSE-KMS and the job credentials', async () => {
    const jobId = await stack.submitJob({ project: 'demo/transform', inputs: [SOURCE], outputs: ['BuildOutput'] });
    const job = await done(jobId);
    expect(job.status).toBe('Succeeded');
    expect(job.result).toMatchObject({ kind: 'success', executionDetails: { externalExecutionId: expect.stringMatching(/^\d+$/), percentComplete: 100 } });

    const out = job.data.outputArtifacts![0]!.location.s3Location;
    const files = await zipFiles(await stack.s3.getObject(out.bucketName, out.objectKey));
    // The simulated job uppercases text inputs and lists every input file with its sha256.
    expect(files['SourceOutput/README.md']?.toString()).toBe(SOURCE.files['README.md'].toUpperCase());
    expect(files['SourceOutput/src/app.js']?.toString()).toBe(SOURCE.files['src/app.js'].toUpperCase());
    expect(files['SourceOutput/bin/data.bin']).toEqual(SOURCE.files['bin/data.bin']);
    expect(Object.keys(files)).toContain('manifest.json');

    const build = stack.jenkins.builds('demo/transform').find((b) => b.params.CODEPIPELINE_JOB_ID === jobId)!;
    expect(build.result).toBe('SUCCESS');
    expect(String(build.number)).toBe(job.result?.kind === 'success' ? job.result.executionDetails?.externalExecutionId : '');
    const inputs = JSON.parse(build.params.CODEPIPELINE_INPUT_ARTIFACTS!);
    expect(inputs[0]).toMatchObject({ name: 'SourceOutput', url: expect.stringContaining(`${bridge.url}/artifacts/${jobId}/SourceOutput?token=`), bucket: stack.bucket, revision: SOURCE.revision });

    const puts = stack.s3.requests.filter((r) => r.key === out.objectKey && (r.method === 'PUT' || r.method === 'POST'));
    expect(puts.length).toBeGreaterThan(0);
    const jobAccessKey = job.data.artifactCredentials?.accessKeyId;
    for (const put of puts) expect(put.accessKeyId).toMatch(/^ASIA/);
    expect(puts.every((p) => p.accessKeyId !== 'S3RVER')).toBe(true);
    expect(jobAccessKey).toMatch(/^ASIA/);
    expect(stack.s3.objectEncryption(out.bucketName, out.objectKey)).toMatchObject({ sse: 'aws:kms' });
  });

  it('sends the pipeline KMS key id with every upload when the job has an encryption key', async () => {
    const jobId = await stack.submitJob({ project: 'demo/transform', pipelineName: 'kms-pipeline', inputs: [SOURCE], outputs: ['BuildOutput'], encryptionKeyId: KMS_KEY });
    const job = await done(jobId);
    expect(job.status).toBe('Succeeded');
    const out = job.data.outputArtifacts![0]!.location.s3Location;
    const initiating = stack.s3.requests.filter((r) => r.key === out.objectKey && (r.method === 'PUT' || r.method === 'POST') && r.sse);
    expect(initiating.length).toBeGreaterThan(0);
    for (const r of initiating) expect(r).toMatchObject({ sse: 'aws:kms', sseKmsKeyId: KMS_KEY });
  });

  it('splits the archived files into several output artifacts by folder', async () => {
    const jobId = await stack.submitJob({ project: 'demo/multi-output', inputs: [SOURCE], outputs: ['WebApp', 'Infra'] });
    const job = await done(jobId);
    expect(job.status).toBe('Succeeded');
    const [web, infra] = job.data.outputArtifacts!.map((a) => a.location.s3Location);
    const webFiles = await zipFiles(await stack.s3.getObject(web!.bucketName, web!.objectKey));
    const infraFiles = await zipFiles(await stack.s3.getObject(infra!.bucketName, infra!.objectKey));
    expect(Object.keys(webFiles).length).toBeGreaterThan(0);
    expect(Object.keys(infraFiles).length).toBeGreaterThan(0);
    expect(Object.keys(webFiles).some((name) => name.startsWith('WebApp/') || name.startsWith('Infra/'))).toBe(false);
    expect(Object.values(webFiles).map(String)).not.toEqual(Object.values(infraFiles).map(String));
  });

  it('passes codepipeline-outputs.json on as output variables', async () => {
    const jobId = await stack.submitJob({ project: 'demo/outputs', outputs: ['Dist'] });
    const job = await done(jobId);
    expect(job.status).toBe('Succeeded');
    expect(job.result).toMatchObject({ kind: 'success', outputVariables: { IMAGE_TAG: 'v1.4.2', BUILD_FLAVOR: 'release' } });
  });

  it('fails a FAILURE build with JobFailed carrying the console tail', async () => {
    const jobId = await stack.submitJob({ project: 'demo/failing', inputs: [SOURCE] });
    const job = await done(jobId);
    expect(job.status).toBe('Failed');
    expect(job.result).toMatchObject({ kind: 'failure', failureDetails: { type: 'JobFailed', externalExecutionId: expect.stringMatching(/^\d+$/) } });
    const message = job.result?.kind === 'failure' ? job.result.failureDetails.message : '';
    expect(message).toContain('FAILURE');
    expect(message).toContain('unit tests failed: 3 of 120');
    expect(message.length).toBeLessThanOrEqual(5000);
  });

  it('fails with ConfigurationError for an unknown Jenkins job and for one missing the parameter definitions, starting no build', async () => {
    const unknown = await done(await stack.submitJob({ project: 'demo/nope' }));
    expect(unknown.result).toMatchObject({ kind: 'failure', failureDetails: { type: 'ConfigurationError', message: expect.stringContaining('demo/nope') } });
    const unconfigured = await done(await stack.submitJob({ project: 'demo/unconfigured' }));
    expect(unconfigured.result).toMatchObject({ kind: 'failure', failureDetails: { type: 'ConfigurationError', message: expect.stringContaining('CODEPIPELINE_JOB_ID') } });
    expect(stack.jenkins.builds('demo/unconfigured')).toHaveLength(0);
  });

  it('starts no build while the acknowledge fails, and runs the job once when CodePipeline offers it again', async () => {
    // 3 bridge attempts × 2 SDK attempts: the whole retry budget of the first dispatch fails.
    stack.codepipeline.injectFault({ operation: 'AcknowledgeJob', type: 'InternalFailure', times: 6 });
    const before = stack.jenkins.builds('demo/outputs').length;
    const jobId = await stack.submitJob({ project: 'demo/outputs', outputs: ['Dist'] });
    const deadline = Date.now() + 5_000;
    while (stack.codepipeline.calls.filter((c) => c.operation === 'AcknowledgeJob' && c.input.jobId === jobId).length < 6 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(stack.jenkins.builds('demo/outputs').filter((b) => b.params.CODEPIPELINE_JOB_ID === jobId)).toHaveLength(0);
    const job = await done(jobId);
    expect(job.status).toBe('Succeeded');
    // Offered again with a new nonce once the acknowledge window passed, and run exactly once.
    expect(job.dispatches).toBe(2);
    expect(stack.jenkins.builds('demo/outputs').length).toBe(before + 1);
  });

  it('reports SystemUnavailable when Jenkins stays unreachable after the bounded retries', async () => {
    stack.jenkins.setDown('reset');
    try {
      const job = await done(await stack.submitJob({ project: 'demo/transform', inputs: [SOURCE], outputs: ['BuildOutput'] }));
      expect(job.result).toMatchObject({ kind: 'failure', failureDetails: { type: 'SystemUnavailable', message: expect.stringContaining('Jenkins') } });
    } finally {
      stack.jenkins.setDown(false);
    }
  });

  it('never writes a secret to the logs: Jenkins token, job credentials, artifact tokens', () => {
    const text = logger.text();
    expect(logger.entries.length).toBeGreaterThan(10);
    expect(text).not.toContain(stack.jenkinsToken);
    for (const job of stack.codepipeline.listJobs()) {
      const creds = job.data.artifactCredentials;
      if (creds) {
        expect(text).not.toContain(creds.secretAccessKey);
        expect(text).not.toContain(creds.sessionToken);
      }
      expect(text).not.toContain(bridge.tokens.issue(job.id));
    }
  });
});
