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

/** Several bridges on one action type and one Jenkins: the nonce gives each job to exactly one. */
describe('replicas competing for the same jobs', () => {
  const JOBS = 24;
  let stack: LocalStack;
  const bridges: Bridge[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ jenkinsJobs: demoJenkinsJobs(), jenkinsQuietPeriodMs: 20, jenkinsExecutors: 16 });
    for (let i = 0; i < 3; i++) {
      const dataDir = mkdtempSync(path.join(tmpdir(), `bridge-replica-${i}-`));
      dirs.push(dataDir);
      const config = loadConfig(
        {
          ...stack.env,
          BRIDGE_HTTP_HOST: '127.0.0.1',
          BRIDGE_HTTP_PORT: '0',
          BRIDGE_DATA_DIR: dataDir,
          BRIDGE_ARTIFACT_TOKEN_SECRET: 'replicas-share-this-secret',
          BRIDGE_POLL_INTERVAL_MS: '50',
          BRIDGE_STATUS_INTERVAL_MS: '100',
          BRIDGE_MAX_CONCURRENT_JOBS: '6',
        },
        {},
      );
      const bridge = new Bridge(config, createAdapters(config, new CaptureLogger()), { logger: new CaptureLogger(), redactor });
      await bridge.start();
      bridges.push(bridge);
    }
  }, 30_000);

  afterAll(async () => {
    await Promise.all(bridges.map((b) => b.stop({ graceMs: 1_000 })));
    await stack?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('runs every job once and reports it once, whichever replica acknowledged it first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) ids.push(await stack.submitJob({ project: 'demo/outputs', pipelineName: 'replicas', outputs: ['Dist'] }));
    for (const id of ids) expect((await stack.codepipeline.waitForCompletion(id, { timeoutMs: 30_000 })).status).toBe('Succeeded');

    const builds = stack.jenkins.builds('demo/outputs').filter((b) => ids.includes(b.params.CODEPIPELINE_JOB_ID ?? ''));
    expect(builds).toHaveLength(JOBS);
    expect(new Set(builds.map((b) => b.params.CODEPIPELINE_JOB_ID)).size).toBe(JOBS);

    const accepted = stack.codepipeline.calls.filter((c) => (c.operation === 'PutJobSuccessResult' || c.operation === 'PutJobFailureResult') && c.status === 200);
    for (const id of ids) expect(accepted.filter((c) => c.input.jobId === id)).toHaveLength(1);

    // The work really was shared out, not all taken by one replica.
    const acknowledged = bridges.map((b) => b.jobWorker!.stats.acknowledged);
    expect(acknowledged.reduce((a, b) => a + b, 0)).toBe(JOBS);
    expect(acknowledged.filter((n) => n > 0).length).toBeGreaterThan(1);
  }, 60_000);
});
