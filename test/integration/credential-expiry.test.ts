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

/**
 * How long a job's artifact credentials live is observed (~15 min), not documented. Here they
 * live 400 ms and the bridge's proactive refresh is set far beyond that, so the only way through
 * is reacting to S3's ExpiredToken: refresh via GetJobDetails and carry on.
 */
describe('artifact credentials that expire mid-job', () => {
  let stack: LocalStack;
  let bridge: Bridge;
  let dataDir: string;
  const logger = new CaptureLogger();

  beforeAll(async () => {
    // The build waits 900 ms in the queue, so the credentials from PollForJobs are dead before it
    // downloads its input, and again before the bridge uploads the output.
    stack = await startLocalStack({ jenkinsJobs: demoJenkinsJobs(), credentialsTtlMs: 400, jenkinsQuietPeriodMs: 900 });
    dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-expiry-'));
    const config = loadConfig(
      { ...stack.env, BRIDGE_HTTP_HOST: '127.0.0.1', BRIDGE_HTTP_PORT: '0', BRIDGE_DATA_DIR: dataDir, BRIDGE_POLL_INTERVAL_MS: '100', BRIDGE_STATUS_INTERVAL_MS: '100' },
      { overrides: { worker: { credentialsRefreshMs: 600_000, retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 } } } },
    );
    bridge = new Bridge(config, createAdapters(config, logger), { logger, redactor });
    await bridge.start();
  }, 30_000);

  afterAll(async () => {
    await bridge?.stop({ graceMs: 1_000 });
    await stack?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refreshes them through GetJobDetails when S3 answers ExpiredToken, and the job succeeds', async () => {
    const jobId = await stack.submitJob({
      project: 'demo/transform',
      inputs: [{ name: 'Src', files: { 'a.txt': 'hello' } }],
      outputs: ['Out'],
    });
    const job = await stack.codepipeline.waitForCompletion(jobId, { timeoutMs: 20_000 });
    expect(job.status).toBe('Succeeded');
    const expired = stack.s3.requests.filter((r) => r.status === 400 && r.accessKeyId?.startsWith('ASIA'));
    expect(expired.length).toBeGreaterThan(0);
    const details = stack.codepipeline.calls.filter((c) => c.operation === 'GetJobDetails' && c.input.jobId === jobId);
    expect(details.length).toBeGreaterThan(0);
  }, 30_000);
});
