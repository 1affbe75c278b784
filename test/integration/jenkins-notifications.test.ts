import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createApp } from '../../src/http/create-app';
import { Readiness } from '../../src/http/readiness';
import { ActiveJobs } from '../../src/core/jobs/active-jobs';
import { ArtifactTokens } from '../../src/core/jobs/artifact-tokens';
import type { BuildNotice } from '../../src/core/jobs/build-notice';
import { systemClock } from '../../src/core/system-clock';
import { DEFAULT_USERS, startJenkinsSimulator, type JenkinsSimulator, type SimNotificationEndpoint } from '../../src/local-stack/jenkins';
import { FakeArtifactStore } from '../fakes/fake-artifact-store';
import { CaptureLogger } from '../support/capture-logger';

const TOKEN = 'notify-token-3f9d2c';
const JOB = 'team/app-build';
const API = `Basic ${Buffer.from(`${DEFAULT_USERS[0]!.user}:${DEFAULT_USERS[0]!.apiToken}`).toString('base64')}`;
const CODEPIPELINE = ['CODEPIPELINE_JOB_ID', 'CODEPIPELINE_PIPELINE_NAME', 'CODEPIPELINE_EXECUTION_ID', 'CODEPIPELINE_STAGE', 'CODEPIPELINE_ACTION'];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}
const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('Jenkins simulator notifications → POST /webhooks/jenkins', () => {
  const notices: BuildNotice[] = [];
  let bridge: Server;
  let bridgeUrl: string;
  let redirector: Server;
  let redirectorUrl: string;
  let hung: Server;
  let hungUrl: string;
  let sim: JenkinsSimulator;

  beforeAll(async () => {
    const logger = new CaptureLogger();
    const app = createApp({
      readiness: new Readiness([], systemClock, logger),
      active: new ActiveJobs(),
      tokens: new ArtifactTokens('notifications-it-secret-0123456789'),
      store: new FakeArtifactStore(),
      logger,
      webhooks: { maxBodyBytes: 1024 * 1024, jenkins: { token: TOKEN } },
      notices: { notice: (n) => notices.push(n) },
    });
    bridge = createServer(app);
    bridgeUrl = await listen(bridge);
    // A proxy in front of the bridge that moved: 307 to the real endpoint (the plugin re-sends once).
    redirector = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { Location: `${bridgeUrl}/webhooks/jenkins?token=${TOKEN}` }).end();
    });
    redirectorUrl = await listen(redirector);
    // Reads the request, never answers: the endpoint timeout must free the build.
    hung = createServer((req) => req.resume());
    hungUrl = await listen(hung);
    sim = await startJenkinsSimulator({
      quietPeriodMs: 0,
      postProductionMs: 20,
      jobs: [
        {
          name: JOB,
          parameters: [...CODEPIPELINE.map((name) => ({ name })), { name: 'DEPLOY_KEY', type: 'password' as const }, { name: 'QUERY' }],
          script: async (ctx) => {
            ctx.log('building');
            await ctx.archive('dist/app v1.txt', 'binary');
            return ctx.params['QUERY'] === 'fail' ? 'FAILURE' : undefined;
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await sim?.close();
    await Promise.all([bridge, redirector, hung].filter(Boolean).map(closeServer));
  });

  beforeEach(() => {
    notices.length = 0;
  });

  /** Triggers one build the way the bridge does and waits until it and its notifications are done. */
  async function runBuild(endpoints: SimNotificationEndpoint[], query = 'a=1&b<2>'): Promise<{ number: number; queueId: number; jobId: string }> {
    sim.setNotificationEndpoints(endpoints);
    const jobId = `job-${Math.random().toString(16).slice(2, 10)}`;
    const form = new URLSearchParams({
      CODEPIPELINE_JOB_ID: jobId,
      CODEPIPELINE_PIPELINE_NAME: 'app',
      CODEPIPELINE_EXECUTION_ID: 'exec-1',
      CODEPIPELINE_STAGE: 'Build',
      CODEPIPELINE_ACTION: 'Compile',
      DEPLOY_KEY: 's3cr3t-deploy-key',
      QUERY: query,
    });
    const res = await fetch(`${sim.url}job/team/job/app-build/buildWithParameters`, { method: 'POST', headers: { Authorization: API }, body: form, redirect: 'manual' });
    expect(res.status).toBe(201);
    await sim.waitForIdle(5_000);
    await sim.waitForNotifications(5_000);
    const build = sim.builds(JOB).find((b) => b.params['CODEPIPELINE_JOB_ID'] === jobId)!;
    expect(build.state).toBe('completed');
    return { number: build.number, queueId: build.queueId, jobId };
  }

  const sentSince = (number: number) => sim.notifications.filter((r) => r.job === JOB && r.number === number);

  it('delivers QUEUED, STARTED, COMPLETED, FINALIZED with the token in the query, and the bridge hands each to its sink', async () => {
    const url = `${bridgeUrl}/webhooks/jenkins?token=${TOKEN}`;
    const { number, queueId, jobId } = await runBuild([{ url, event: 'all', timeoutMs: 2_000 }]);
    expect(notices.map((n) => n.phase)).toEqual(['queued', 'started', 'completed', 'finalized']);
    for (const notice of notices) {
      expect(notice).toMatchObject({ project: JOB, buildNumber: number, queueId });
      expect(notice.parameters).toEqual({
        CODEPIPELINE_ACTION: 'Compile',
        CODEPIPELINE_EXECUTION_ID: 'exec-1',
        CODEPIPELINE_JOB_ID: jobId,
        CODEPIPELINE_PIPELINE_NAME: 'app',
        CODEPIPELINE_STAGE: 'Build',
        QUERY: 'a=1&b<2>',
      });
    }
    const sent = sentSince(number);
    expect(sent.map((r) => [r.phase, r.status, r.basicAuth])).toEqual([
      ['QUEUED', 202, false],
      ['STARTED', 202, false],
      ['COMPLETED', 202, false],
      ['FINALIZED', 202, false],
    ]);
    // The wire form: Gson escapes, snake_case, no status before the result, no password parameter.
    const completedBody = sent[2]!.body;
    expect(completedBody).toContain('"QUERY":"a\\u003d1\\u0026b\\u003c2\\u003e"');
    expect(completedBody).not.toContain('DEPLOY_KEY');
    const bodies = sent.map((r) => JSON.parse(r.body) as Json);
    expect(bodies[0]!.build.status).toBeUndefined();
    expect(bodies[1]!.build.status).toBeUndefined();
    expect(bodies[2]).toMatchObject({
      name: 'app-build',
      display_name: 'app-build',
      url: 'job/team/job/app-build/',
      build: {
        full_url: `${sim.url}job/team/job/app-build/${number}/`,
        number,
        queue_id: queueId,
        phase: 'COMPLETED',
        status: 'SUCCESS',
        url: `job/team/job/app-build/${number}/`,
        scm: { changes: [], culprits: [] },
        log: '',
        artifacts: { 'dist/app v1.txt': { archive: `${sim.url}job/team/job/app-build/${number}/artifact/dist/app%20v1.txt` } },
      },
    });
    expect(Object.keys(bodies[2]!.build)).toEqual(['full_url', 'number', 'queue_id', 'timestamp', 'duration', 'phase', 'status', 'url', 'scm', 'parameters', 'log', 'artifacts']);
    expect(bodies[2]!.build.duration).toBeGreaterThan(0);
    expect(bodies[3]!.build.phase).toBe('FINALIZED');
    // The plugin prints the endpoint (token and all) to the console for STARTED and COMPLETED.
    const log = sim.builds(JOB).find((b) => b.number === number)!.log;
    expect(log.match(/Notifying endpoint with url '.*\/webhooks\/jenkins\?token=/g)).toHaveLength(2);
  });

  it('authenticates with HTTP Basic: credentials option, or userinfo in the URL; event filters apply', async () => {
    const host = bridgeUrl.replace('http://', '');
    const { number } = await runBuild([
      { url: `${bridgeUrl}/webhooks/jenkins`, event: 'completed', credentials: { user: 'jenkins', password: TOKEN }, credentialsId: 'bridge-notify' },
      { url: `http://jenkins:${TOKEN}@${host}/webhooks/jenkins`, event: 'finalized' },
    ]);
    expect(notices.map((n) => [n.phase, n.project, n.buildNumber])).toEqual([
      ['completed', JOB, number],
      ['finalized', JOB, number],
    ]);
    expect(sentSince(number).map((r) => [r.phase, r.status, r.basicAuth])).toEqual([
      ['COMPLETED', 202, true],
      ['FINALIZED', 202, true],
    ]);
    // Recorded without the userinfo; a secret-URL endpoint is named by its credential id on the console.
    expect(sentSince(number)[1]!.url).toBe(`${bridgeUrl}/webhooks/jenkins`);
    const log = sim.builds(JOB).find((b) => b.number === number)!.log;
    expect(log).toContain("Notifying endpoint with credentials id 'bridge-notify'");
    expect(log).not.toContain(TOKEN);
  });

  it('a wrong password is refused with 401, nothing reaches the sink, and the build still completes', async () => {
    const { number } = await runBuild([{ url: `${bridgeUrl}/webhooks/jenkins`, credentials: { user: 'jenkins', password: 'not-the-token' } }]);
    expect(notices).toEqual([]);
    expect(sentSince(number).map((r) => [r.phase, r.status])).toEqual([
      ['QUEUED', 401],
      ['STARTED', 401],
      ['COMPLETED', 401],
      ['FINALIZED', 401],
    ]);
    const build = sim.builds(JOB).find((b) => b.number === number)!;
    expect(build.result).toBe('SUCCESS');
    // The plugin does not look at the status code: no failure line on the console.
    expect(build.log).not.toContain('Failed to notify');
  });

  it('follows a 307 once; an unreachable or silent endpoint is logged and recorded, never failing the build', async () => {
    const refused = await new Promise<string>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const port = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(`http://127.0.0.1:${port}/webhooks/jenkins`));
      });
    });
    const { number } = await runBuild([
      { url: `${redirectorUrl}/old/jenkins-hook`, event: 'completed' },
      { url: refused, event: 'started' },
      { url: `${hungUrl}/webhooks/jenkins`, event: 'completed', timeoutMs: 150, retries: 1 },
    ]);
    expect(notices.map((n) => [n.phase, n.buildNumber])).toEqual([['completed', number]]);
    const sent = sentSince(number);
    expect(sent[0]).toMatchObject({ phase: 'STARTED', status: 0, error: 'java.net.ConnectException: Connection refused' });
    expect(sent[1]).toMatchObject({ phase: 'COMPLETED', status: 202, redirectedTo: `${bridgeUrl}/webhooks/jenkins?token=${TOKEN}` });
    expect(sent.slice(2).map((r) => [r.phase, r.attempts, r.error])).toEqual([
      ['COMPLETED', 1, 'java.net.SocketTimeoutException: Read timed out'],
      ['COMPLETED', 2, 'java.net.SocketTimeoutException: Read timed out'],
    ]);
    const build = sim.builds(JOB).find((b) => b.number === number)!;
    expect(build.result).toBe('SUCCESS');
    expect(build.log).toContain(`Failed to notify endpoint with url '${refused}' - java.net.ConnectException: Connection refused`);
    expect(build.log).toContain('(1 tries remaining)');
  });

  it('"failed" notifies only the FINALIZED phase of a FAILURE', async () => {
    const url = `${bridgeUrl}/webhooks/jenkins?token=${TOKEN}`;
    const ok = await runBuild([{ url, event: 'failed' }], 'ok');
    expect(sentSince(ok.number)).toEqual([]);
    const failed = await runBuild([{ url, event: 'failed' }, { url: `${url}&copy=1`, event: 'queued' }], 'fail');
    expect(sentSince(failed.number).map((r) => [r.phase, r.url.includes('copy') ? 'queued-endpoint' : 'failed-endpoint'])).toEqual([
      ['QUEUED', 'queued-endpoint'],
      ['FINALIZED', 'failed-endpoint'],
    ]);
    expect(JSON.parse(sentSince(failed.number)[1]!.body).build.status).toBe('FAILURE');
  });
});
