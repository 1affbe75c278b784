import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApp } from '../../src/http/create-app';
import { Readiness } from '../../src/http/readiness';
import { ActiveJobs } from '../../src/core/jobs/active-jobs';
import { ArtifactTokens } from '../../src/core/jobs/artifact-tokens';
import type { BuildNotice } from '../../src/core/jobs/build-notice';
import { systemClock } from '../../src/core/system-clock';
import { jobPath } from '../../src/adapters/jenkins/job-path';
import { projectFromJobUrl } from '../../src/webhooks/jenkins';
import { FakeArtifactStore } from '../fakes/fake-artifact-store';
import { CaptureLogger } from '../support/capture-logger';

const TOKEN = 'jenkins-notify-7c1f0e9a5b';
const FIXTURE = '/work/shared/reference/jenkins-fixtures/notification-completed.json';
const JSON_UTF8 = 'application/json;charset=UTF-8';
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

function setup(options: { token?: string; maxBodyBytes?: number; sink?: (n: BuildNotice) => void } = { token: TOKEN }) {
  const logger = new CaptureLogger();
  const notices: BuildNotice[] = [];
  const app = createApp({
    readiness: new Readiness([], systemClock, logger),
    active: new ActiveJobs(),
    tokens: new ArtifactTokens('route-test-secret-0123456789'),
    store: new FakeArtifactStore(),
    logger,
    webhooks: { maxBodyBytes: options.maxBodyBytes ?? 64 * 1024, jenkins: options.token === undefined ? {} : { token: options.token } },
    notices: { notice: options.sink ?? ((n) => notices.push(n)) },
  });
  return { app, notices, logger };
}

/** A plugin-shaped body (JobState: snake_case, nulls omitted). */
function payload(phase: string, overrides: { url?: string | undefined; build?: Record<string, unknown> } = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: 'app-build',
    display_name: 'app-build',
    url: 'job/team/job/app-build/',
    build: {
      full_url: 'https://jenkins.example.com/job/team/job/app-build/42/',
      number: 42,
      queue_id: 1234,
      timestamp: 1767232800000,
      duration: 0,
      phase,
      url: 'job/team/job/app-build/42/',
      scm: { changes: [], culprits: [] },
      parameters: { CODEPIPELINE_JOB_ID: '0f3c2f6e-1d2a-4c43-9b1e-6f2c8d1e5a77', CODEPIPELINE_STAGE: 'Build' },
      log: '',
      artifacts: {},
      ...overrides.build,
    },
  };
  if ('url' in overrides) {
    if (overrides.url === undefined) delete body['url'];
    else body['url'] = overrides.url;
  }
  return body;
}

const post = (app: ReturnType<typeof setup>['app'], path = `/webhooks/jenkins?token=${TOKEN}`) =>
  request(app).post(path).set('Content-Type', JSON_UTF8);

describe('POST /webhooks/jenkins: authentication', () => {
  it('accepts the token in the query and hands the notice to the sink', async () => {
    const { app, notices } = setup();
    const res = await post(app).send(JSON.stringify(payload('COMPLETED', { build: { status: 'SUCCESS', duration: 5120 } }))).expect(202);
    expect(res.body).toEqual({ status: 'accepted' });
    expect(notices).toEqual([
      {
        project: 'team/app-build',
        buildNumber: 42,
        queueId: 1234,
        phase: 'completed',
        parameters: { CODEPIPELINE_JOB_ID: '0f3c2f6e-1d2a-4c43-9b1e-6f2c8d1e5a77', CODEPIPELINE_STAGE: 'Build' },
      },
    ]);
  });

  it('accepts the token as the HTTP Basic password with any user name, also percent-encoded as Java sends URL userinfo', async () => {
    const { app, notices } = setup({ token: 'p@ss:w%rd' });
    await post(app, '/webhooks/jenkins').set('Authorization', basic('jenkins', 'p@ss:w%rd')).send(JSON.stringify(payload('STARTED'))).expect(202);
    await post(app, '/webhooks/jenkins').set('Authorization', basic('anyone-at-all', 'p@ss:w%rd')).send(JSON.stringify(payload('STARTED'))).expect(202);
    // `https://jenkins:p%40ss%3Aw%25rd@bridge/...` → the plugin base64-encodes the still-encoded userinfo.
    await post(app, '/webhooks/jenkins').set('Authorization', basic('jenkins', 'p%40ss%3Aw%25rd')).send(JSON.stringify(payload('STARTED'))).expect(202);
    expect(notices).toHaveLength(3);
  });

  it('answers 401 to a wrong token or password and does nothing', async () => {
    const { app, notices, logger } = setup();
    const wrongQuery = await post(app, '/webhooks/jenkins?token=guess').send(JSON.stringify(payload('COMPLETED'))).expect(401);
    expect(wrongQuery.body.error).toBe('wrong credential');
    expect(wrongQuery.headers['www-authenticate']).toMatch(/^Basic realm=/);
    await post(app, '/webhooks/jenkins').set('Authorization', basic('jenkins', `${TOKEN}x`)).send(JSON.stringify(payload('COMPLETED'))).expect(401);
    await post(app, `/webhooks/jenkins?token=${TOKEN}&token=${TOKEN}`).send(JSON.stringify(payload('COMPLETED'))).expect(401);
    await post(app, '/webhooks/jenkins').set('Authorization', `Bearer ${TOKEN}`).send(JSON.stringify(payload('COMPLETED'))).expect(401);
    expect(notices).toEqual([]);
    const rejected = logger.entries.filter((e) => e.message === 'jenkins notification rejected');
    expect(rejected).toHaveLength(4);
    expect(rejected[0]).toMatchObject({ level: 'warn', meta: { reason: 'wrong credential' } });
    expect(rejected[3]).toMatchObject({ meta: { reason: 'missing credential' } });
  });

  it('answers 401 when no credential is given', async () => {
    const { app, notices } = setup();
    const res = await post(app, '/webhooks/jenkins').send(JSON.stringify(payload('COMPLETED'))).expect(401);
    expect(res.body.error).toMatch(/missing credential/);
    expect(notices).toEqual([]);
  });

  it('is closed (404, like any unknown path) when no token is configured, whatever is sent', async () => {
    const { app, notices } = setup({});
    const res = await post(app).set('Authorization', basic('jenkins', TOKEN)).send(JSON.stringify(payload('COMPLETED'))).expect(404);
    expect(res.body).toEqual({ error: 'not found' });
    expect(notices).toEqual([]);
  });

  it('never logs the token or the Authorization header', async () => {
    const { app, logger } = setup();
    await post(app).send(JSON.stringify(payload('COMPLETED'))).expect(202);
    await post(app, '/webhooks/jenkins').set('Authorization', basic('jenkins', TOKEN)).send(JSON.stringify(payload('FINALIZED'))).expect(202);
    await post(app, '/webhooks/jenkins?token=wrong-token-value').send('{}').expect(401);
    expect(logger.entries.filter((e) => e.message === 'jenkins notification accepted')).toHaveLength(2);
    const text = logger.text();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('wrong-token-value');
    expect(text).not.toContain(Buffer.from(`jenkins:${TOKEN}`).toString('base64'));
    // Parameters are not logged either (input artifact URLs carry download tokens); the job id is.
    expect(text).toContain('0f3c2f6e-1d2a-4c43-9b1e-6f2c8d1e5a77');
    expect(text).not.toContain('CODEPIPELINE_STAGE');
  });
});

describe('POST /webhooks/jenkins: bad input', () => {
  it('answers 413 for a body over webhooks.maxBodyBytes', async () => {
    const { app, notices } = setup({ token: TOKEN, maxBodyBytes: 2048 });
    const big = payload('COMPLETED', { build: { log: 'x'.repeat(4096) } });
    const res = await post(app).send(JSON.stringify(big)).expect(413);
    expect(res.body.error).toBe('body larger than 2048 bytes');
    expect(notices).toEqual([]);
    await post(app).send(JSON.stringify(payload('COMPLETED'))).expect(202);
  });

  it('answers 400 for malformed JSON and for an empty body', async () => {
    const { app, notices } = setup();
    const res = await post(app).send('{"name":"app","build":{"number":4').expect(400);
    expect(res.body.error).toMatch(/^malformed JSON/);
    await request(app).post(`/webhooks/jenkins?token=${TOKEN}`).expect(400);
    expect(notices).toEqual([]);
  });

  it('answers 202 "ignored" to JSON that is not a build notification', async () => {
    const { app, notices } = setup();
    const cases: [unknown, RegExp][] = [
      [[1, 2], /not a JSON object/],
      [{ zen: 'Keep it logically awesome.' }, /no "build" object/],
      [payload('COMPLETED', { build: { number: undefined } }), /no build.number/],
      [payload('COMPLETED', { build: { number: '42' } }), /no build.number/],
      [payload('NONE'), /unknown build.phase "NONE"/],
      [payload('COMPLETED', { url: undefined, build: { full_url: undefined, url: undefined } }), /no usable job url/],
      [payload('COMPLETED', { url: 'queue/item/7/', build: { full_url: undefined, url: undefined } }), /no usable job url/],
    ];
    for (const [body, reason] of cases) {
      const res = await post(app).send(JSON.stringify(body)).expect(202);
      expect(res.body.status).toBe('ignored');
      expect(res.body.reason).toMatch(reason);
    }
    expect(notices).toEqual([]);
  });

  it('still answers 202 when the sink throws, and logs the failure', async () => {
    const { app, logger } = setup({
      token: TOKEN,
      sink: () => {
        throw new Error('watch exploded');
      },
    });
    await post(app).send(JSON.stringify(payload('COMPLETED'))).expect(202, { status: 'accepted' });
    const failure = logger.entries.find((e) => e.message.includes('sink failed'));
    expect(failure).toMatchObject({ level: 'warn', meta: { project: 'team/app-build', buildNumber: 42 } });
    await request(app).get('/healthz').expect(200);
  });

  it('answers only POST', async () => {
    const { app } = setup();
    await request(app).get(`/webhooks/jenkins?token=${TOKEN}`).expect(404);
  });
});

describe('POST /webhooks/jenkins: payloads', () => {
  it('maps each phase, lower-cased', async () => {
    const { app, notices } = setup();
    for (const phase of ['QUEUED', 'STARTED', 'COMPLETED', 'FINALIZED']) {
      await post(app).send(JSON.stringify(payload(phase))).expect(202);
    }
    expect(notices.map((n) => n.phase)).toEqual(['queued', 'started', 'completed', 'finalized']);
  });

  it('reads folder jobs and percent-encoded names from the job url, one decoding per segment', async () => {
    const { app, notices } = setup();
    const urls = [
      'job/team/job/app/job/build/',
      'job/Test%20J%C3%B8b/',
      // A multibranch branch item named `feature%2Fx` sits at `feature%252Fx`.
      'job/repo/job/feature%252Fx/',
      // A sender that encoded the branch `feature/x` only once.
      'job/repo/job/feature%2Fx/',
    ];
    for (const url of urls) await post(app).send(JSON.stringify(payload('STARTED', { url }))).expect(202);
    expect(notices.map((n) => n.project)).toEqual(['team/app/build', 'Test Jøb', 'repo/feature%2Fx', 'repo/feature/x']);
    // The inverse of how the Jenkins adapter builds job URLs from the same names.
    for (const project of ['team/app/build', 'Test Jøb', 'repo/feature%2Fx']) expect(projectFromJobUrl(jobPath(project))).toBe(project);
  });

  it('falls back to build.full_url (any context path), then build.url, when url is absent', async () => {
    const { app, notices } = setup();
    await post(app)
      .send(JSON.stringify(payload('COMPLETED', { url: undefined, build: { full_url: 'https://ci.example.com/jenkins/job/team/job/app%20x/42/' } })))
      .expect(202);
    await post(app)
      .send(JSON.stringify(payload('COMPLETED', { url: undefined, build: { full_url: undefined, url: 'job/legacy-app/17/' } })))
      .expect(202);
    expect(notices.map((n) => n.project)).toEqual(['team/app x', 'legacy-app']);
  });

  it('reads the reference fixture as the plugin posts it', async () => {
    const { app, notices } = setup();
    const raw = readFileSync(FIXTURE, 'utf8');
    await post(app).send(raw).expect(202, { status: 'accepted' });
    expect(notices).toEqual([
      {
        project: 'legacy-app',
        buildNumber: 17,
        queueId: 1290,
        phase: 'completed',
        parameters: { GIT_REF: 'refs/heads/main', GIT_SHA: '1211006e8d09660c05106429204b7005320fd718' },
      },
    ]);
  });

  it('reads the minimal body of the post { always } sample (JsonOutput, no full_url, no queue_id)', async () => {
    const { app, notices } = setup();
    const body = {
      name: 'feature%2Fx',
      display_name: 'feature%2Fx',
      url: 'job/repo/job/feature%252Fx/',
      build: { number: 5, phase: 'COMPLETED', status: 'UNSTABLE', url: 'job/repo/job/feature%252Fx/5/', parameters: { CODEPIPELINE_JOB_ID: 'j-1' } },
    };
    await post(app, '/webhooks/jenkins').set('Authorization', basic('bridge-notify', TOKEN)).send(JSON.stringify(body)).expect(202);
    expect(notices).toEqual([{ project: 'repo/feature%2Fx', buildNumber: 5, phase: 'completed', parameters: { CODEPIPELINE_JOB_ID: 'j-1' } }]);
  });

  it('decodes Gson HTML escapes and raw UTF-8, whatever the content type', async () => {
    const { app, notices } = setup();
    // Exactly as Gson writes it: `=`, `&`, `<`, `>`, `'` as \u escapes; non-ASCII raw.
    const gson =
      '{"name":"app\\u0027s","display_name":"app\\u0027s","url":"job/app%27s/","build":{"full_url":"https://jenkins.example.com/job/app%27s/3/",' +
      '"number":3,"queue_id":8,"timestamp":1767232800000,"duration":120,"phase":"COMPLETED","status":"UNSTABLE","url":"job/app%27s/3/",' +
      '"scm":{"changes":[],"culprits":[]},"parameters":{"QUERY":"a\\u003d1\\u0026b\\u003c2\\u003e","AUTHOR":"Zoë"},"log":"","artifacts":{}}}';
    await request(app).post(`/webhooks/jenkins?token=${TOKEN}`).set('Content-Type', JSON_UTF8).send(gson).expect(202);
    // A hand-written curl step that forgot the header (curl -d sends application/x-www-form-urlencoded).
    await request(app).post(`/webhooks/jenkins?token=${TOKEN}`).set('Content-Type', 'application/x-www-form-urlencoded').send(gson).expect(202);
    await request(app).post(`/webhooks/jenkins?token=${TOKEN}`).send(Buffer.from(gson, 'utf8')).expect(202);
    expect(notices).toHaveLength(3);
    for (const n of notices) expect(n).toEqual({ project: "app's", buildNumber: 3, queueId: 8, phase: 'completed', parameters: { QUERY: 'a=1&b<2>', AUTHOR: 'Zoë' } });
  });
});
