import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { demoJenkinsJobs } from '../../src/local-stack/demo-jobs';
import { startLocalStack, type LocalStack } from '../../src/local-stack/start-local-stack';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * `npm start` as a user runs it: the compiled bridge in its own process, configured only through
 * the documented environment variables, pointed at endpoints it knows nothing else about.
 */
describe('npm start (compiled bridge process, env-only configuration)', () => {
  let stack: LocalStack;
  let outDir: string;
  let dataDir: string;
  let child: ChildProcess | undefined;
  const output: string[] = [];

  beforeAll(async () => {
    // Inside the repository, as dist/ is: node_modules and config/default.yaml resolve as for `npm start`.
    outDir = mkdtempSync(path.join(ROOT, '.test-dist-'));
    dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-data-'));
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'pipe' });
    stack = await startLocalStack({ jenkinsJobs: demoJenkinsJobs(), jenkinsQuietPeriodMs: 50 });
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await stack?.close();
    for (const dir of [outDir, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a job end to end, answers /readyz, and exits 0 on SIGTERM', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...stack.env,
      BRIDGE_HTTP_HOST: '127.0.0.1',
      BRIDGE_HTTP_PORT: String(port),
      BRIDGE_DATA_DIR: dataDir,
      BRIDGE_POLL_INTERVAL_MS: '200',
      BRIDGE_STATUS_INTERVAL_MS: '200',
      BRIDGE_SHUTDOWN_GRACE_MS: '2000',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    child = spawn(process.execPath, [path.join(outDir, 'main.js')], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));

    const deadline = Date.now() + 20_000;
    let ready = false;
    while (!ready && Date.now() < deadline && child.exitCode === null) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready) throw new Error(`bridge never became ready; its output:\n${output.join('')}`);

    const jobId = await stack.submitJob({ project: 'demo/outputs', outputs: ['Dist'] });
    const job = await stack.codepipeline.waitForCompletion(jobId, { timeoutMs: 20_000 });
    expect(job.status).toBe('Succeeded');

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const logs = output.join('');
    expect(logs).toContain('"message":"pipeline-bridge started"');
    expect(logs).toContain('"message":"job succeeded"');
    expect(logs).not.toContain(stack.jenkinsToken);
  }, 60_000);
});
