import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApp } from '../../src/http/create-app';
import { Readiness } from '../../src/http/readiness';
import { ActiveJobs } from '../../src/core/jobs/active-jobs';
import { ArtifactTokens } from '../../src/core/jobs/artifact-tokens';
import { TransientError } from '../../src/core/errors';
import { systemClock } from '../../src/core/system-clock';
import { configSchema } from '../../src/config/schema';
import { createWebhookDelivery } from '../../src/webhooks/delivery';
import { targetKey, triggerToken } from '../../src/webhooks/routing';
import { FakeArtifactStore } from '../fakes/fake-artifact-store';
import { FakeBuildRunner } from '../fakes/fake-build-runner';
import { FakeDeliveryStore } from '../fakes/fake-delivery-store';
import { FakePipelineStarter } from '../fakes/fake-pipeline-starter';
import { CaptureLogger } from '../support/capture-logger';
import {
  bitbucketCloudDelivery,
  bitbucketDcDelivery,
  fixture,
  githubDelivery,
  gitlabDelivery,
  hmacHex,
  jsonBytes,
  type Delivery,
} from '../support/webhook-deliveries';

const GITHUB_SECRET = 'gh-routes-secret-5e1a';
const GITLAB_TOKEN = 'gl-routes-token-77c0';
const BITBUCKET_SECRET = 'bb-routes-secret-09f2';
const GENERIC_TOKEN = 'generic-routes-token-31d4';
const SECRETS = [GITHUB_SECRET, GITLAB_TOKEN, BITBUCKET_SECRET, GENERIC_TOKEN];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROUTES = [
  {
    name: 'legacy-app',
    match: { source: 'github', repository: 'acme/app', events: ['push'], branches: ['main', 'release/*'], tags: [], paths: ['src/**'] },
    jenkins: { job: 'legacy/app', parameters: { GIT_COMMIT: '{{commit}}', GIT_BRANCH: '{{branch}}', GIT_URL: '{{cloneUrl}}', DELIVERY: '{{deliveryId}}' } },
  },
  {
    name: 'gitlab-release',
    match: { source: 'gitlab', repository: 'acme/app', events: ['push'], branches: ['release/*'] },
    jenkins: { job: 'legacy/app-gitlab', parameters: { BRANCH: '{{branch}}', COMMIT: '{{commit}}' } },
  },
  {
    name: 'start-pipeline',
    match: { source: ['github', 'gitlab'], repository: 'acme/app', events: ['tag'], tags: ['v*'] },
    pipeline: { name: 'app-release', variables: { RELEASE_TAG: '{{tag}}' } },
  },
  {
    name: 'bitbucket-main',
    match: { source: 'bitbucket', events: ['push'], branches: ['main'], paths: ['src/**'] },
    jenkins: { job: 'legacy/bb', parameters: { REF: '{{branch}}' } },
  },
  {
    name: 'deploy-tool',
    match: { source: 'generic:deploy' },
    jenkins: { job: 'deploy/billing', parameters: { ENV: '{{environment}}', COMMIT: '{{commit}}' } },
  },
];

interface SetupOptions {
  gitlab?: boolean;
  perMinute?: number;
  maxBodyBytes?: number;
  store?: FakeDeliveryStore;
}

function setup(options: SetupOptions = {}) {
  const config = configSchema.parse({
    jenkins: { url: 'http://jenkins.test/', user: 'bridge', apiToken: 'jenkins-api-token-0000' },
    webhooks: {
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
      github: { secret: GITHUB_SECRET },
      gitlab: options.gitlab === false ? {} : { token: GITLAB_TOKEN },
      bitbucket: { secret: BITBUCKET_SECRET },
      generic: {
        deploy: {
          secret: GENERIC_TOKEN,
          deliveryIdHeader: 'X-Request-Id',
          variables: { ref: '$.git.ref', repository: '$.git.repo', commit: '$.git.sha', environment: '$.service.environment' },
          changedPaths: '$.files[*].path',
        },
      },
      routes: ROUTES,
      rateLimit: { perMinute: options.perMinute ?? 1000 },
      trigger: { concurrency: 2, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } },
    },
  });
  const logger = new CaptureLogger();
  const runner = new FakeBuildRunner().define('legacy/app').define('legacy/app-gitlab').define('legacy/bb').define('deploy/billing');
  const starter = new FakePipelineStarter();
  const store = options.store ?? new FakeDeliveryStore();
  const { intake, dispatcher } = createWebhookDelivery(config.webhooks, { store, runner, starter, clock: systemClock, logger });
  const app = createApp({
    readiness: new Readiness([], systemClock, logger),
    active: new ActiveJobs(),
    tokens: new ArtifactTokens('webhook-routes-secret-0123456789'),
    store: new FakeArtifactStore(),
    logger,
    webhooks: config.webhooks,
    webhookIntake: intake,
  });
  /** Sends a delivery exactly as built (raw bytes, the sender's headers). */
  const send = (path: string, delivery: Delivery) => raw(request(app).post(path).set(delivery.headers), delivery.rawBody);
  const listing = async (query = ''): Promise<Json[]> => (await request(app).get(`/webhooks/deliveries${query}`).expect(200)).body.deliveries;
  return { app, runner, starter, store, logger, dispatcher, send, listing };
}

/**
 * Puts the bytes on the wire as they are: superagent would JSON-serialise a Buffer sent with a
 * JSON content type (`{"type":"Buffer","data":[…]}`).
 */
function raw(test: request.Test, body: Buffer): request.Test {
  return test.serialize((b: unknown) => b as string).send(body);
}

const githubPush = (overrides: Json = {}, options: { deliveryId?: string; form?: boolean; secret?: string } = {}) =>
  githubDelivery({ ...fixture<Json>('github-push.json'), ...overrides }, { event: 'push', secret: options.secret ?? GITHUB_SECRET, ...options });

/** Nothing from the request's secrets or signatures in what the bridge logged or lists. */
function expectNoSecrets(text: string, ...signatures: string[]): void {
  for (const secret of [...SECRETS, ...signatures]) expect(text).not.toContain(secret);
}

describe('POST /webhooks/github', () => {
  it('accepts a signed push with a non-ASCII commit message, answers 202 at once, then triggers the routed job with the templated parameters', async () => {
    const { send, runner, dispatcher, store } = setup();
    const delivery = githubPush({}, { deliveryId: 'd7f1c0a0-0001-11f0-8a2b-0242ac120002' });
    expect(delivery.rawBody.toString('utf8')).toContain('Überlauf');

    const res = await send('/webhooks/github', delivery).expect(202);
    expect(res.body).toEqual({ status: 'accepted', deliveryId: 'd7f1c0a0-0001-11f0-8a2b-0242ac120002', targets: 1 });
    await dispatcher.idle();

    expect(runner.builds).toHaveLength(1);
    expect(runner.builds[0]).toMatchObject({
      project: 'legacy/app',
      parameters: {
        GIT_COMMIT: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
        GIT_BRANCH: 'main',
        GIT_URL: 'https://github.com/acme/app.git',
        DELIVERY: 'd7f1c0a0-0001-11f0-8a2b-0242ac120002',
      },
    });
    const [record] = store.recent({ limit: 1 });
    expect(record).toMatchObject({ status: 'triggered', source: 'github', deliveryIdFrom: 'X-GitHub-Delivery', senderEvent: 'push', httpStatus: 202 });
    expect(record!.targets).toEqual([expect.objectContaining({ state: 'triggered', attempts: 1, queueId: runner.builds[0]!.queueId, routes: ['legacy-app'] })]);
  });

  it("takes GitHub's published test vector: the signature passes (the body is then 400, not JSON); one changed hex digit is 401", async () => {
    const config = configSchema.parse({
      jenkins: { url: 'http://jenkins.test/', user: 'bridge', apiToken: 'jenkins-api-token-0000' },
      webhooks: { github: { secret: "It's a Secret to Everybody" } },
    });
    const store = new FakeDeliveryStore();
    const { intake } = createWebhookDelivery(config.webhooks, { store, runner: new FakeBuildRunner(), clock: systemClock, logger: new CaptureLogger() });
    const logger = new CaptureLogger();
    const app = createApp({ readiness: new Readiness([], systemClock, logger), active: new ActiveJobs(), tokens: new ArtifactTokens('vector-secret-0123456789'), store: new FakeArtifactStore(), logger, webhookIntake: intake });
    const post = (signature: string) =>
      raw(
        request(app).post('/webhooks/github').set({ 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'vector-1', 'x-hub-signature-256': signature }),
        Buffer.from('Hello, World!', 'utf8'),
      );

    const good = await post('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17').expect(400);
    expect(good.body).toMatchObject({ error: 'malformed', reason: expect.stringContaining('not valid JSON') });
    // The body is not quoted back, nor recorded.
    expect(JSON.stringify(good.body)).not.toContain('Hello');
    const bad = await post('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18').expect(401);
    expect(bad.body).toEqual({ error: 'unauthorized', reason: expect.stringContaining('does not match the body') });
    expect(store.recent({ limit: 5 }).map((r) => [r.status, r.httpStatus])).toEqual([
      ['rejected', 401],
      ['rejected', 400],
    ]);
    expect(JSON.stringify(store.recent({ limit: 5 }))).not.toContain('Hello');
  });

  it('verifies the form-encoded variant over its form bytes and triggers the same job', async () => {
    const { send, runner, dispatcher } = setup();
    const delivery = githubPush({}, { form: true });
    expect(delivery.headers['content-type']).toBe('application/x-www-form-urlencoded');
    await send('/webhooks/github', delivery).expect(202);
    await dispatcher.idle();
    expect(runner.builds.map((b) => [b.project, b.parameters['GIT_BRANCH']])).toEqual([['legacy/app', 'main']]);
  });

  it('401s a body that was re-serialised (non-ASCII \\u-escaped: equal JSON, other bytes), a missing signature and a SHA-1-only one; nothing is triggered and no secret or signature is logged', async () => {
    const { send, runner, dispatcher, store, logger, listing } = setup();
    const delivery = githubPush({}, { deliveryId: 'reserialised-1' });
    const escaped = Buffer.from(delivery.rawBody.toString('utf8').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), 'utf8');
    const res = await send('/webhooks/github', { rawBody: escaped, headers: delivery.headers }).expect(401);
    expect(res.body.reason).toMatch(/X-Hub-Signature-256 does not match the body/);

    const { 'x-hub-signature-256': signature256, 'x-hub-signature': signature1, ...unsigned } = delivery.headers;
    expect((await send('/webhooks/github', { rawBody: delivery.rawBody, headers: unsigned }).expect(401)).body.reason).toMatch(/missing X-Hub-Signature-256/);
    const sha1Only = { ...unsigned, 'x-hub-signature': signature1! };
    expect((await send('/webhooks/github', { rawBody: delivery.rawBody, headers: sha1Only }).expect(401)).body.reason).toMatch(/SHA-1 is not accepted/);

    await dispatcher.idle();
    expect(runner.builds).toHaveLength(0);
    expect(store.recent({ limit: 10 }).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const rejections = logger.entries.filter((e) => e.message === 'webhook delivery rejected');
    expect(rejections).toHaveLength(3);
    for (const entry of rejections) expect(entry.meta).toMatchObject({ source: 'github', deliveryId: 'reserialised-1', status: 401 });
    expectNoSecrets(logger.text() + JSON.stringify(await listing()), signature256!, signature1!.slice(5));
  });

  it('answers a ping 200 and records it as ignored', async () => {
    const { send, store } = setup();
    const res = await send('/webhooks/github', githubDelivery(fixture('github-ping.json'), { event: 'ping', secret: GITHUB_SECRET, deliveryId: 'ping-1' })).expect(200);
    expect(res.body).toEqual({ status: 'pong', deliveryId: 'ping-1' });
    expect(store.recent({ limit: 1 })[0]).toMatchObject({ status: 'ignored', httpStatus: 200, reason: 'ping: Design for failure.' });
  });

  it('202s an unsupported event as ignored, with the reason', async () => {
    const { send, runner, store } = setup();
    const res = await send('/webhooks/github', githubDelivery({ action: 'opened', issue: { number: 1 } }, { event: 'issues', secret: GITHUB_SECRET, deliveryId: 'issue-1' })).expect(202);
    expect(res.body).toEqual({ status: 'ignored', deliveryId: 'issue-1', reason: expect.stringContaining('GitHub event "issues" is not routed') });
    expect(runner.builds).toHaveLength(0);
    expect(store.recent({ limit: 1 })[0]).toMatchObject({ status: 'ignored', senderEvent: 'issues' });
  });

  it('202s a push to a branch no route matches as ignored, recording why each route passed it by', async () => {
    const { send, runner, dispatcher, listing } = setup();
    const res = await send('/webhooks/github', githubPush({ ref: 'refs/heads/feature/x' }, { deliveryId: 'feature-1' })).expect(202);
    expect(res.body).toEqual({ status: 'ignored', deliveryId: 'feature-1', reason: 'no route matched' });
    await dispatcher.idle();
    expect(runner.builds).toHaveLength(0);
    const [view] = await listing();
    expect(view).toMatchObject({ status: 'ignored', reason: 'no route matched', targets: [] });
    expect(view!.notes).toContain('route "legacy-app": branch "feature/x" matches none of [main, release/*]');
  });

  it('400s malformed JSON that is correctly signed, without quoting the body', async () => {
    const { send, store } = setup();
    const rawBody = Buffer.from('{"ref": "refs/heads/main", "secretish": ', 'utf8');
    const res = await send('/webhooks/github', {
      rawBody,
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'broken-1', 'x-hub-signature-256': `sha256=${hmacHex('sha256', GITHUB_SECRET, rawBody)}` },
    }).expect(400);
    expect(res.body).toMatchObject({ error: 'malformed' });
    const [record] = store.recent({ limit: 1 });
    expect(record).toMatchObject({ status: 'rejected', httpStatus: 400, deliveryId: 'broken-1' });
    expect(JSON.stringify([res.body, record])).not.toContain('secretish');
  });

  it('413s a body over webhooks.maxBodyBytes before verifying it, and records the rejection by its headers', async () => {
    const { send, runner, store } = setup({ maxBodyBytes: 4 * 1024 });
    const big = githubPush({ padding: 'x'.repeat(8 * 1024) }, { deliveryId: 'too-big-1' });
    const res = await send('/webhooks/github', big).expect(413);
    expect(res.body).toEqual({ error: 'body larger than 4096 bytes (webhooks.maxBodyBytes)' });
    expect(res.headers['connection']).toBe('close');
    expect(runner.builds).toHaveLength(0);
    expect(store.recent({ limit: 1 })[0]).toMatchObject({ status: 'rejected', httpStatus: 413, deliveryId: 'too-big-1', deliveryIdFrom: 'X-GitHub-Delivery' });
  });

  it('triggers once for the same delivery sent twice; the second is answered 202 duplicate and recorded against the first', async () => {
    const { send, runner, dispatcher, listing } = setup();
    const delivery = githubPush({}, { deliveryId: 'redeliver-1' });
    await send('/webhooks/github', delivery).expect(202);
    await dispatcher.idle();
    const again = await send('/webhooks/github', delivery).expect(202);
    expect(again.body).toEqual({ status: 'duplicate', deliveryId: 'redeliver-1' });
    await dispatcher.idle();
    expect(runner.builds).toHaveLength(1);
    const [duplicate, original] = await listing();
    expect(original).toMatchObject({ status: 'triggered', deliveryId: 'redeliver-1' });
    expect(duplicate).toMatchObject({ status: 'duplicate', deliveryId: 'redeliver-1', duplicateOf: original!.seq, reason: expect.stringContaining('nothing new triggered'), targets: [] });
  });

  it('retries a transient Jenkins failure with backoff and triggers once it answers', async () => {
    const { send, runner, dispatcher, store } = setup();
    runner.failures.trigger = [new TransientError('Jenkins is unreachable (ECONNREFUSED)', 'jenkins'), new TransientError('HTTP 503', 'jenkins')];
    await send('/webhooks/github', githubPush({}, { deliveryId: 'flaky-1' })).expect(202);
    await dispatcher.idle();
    expect(runner.builds).toHaveLength(1);
    expect(store.recent({ limit: 1 })[0]).toMatchObject({ status: 'triggered', targets: [expect.objectContaining({ state: 'triggered', attempts: 3 })] });
  });

  it('fails a target Jenkins refuses (unknown job) without retrying; a redelivery after the fix retries only the failed target', async () => {
    const { send, runner, dispatcher, listing } = setup();
    runner.projects.delete('legacy/app');
    await send('/webhooks/github', githubPush({}, { deliveryId: 'missing-job-1' })).expect(202);
    await dispatcher.idle();
    const [failed] = await listing();
    expect(failed).toMatchObject({ status: 'failed', reason: expect.stringContaining('1 of 1 target(s) failed: Jenkins job "legacy/app" not found') });
    expect(failed!.targets[0]).toMatchObject({ state: 'failed', attempts: 1, lastError: 'Jenkins job "legacy/app" not found' });

    runner.define('legacy/app');
    const again = await send('/webhooks/github', githubPush({}, { deliveryId: 'missing-job-1' })).expect(202);
    expect(again.body).toEqual({ status: 'duplicate', deliveryId: 'missing-job-1', retrying: 1 });
    await dispatcher.idle();
    expect(runner.builds).toHaveLength(1);
    const [duplicate, owner] = await listing();
    expect(duplicate).toMatchObject({ status: 'duplicate', reason: expect.stringContaining('retrying 1 failed target(s)') });
    expect(owner).toMatchObject({ status: 'triggered', targets: [expect.objectContaining({ state: 'triggered', attempts: 2 })] });
  });

  it('answers 503 and triggers nothing when the delivery cannot be recorded; the next request works', async () => {
    const store = new FakeDeliveryStore();
    const { send, runner, dispatcher, logger } = setup({ store });
    store.failures.accept = [new Error('SQLITE_FULL: database or disk is full')];
    const res = await send('/webhooks/github', githubPush({}, { deliveryId: 'disk-full-1' })).expect(503);
    expect(res.body.error).toMatch(/could not be recorded; nothing was triggered/);
    expect(logger.entries.find((e) => e.message.startsWith('webhook delivery could not be recorded'))?.meta).toMatchObject({ deliveryId: 'disk-full-1' });
    await send('/webhooks/github', githubPush({}, { deliveryId: 'disk-full-1' })).expect(202);
    await dispatcher.idle();
    expect(runner.builds).toHaveLength(1);
  });
});

describe('POST /webhooks/gitlab', () => {
  const push = () => fixture('gitlab-push.json');

  it('triggers on a push with the right X-Gitlab-Token; a resend (same Idempotency-Key, new X-Gitlab-Event-UUID) triggers nothing new', async () => {
    const { send, runner, dispatcher, store } = setup();
    const first = gitlabDelivery(push(), { event: 'Push Hook', token: GITLAB_TOKEN, idempotencyKey: 'idem-1', eventUuid: 'uuid-a' });
    expect((await send('/webhooks/gitlab', first).expect(202)).body).toEqual({ status: 'accepted', deliveryId: 'idem-1', targets: 1 });
    const resend = gitlabDelivery(push(), { event: 'Push Hook', token: GITLAB_TOKEN, idempotencyKey: 'idem-1', eventUuid: 'uuid-b' });
    expect((await send('/webhooks/gitlab', resend).expect(202)).body).toEqual({ status: 'duplicate', deliveryId: 'idem-1' });
    await dispatcher.idle();
    expect(runner.builds.map((b) => [b.project, b.parameters])).toEqual([['legacy/app-gitlab', { BRANCH: 'release/1.4', COMMIT: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' }]]);
    expect(store.recent({ limit: 2 }).map((r) => [r.status, r.deliveryIdFrom])).toEqual([
      ['duplicate', 'Idempotency-Key'],
      ['triggered', 'Idempotency-Key'],
    ]);
  });

  it('falls back to X-Gitlab-Event-UUID without Idempotency-Key (older GitLab), so a manual resend there is a new delivery', async () => {
    const { send, runner, dispatcher } = setup();
    const old = (uuid: string) => gitlabDelivery(push(), { event: 'Push Hook', token: GITLAB_TOKEN, idempotencyKey: null, eventUuid: uuid });
    expect((await send('/webhooks/gitlab', old('uuid-1')).expect(202)).body).toMatchObject({ status: 'accepted', deliveryId: 'uuid-1' });
    expect((await send('/webhooks/gitlab', old('uuid-1')).expect(202)).body).toMatchObject({ status: 'duplicate' });
    expect((await send('/webhooks/gitlab', old('uuid-2')).expect(202)).body).toMatchObject({ status: 'accepted', deliveryId: 'uuid-2' });
    await dispatcher.idle();
    expect(runner.builds).toHaveLength(2);
  });

  it('401s a wrong or missing token', async () => {
    const { send, runner } = setup();
    expect((await send('/webhooks/gitlab', gitlabDelivery(push(), { event: 'Push Hook', token: 'not-the-token' })).expect(401)).body.reason).toMatch(/does not match/);
    expect((await send('/webhooks/gitlab', gitlabDelivery(push(), { event: 'Push Hook' })).expect(401)).body.reason).toMatch(/missing X-Gitlab-Token/);
    expect(runner.builds).toHaveLength(0);
  });

  it('starts the named pipeline on a tag push, idempotent by clientRequestToken = triggerToken(delivery, target)', async () => {
    const { send, starter, dispatcher, listing } = setup();
    const delivery = gitlabDelivery(fixture('gitlab-tag-push.json'), { event: 'Tag Push Hook', token: GITLAB_TOKEN, idempotencyKey: 'tag-idem-1' });
    await send('/webhooks/gitlab', delivery).expect(202);
    await dispatcher.idle();
    const target = { kind: 'pipeline' as const, name: 'app-release', sourceRevisions: [], variables: [{ name: 'RELEASE_TAG', value: 'v1.4.0' }] };
    expect(starter.calls).toEqual([{ pipeline: 'app-release', clientRequestToken: triggerToken('gitlab:tag-idem-1', targetKey(target)), variables: [{ name: 'RELEASE_TAG', value: 'v1.4.0' }] }]);
    expect(starter.calls[0]!.clientRequestToken).toMatch(/^[0-9a-f]{64}$/);
    const [view] = await listing('?source=gitlab');
    expect(view).toMatchObject({ status: 'triggered', targets: [{ kind: 'pipeline', pipeline: 'app-release', variables: ['RELEASE_TAG'], state: 'triggered', executionId: [...starter.executions.values()][0]!.executionId }] });
  });

  it('404s when no GitLab token is configured', async () => {
    const { send } = setup({ gitlab: false });
    expect((await send('/webhooks/gitlab', gitlabDelivery(push(), { event: 'Push Hook', token: GITLAB_TOKEN })).expect(404)).body).toEqual({ error: 'not found' });
  });
});

describe('POST /webhooks/bitbucket', () => {
  it('routes a Cloud push per branch, noting that paths could not be checked; the tag in the same push matches no route (the pipeline route is for GitHub and GitLab)', async () => {
    const { send, runner, dispatcher, listing } = setup();
    await send('/webhooks/bitbucket', bitbucketCloudDelivery(fixture('bitbucket-cloud-push.json'), { eventKey: 'repo:push', secret: BITBUCKET_SECRET, requestId: 'bb-cloud-1' })).expect(202);
    await dispatcher.idle();
    expect(runner.builds.map((b) => [b.project, b.parameters])).toEqual([['legacy/bb', { REF: 'main' }]]);
    const [view] = await listing('?source=bitbucket');
    expect(view).toMatchObject({ deliveryIdFrom: 'X-Request-UUID', status: 'triggered' });
    expect(view!.notes).toEqual(expect.arrayContaining(['paths not checked: the payload lists no changed files']));
  });

  it('routes a Data Center refs_changed push; a wrong signature is 401', async () => {
    const { send, runner, dispatcher } = setup();
    const payload = fixture('bitbucket-dc-refs-changed.json');
    await send('/webhooks/bitbucket', bitbucketDcDelivery(payload, { eventKey: 'repo:refs_changed', secret: 'wrong-secret' })).expect(401);
    const res = await send('/webhooks/bitbucket', bitbucketDcDelivery(payload, { eventKey: 'repo:refs_changed', secret: BITBUCKET_SECRET, requestId: 'bb-dc-1' })).expect(202);
    expect(res.body).toMatchObject({ status: 'accepted', deliveryId: 'bb-dc-1' });
    await dispatcher.idle();
    expect(runner.builds.map((b) => [b.project, b.parameters])).toEqual([['legacy/bb', { REF: 'main' }]]);
  });
});

describe('POST /webhooks/generic/:name', () => {
  const body = () => jsonBytes(fixture('generic-deploy.json'));

  it('takes the token from its header, Authorization: Bearer, or ?token=, and maps body fields to the parameters', async () => {
    const { app, runner, dispatcher } = setup();
    await raw(request(app).post('/webhooks/generic/deploy').set({ 'content-type': 'application/json', token: GENERIC_TOKEN, 'x-request-id': 'g-1' }), body()).expect(202);
    await raw(request(app).post('/webhooks/generic/deploy').set({ 'content-type': 'application/json', authorization: `Bearer ${GENERIC_TOKEN}`, 'x-request-id': 'g-2' }), body()).expect(202);
    await raw(request(app).post(`/webhooks/generic/deploy?token=${GENERIC_TOKEN}`).set({ 'content-type': 'application/json', 'x-request-id': 'g-3' }), body()).expect(202);
    await dispatcher.idle();
    expect(runner.builds.map((b) => b.parameters)).toEqual(Array(3).fill({ ENV: 'staging', COMMIT: '3f786850e387550fdab836ed7e6dc881de23001b' }));
  });

  it('401s a wrong token and 404s an unknown source name', async () => {
    const { app, runner } = setup();
    await raw(request(app).post('/webhooks/generic/deploy').set({ 'content-type': 'application/json', token: 'nope' }), body()).expect(401);
    await raw(request(app).post('/webhooks/generic/unknown').set({ 'content-type': 'application/json', token: GENERIC_TOKEN }), body()).expect(404);
    await raw(request(app).post('/webhooks/elsewhere').set({ 'content-type': 'application/json' }), body()).expect(404);
    expect(runner.builds).toHaveLength(0);
  });

  it('uses the SHA-256 of the body as the delivery id when the sender gives none: the same bytes again are a duplicate', async () => {
    const { app, runner, dispatcher } = setup();
    const post = () => raw(request(app).post('/webhooks/generic/deploy').set({ 'content-type': 'application/json', token: GENERIC_TOKEN }), body());
    const first = await post().expect(202);
    expect(first.body.deliveryId).toMatch(/^[0-9a-f]{64}$/);
    expect((await post().expect(202)).body).toEqual({ status: 'duplicate', deliveryId: first.body.deliveryId });
    await dispatcher.idle();
    expect(runner.builds).toHaveLength(1);
  });
});

describe('rate limiting per source', () => {
  it('429s with Retry-After once the source bucket is empty, records nothing for it, and leaves other sources alone', async () => {
    const { send, store, logger } = setup({ perMinute: 2 });
    await send('/webhooks/github', githubPush({}, { deliveryId: 'rl-1' })).expect(202);
    await send('/webhooks/github', githubPush({}, { deliveryId: 'rl-2' })).expect(202);
    const limited = await send('/webhooks/github', githubPush({}, { deliveryId: 'rl-3' })).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.body).toEqual({ error: 'rate limited', retryAfterSeconds: Number(limited.headers['retry-after']) });
    expect(store.recent({ limit: 10 }).map((r) => r.deliveryId)).toEqual(['rl-2', 'rl-1']);
    expect(logger.entries.find((e) => e.message === 'webhook request rate limited')).toMatchObject({ level: 'debug', meta: { source: 'github', deliveryId: 'rl-3' } });
    await send('/webhooks/gitlab', gitlabDelivery(fixture('gitlab-push.json'), { event: 'Push Hook', token: GITLAB_TOKEN })).expect(202);
  });
});

describe('GET /webhooks/deliveries', () => {
  it('lists newest first, filtered by source and limited, with what each triggered and no secrets, signatures or parameter values', async () => {
    const { send, dispatcher, listing, app } = setup();
    const pushed = githubPush({}, { deliveryId: 'list-1' });
    await send('/webhooks/github', pushed).expect(202);
    await send('/webhooks/gitlab', gitlabDelivery(fixture('gitlab-push.json'), { event: 'Push Hook', token: GITLAB_TOKEN, idempotencyKey: 'list-2' })).expect(202);
    await send('/webhooks/github', githubPush({}, { deliveryId: 'list-3', secret: 'forged' })).expect(401);
    await dispatcher.idle();

    const all = await listing();
    expect(all.map((d) => [d.deliveryId, d.status])).toEqual([
      ['list-3', 'rejected'],
      ['list-2', 'triggered'],
      ['list-1', 'triggered'],
    ]);
    expect(all[2]).toMatchObject({
      source: 'github',
      senderEvent: 'push',
      httpStatus: 202,
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      targets: [{ kind: 'jenkins', job: 'legacy/app', parameters: ['GIT_COMMIT', 'GIT_BRANCH', 'GIT_URL', 'DELIVERY'], routes: ['legacy-app'], state: 'triggered', attempts: 1, queueId: expect.any(Number) }],
    });
    expect(all[0]).toMatchObject({ status: 'rejected', httpStatus: 401, reason: expect.stringContaining('does not match the body'), targets: [] });
    expect((await listing('?source=gitlab')).map((d) => d.deliveryId)).toEqual(['list-2']);
    expect((await listing('?limit=1')).map((d) => d.deliveryId)).toEqual(['list-3']);
    const text = JSON.stringify(all);
    expectNoSecrets(text, pushed.headers['x-hub-signature-256']!);
    expect(text).not.toContain('0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c');
    expect(text).not.toContain('Überlauf');

    await request(app).get('/webhooks/deliveries?limit=0').expect(400);
    await request(app).get('/webhooks/deliveries?source=svn').expect(400);
  });

  it('is absent (404) when the app has no webhook intake', async () => {
    const logger = new CaptureLogger();
    const app = createApp({ readiness: new Readiness([], systemClock, logger), active: new ActiveJobs(), tokens: new ArtifactTokens('no-intake-secret-0123456789'), store: new FakeArtifactStore(), logger });
    await request(app).get('/webhooks/deliveries').expect(404);
    await request(app).post('/webhooks/github').send('{}').expect(404);
  });
});

describe('failures never escape', () => {
  it('a target whose trigger throws something unexpected fails with "internal error", and later deliveries still work', async () => {
    const { send, runner, dispatcher, store, logger } = setup();
    runner.failures.trigger = [new TypeError("Cannot read properties of undefined (reading 'x')")];
    await send('/webhooks/github', githubPush({}, { deliveryId: 'bug-1' })).expect(202);
    await dispatcher.idle();
    expect(store.recent({ limit: 1 })[0]!.targets[0]).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringMatching(/^internal error: /) });
    expect(logger.entries.find((e) => e.message === 'webhook target failed')).toMatchObject({ level: 'error', meta: { deliveryId: 'bug-1', source: 'github' } });
    await send('/webhooks/github', githubPush({}, { deliveryId: 'bug-2' })).expect(202);
    await dispatcher.idle();
    expect(runner.builds.at(-1)!.parameters['DELIVERY']).toBe('bug-2');
  });
});
