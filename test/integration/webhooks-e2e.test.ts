import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load-config';
import { createAdapters } from '../../src/adapters/create-adapters';
import { Bridge } from '../../src/bridge';
import { redactor } from '../../src/core/redact';
import type { SimBuildInfo, SimJobDefinition } from '../../src/local-stack/jenkins';
import { startLocalStack, type LocalStack } from '../../src/local-stack/start-local-stack';
import { CaptureLogger } from '../support/capture-logger';
import { fixture, githubDelivery, gitlabDelivery, type Delivery } from '../support/webhook-deliveries';

const GITHUB_SECRET = 'e2e-github-secret-4b1d';
const GITLAB_TOKEN = 'e2e-gitlab-token-92ce';

/** The routes a deployment would write (README "Routing rules"), as a BRIDGE_CONFIG file. */
const ROUTES_YAML = `
webhooks:
  routes:
    - name: legacy-app
      match: { source: github, repository: acme/app, events: [push], branches: ["main", "release/*"], tags: [], paths: ["src/**"] }
      jenkins: { job: legacy/app, parameters: { GIT_COMMIT: "{{commit}}", GIT_BRANCH: "{{branch}}", GIT_URL: "{{cloneUrl}}" } }
    - name: gitlab-release
      match: { source: gitlab, repository: acme/app, events: [push], branches: ["release/*"] }
      jenkins: { job: legacy/app-gitlab, parameters: { BRANCH: "{{branch}}", COMMIT: "{{commit}}" } }
    - name: start-pipeline
      match: { source: [github, gitlab], repository: acme/app, events: [tag], tags: ["v*"] }
      pipeline:
        name: app-release
        sourceRevisions: [{ actionName: Source }]
        variables: { RELEASE_TAG: "{{tag}}" }
  trigger:
    retry: { maxAttempts: 40, baseDelayMs: 50, maxDelayMs: 200 }
`;

const job = (name: string, parameters: string[]): SimJobDefinition => ({
  name,
  parameters: parameters.map((p) => ({ name: p })),
  script: async (ctx) => {
    ctx.log(`building ${Object.entries(ctx.params).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  },
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Polls `read` every 20 ms until `done` holds; fails after `timeoutMs`. */
async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A bridge started as `npm start` would be (env secrets, a routes file, the real adapters) on the
 * local stack: deliveries made exactly as GitHub and GitLab make them go over HTTP to the bridge,
 * which triggers the Jenkins simulator through the Jenkins adapter and the local CodePipeline
 * through the AWS SDK.
 */
describe('webhooks end to end on the local stack', () => {
  let stack: LocalStack;
  let bridge: Bridge;
  let dataDir: string;
  let config: ReturnType<typeof loadConfig>;
  const logger = new CaptureLogger();

  beforeAll(async () => {
    stack = await startLocalStack({
      jenkinsJobs: [job('legacy/app', ['GIT_COMMIT', 'GIT_BRANCH', 'GIT_URL']), job('legacy/app-gitlab', ['BRANCH', 'COMMIT'])],
      jenkinsQuietPeriodMs: 20,
    });
    stack.codepipeline.declarePipeline({ name: 'app-release', sourceActions: [{ name: 'Source', revisionTypes: ['COMMIT_ID'] }], variables: [{ name: 'RELEASE_TAG' }] });
    dataDir = mkdtempSync(path.join(tmpdir(), 'webhooks-e2e-'));
    const configFile = path.join(dataDir, 'bridge.yaml');
    writeFileSync(configFile, ROUTES_YAML);
    config = loadConfig(
      {
        ...stack.env,
        BRIDGE_CONFIG: configFile,
        BRIDGE_HTTP_HOST: '127.0.0.1',
        BRIDGE_HTTP_PORT: '0',
        BRIDGE_DATA_DIR: path.join(dataDir, 'data'),
        BRIDGE_POLL_INTERVAL_MS: '200',
        BRIDGE_WEBHOOK_GITHUB_SECRET: GITHUB_SECRET,
        BRIDGE_WEBHOOK_GITLAB_TOKEN: GITLAB_TOKEN,
      },
      { overrides: { jenkins: { requestTimeoutMs: 3_000 } } },
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

  const post = (endpoint: string, delivery: Delivery) =>
    fetch(`${bridge.url}${endpoint}`, { method: 'POST', headers: delivery.headers, body: delivery.rawBody }).then(async (res) => ({ status: res.status, body: (await res.json()) as Json }));
  const deliveries = async (query = ''): Promise<Json[]> => ((await (await fetch(`${bridge.url}/webhooks/deliveries${query}`)).json()) as Json).deliveries;
  const settled = async () => {
    await bridge.webhookDispatcher.idle();
    await stack.jenkins.waitForIdle(10_000);
  };
  const buildsWith = (jobName: string, name: string, value: string): SimBuildInfo[] => stack.jenkins.builds(jobName).filter((b) => b.params[name] === value);

  it('a GitHub push runs the routed Jenkins job with the templated parameters; the same delivery again triggers nothing', async () => {
    const payload = fixture<Json>('github-push.json');
    const delivery = githubDelivery(payload, { event: 'push', secret: GITHUB_SECRET, deliveryId: '3b9d6a40-c6a1-11f0-9a7e-5e1f0c9a2b11' });
    const first = await post('/webhooks/github', delivery);
    expect(first).toEqual({ status: 202, body: { status: 'accepted', deliveryId: '3b9d6a40-c6a1-11f0-9a7e-5e1f0c9a2b11', targets: 1 } });

    const [build] = await until(
      () => buildsWith('legacy/app', 'GIT_COMMIT', payload.after),
      (builds) => builds.length === 1 && builds[0]!.state === 'completed',
    );
    expect(build).toMatchObject({ result: 'SUCCESS', params: { GIT_COMMIT: payload.after, GIT_BRANCH: 'main', GIT_URL: 'https://github.com/acme/app.git' } });

    const again = await post('/webhooks/github', delivery);
    expect(again).toEqual({ status: 202, body: { status: 'duplicate', deliveryId: '3b9d6a40-c6a1-11f0-9a7e-5e1f0c9a2b11' } });
    await settled();
    expect(buildsWith('legacy/app', 'GIT_COMMIT', payload.after)).toHaveLength(1);

    const [duplicate, original] = await deliveries('?source=github&limit=2');
    expect(original).toMatchObject({
      status: 'triggered',
      deliveryIdFrom: 'X-GitHub-Delivery',
      targets: [{ kind: 'jenkins', job: 'legacy/app', state: 'triggered', attempts: 1, queueId: build!.queueId, url: `${stack.jenkins.url}queue/item/${build!.queueId}/` }],
    });
    expect(duplicate).toMatchObject({ status: 'duplicate', duplicateOf: original!.seq });
  });

  it('a GitLab resend (same Idempotency-Key, new X-Gitlab-Event-UUID) triggers nothing new', async () => {
    const payload = fixture<Json>('gitlab-push.json');
    const send = (eventUuid: string) => post('/webhooks/gitlab', gitlabDelivery(payload, { event: 'Push Hook', token: GITLAB_TOKEN, idempotencyKey: 'e2e-idem-7', eventUuid }));
    expect(await send('0c7a3e55-0001-4d1e-8f00-000000000001')).toMatchObject({ status: 202, body: { status: 'accepted', deliveryId: 'e2e-idem-7' } });
    await until(
      () => buildsWith('legacy/app-gitlab', 'COMMIT', payload.checkout_sha),
      (builds) => builds.length === 1,
    );
    expect(await send('0c7a3e55-0002-4d1e-8f00-000000000002')).toMatchObject({ status: 202, body: { status: 'duplicate' } });
    await settled();
    expect(buildsWith('legacy/app-gitlab', 'COMMIT', payload.checkout_sha).map((b) => b.params)).toEqual([{ BRANCH: 'release/1.4', COMMIT: payload.checkout_sha }]);
  });

  it('a push to a branch no route matches triggers nothing, and says why', async () => {
    const before = stack.jenkins.builds('legacy/app').length + stack.jenkins.builds('legacy/app-gitlab').length;
    const res = await post('/webhooks/github', githubDelivery({ ...fixture<Json>('github-push.json'), ref: 'refs/heads/feature/login' }, { event: 'push', secret: GITHUB_SECRET, deliveryId: 'e2e-feature-1' }));
    expect(res).toEqual({ status: 202, body: { status: 'ignored', deliveryId: 'e2e-feature-1', reason: 'no route matched' } });
    await settled();
    expect(stack.jenkins.builds('legacy/app').length + stack.jenkins.builds('legacy/app-gitlab').length).toBe(before);
    const [record] = await deliveries('?limit=1');
    expect(record).toMatchObject({ deliveryId: 'e2e-feature-1', status: 'ignored', targets: [] });
    expect(record!.notes).toContain('route "legacy-app": branch "feature/login" matches none of [main, release/*]');
  });

  it('a tag push starts the named pipeline on the local CodePipeline, once, with the tag and the tagged commit', async () => {
    const payload = fixture<Json>('github-push-tag.json');
    const delivery = githubDelivery(payload, { event: 'push', secret: GITHUB_SECRET, deliveryId: 'e2e-tag-1' });
    expect(await post('/webhooks/github', delivery)).toMatchObject({ status: 202, body: { status: 'accepted', targets: 1 } });
    const [execution] = await until(
      () => stack.codepipeline.listExecutions('app-release'),
      (executions) => executions.length > 0,
    );
    expect(execution).toMatchObject({
      pipelineName: 'app-release',
      status: 'InProgress',
      clientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      variables: [{ name: 'RELEASE_TAG', resolvedValue: 'v1.4.0' }],
      sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: payload.head_commit.id }],
    });
    await post('/webhooks/github', delivery);
    await settled();
    const admin = (await (await fetch(`${stack.codepipeline.url}/__local/executions?pipeline=app-release`)).json()) as { executions: Json[] };
    expect(admin.executions.map((e) => e.pipelineExecutionId)).toEqual([execution!.pipelineExecutionId]);
    const [, record] = await deliveries('?limit=2');
    expect(record).toMatchObject({ deliveryId: 'e2e-tag-1', status: 'triggered', targets: [{ kind: 'pipeline', pipeline: 'app-release', executionId: execution!.pipelineExecutionId }] });
  });

  it('a Jenkins outage during a delivery: the trigger is retried and runs once when Jenkins is back', async () => {
    const pushed = fixture<Json>('github-push.json');
    // Another commit than the first test's, so its build is told apart.
    const commit = 'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12';
    const payload = { ...pushed, after: commit, head_commit: { ...pushed.head_commit, id: commit } };
    stack.jenkins.setDown('reset');
    try {
      expect(await post('/webhooks/github', githubDelivery(payload, { event: 'push', secret: GITHUB_SECRET, deliveryId: 'e2e-outage-1' }))).toMatchObject({ status: 202, body: { status: 'accepted' } });
      const [waiting] = await until(
        () => deliveries('?limit=1'),
        (records) => (records[0]?.targets[0]?.attempts ?? 0) >= 2,
      );
      expect(waiting).toMatchObject({ status: 'accepted', targets: [{ state: 'pending', lastError: expect.stringMatching(/Jenkins is unreachable/) }] });
    } finally {
      stack.jenkins.setDown(false);
    }
    const [build] = await until(
      () => buildsWith('legacy/app', 'GIT_COMMIT', commit),
      (builds) => builds.length === 1 && builds[0]!.state === 'completed',
    );
    await settled();
    expect(buildsWith('legacy/app', 'GIT_COMMIT', commit)).toHaveLength(1);
    const [record] = await deliveries('?limit=1');
    expect(record).toMatchObject({ status: 'triggered', targets: [{ state: 'triggered', queueId: build!.queueId }] });
    expect(record!.targets[0].attempts).toBeGreaterThanOrEqual(2);
    expect(logger.text()).not.toContain(GITHUB_SECRET);
    expect(logger.text()).not.toContain(GITLAB_TOKEN);
  });

  it('a bridge stopped while Jenkins is down leaves the target pending in the ledger; the next bridge on the same data dir triggers it once', async () => {
    const pushed = fixture<Json>('github-push.json');
    const commit = 'cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34';
    const payload = { ...pushed, after: commit, head_commit: { ...pushed.head_commit, id: commit } };
    stack.jenkins.setDown('reset');
    try {
      await post('/webhooks/github', githubDelivery(payload, { event: 'push', secret: GITHUB_SECRET, deliveryId: 'e2e-restart-1' }));
      await until(
        () => deliveries('?limit=1'),
        (records) => records[0]?.targets[0]?.lastError !== undefined,
      );
      await bridge.stop({ graceMs: 500 });
    } finally {
      stack.jenkins.setDown(false);
    }
    expect(buildsWith('legacy/app', 'GIT_COMMIT', commit)).toHaveLength(0);

    bridge = new Bridge(config, createAdapters(config, logger), { logger, redactor });
    await bridge.start();
    const [build] = await until(
      () => buildsWith('legacy/app', 'GIT_COMMIT', commit),
      (builds) => builds.length === 1 && builds[0]!.state === 'completed',
    );
    await settled();
    expect(buildsWith('legacy/app', 'GIT_COMMIT', commit)).toHaveLength(1);
    const [record] = await deliveries('?limit=1');
    expect(record).toMatchObject({ deliveryId: 'e2e-restart-1', status: 'triggered', targets: [{ state: 'triggered', queueId: build!.queueId }] });
    expect(logger.entries.find((e) => e.message === 'webhook deliveries: resuming pending targets')?.meta).toMatchObject({ targets: 1, interrupted: 1 });
  });
});
