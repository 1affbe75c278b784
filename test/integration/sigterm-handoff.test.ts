import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REQUIRED_PARAMETERS } from '../../src/core/jobs/build-parameters';
import { startLocalStack, type LocalStack } from '../../src/local-stack/start-local-stack';
import type { SimJobDefinition } from '../../src/local-stack/jenkins';
import { buildBridge, findRepoRoot, type BuiltBridge } from '../chaos/bridge-build';
import { BridgeProcess, freePort } from '../chaos/bridge-process';
import { readZip } from '../support/read-zip';

const JOB = 'handoff/long';
const BUILD_MS = 4_000;
const GRACE_MS = 5_000;
const JOBS = 10;

const longJob: SimJobDefinition = {
  name: JOB,
  parameters: REQUIRED_PARAMETERS.map((name) => ({ name, default: name.endsWith('_ARTIFACTS') ? '[]' : '' })),
  script: async (ctx) => {
    ctx.log(`working for ${BUILD_MS} ms`);
    await ctx.sleep(BUILD_MS);
    await ctx.archive('out.txt', `built for ${ctx.params.CODEPIPELINE_JOB_ID}\n`);
  },
};

/**
 * SIGTERM while 10 builds run: the bridge exits 0 within its grace period having handed every job
 * back to CodePipeline with a continuation token; the continuation jobs, taken by a second bridge
 * or by the same one restarted, finish the SAME builds (no second build) with the right outputs.
 */
describe('SIGTERM during running builds (compiled bridge processes)', () => {
  let built: BuiltBridge;
  let stack: LocalStack;
  const processes: BridgeProcess[] = [];
  const dirs: string[] = [];
  const tmp = (prefix: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    built = await buildBridge();
    stack = await startLocalStack({ jenkinsJobs: [longJob], ackTimeoutMs: 1_500, continuationDelayMs: 300, jenkinsQuietPeriodMs: 50, jenkinsExecutors: JOBS + 2 });
  }, 120_000);

  afterAll(async () => {
    for (const p of processes) await p.close();
    await stack?.close();
    built?.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function bridge(dataDir: string, port: number): Promise<BridgeProcess> {
    const p = new BridgeProcess({
      mainJs: built.mainJs,
      cwd: findRepoRoot(),
      port,
      logDir: tmp('bridge-logs-'),
      env: {
        PATH: process.env.PATH,
        ...stack.env,
        BRIDGE_HTTP_HOST: '127.0.0.1',
        BRIDGE_HTTP_PORT: String(port),
        BRIDGE_DATA_DIR: dataDir,
        // Replicas share the token secret, so either can serve the builds' input URLs.
        BRIDGE_ARTIFACT_TOKEN_SECRET: 'shared-secret-for-the-handoff-test',
        BRIDGE_MAX_CONCURRENT_JOBS: String(JOBS),
        BRIDGE_POLL_INTERVAL_MS: '200',
        BRIDGE_STATUS_INTERVAL_MS: '300',
        BRIDGE_SHUTDOWN_GRACE_MS: String(GRACE_MS),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    processes.push(p);
    p.start();
    await p.waitHealthy(20_000);
    return p;
  }

  it.each([
    ['a second bridge', 'second'],
    ['the same bridge restarted', 'same'],
  ] as const)('all 10 jobs finish through continuation jobs taken by %s', async (_label, successor) => {
    const dataDir = tmp('bridge-data-');
    const port = await freePort();
    const first = await bridge(dataDir, port);
    const before = stack.jenkins.builds(JOB).length;
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) ids.push(await stack.submitJob({ project: JOB, pipelineName: `handoff-${successor}`, outputs: ['Out'] }));

    const deadline = Date.now() + 15_000;
    const running = () => stack.jenkins.builds(JOB).slice(before).filter((b) => b.state === 'building').length;
    while (running() < JOBS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(running()).toBe(JOBS);

    const stopped = await first.terminate(GRACE_MS + 5_000);
    expect(stopped?.timedOut).toBe(false);
    expect(stopped?.exit.code).toBe(0);
    expect(stopped!.ms).toBeLessThan(GRACE_MS);
    for (const id of ids) {
      const job = stack.codepipeline.getJob(id)!;
      expect(job.status).toBe('Succeeded');
      expect(job.result).toMatchObject({ kind: 'success', continuationToken: expect.stringMatching(/^pb1\./) });
    }

    if (successor === 'second') await bridge(tmp('bridge-data-'), await freePort());
    else await bridge(dataDir, port);
    for (const id of ids) {
      const last = await stack.codepipeline.waitForCompletion(id, { followContinuations: true, timeoutMs: 30_000 });
      expect(last.status).toBe('Succeeded');
      expect(last.continuationOf).toBe(id);
      expect(last.result).toMatchObject({ kind: 'success', executionDetails: { percentComplete: 100 } });
      const location = last.data.outputArtifacts[0]!.location.s3Location;
      const files = await readZip(await stack.s3.getObject(location.bucketName, location.objectKey));
      expect(files.get('out.txt')?.data.toString()).toBe(`built for ${id}\n`);
    }
    // One build per job: the continuation jobs followed the builds, they did not start new ones.
    const builds = stack.jenkins.builds(JOB).slice(before);
    expect(builds).toHaveLength(JOBS);
    expect(new Set(builds.map((b) => b.params.CODEPIPELINE_JOB_ID))).toEqual(new Set(ids));
    await processes.at(-1)!.terminate(GRACE_MS + 5_000);
  }, 90_000);
});
