import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApp } from '../../src/http/create-app';
import { Readiness } from '../../src/http/readiness';
import { ActiveJobs } from '../../src/core/jobs/active-jobs';
import { ArtifactTokens } from '../../src/core/jobs/artifact-tokens';
import { systemClock } from '../../src/core/system-clock';
import { FakeArtifactStore } from '../fakes/fake-artifact-store';
import { CaptureLogger } from '../support/capture-logger';

const TOKEN = 'events-token-0123456789abcdef';
const ACTION_TYPE = { category: 'Build' as const, provider: 'Jenkins', version: '1' };

function setup(options: { token?: string | undefined; events?: boolean } = {}) {
  const logger = new CaptureLogger();
  const wakes: string[] = [];
  const token = 'token' in options ? options.token : TOKEN;
  const app = createApp({
    readiness: new Readiness([], systemClock, logger),
    active: new ActiveJobs(),
    tokens: new ArtifactTokens('route-test-secret-0123456789'),
    store: new FakeArtifactStore(),
    logger,
    ...(options.events === false ? {} : { codepipelineEvents: { token, actionType: ACTION_TYPE } }),
    wakeWorker: (reason) => wakes.push(reason),
  });
  return { app, wakes, logger };
}

/** What an EventBridge rule delivers to an API destination (no input transformer): the whole event. */
function actionEvent(overrides: { state?: string; type?: Record<string, unknown>; detail?: Record<string, unknown>; envelope?: Record<string, unknown> } = {}) {
  return {
    version: '0',
    id: '6f0f6a0e-7f3a-4f6c-9a59-2f1d3c6e9b10',
    'detail-type': 'CodePipeline Action Execution State Change',
    source: 'aws.codepipeline',
    account: '123456789012',
    time: '2026-11-23T10:15:30Z',
    region: 'us-east-1',
    resources: ['arn:aws:codepipeline:us-east-1:123456789012:shop'],
    detail: {
      pipeline: 'shop',
      'execution-id': '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
      stage: 'Build',
      action: 'Jenkins',
      state: overrides.state ?? 'STARTED',
      region: 'us-east-1',
      type: { owner: 'Custom', category: 'Build', provider: 'Jenkins', version: '1', ...overrides.type },
      version: 1,
      ...overrides.detail,
    },
    ...overrides.envelope,
  };
}

const bearer = (token: string) => `Bearer ${token}`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('POST /events/codepipeline', () => {
  it('STARTED for our action type wakes the worker at once (API_KEY connection: Authorization: Bearer)', async () => {
    const { app, wakes, logger } = setup();
    const res = await request(app).post('/events/codepipeline').set('Authorization', bearer(TOKEN)).set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(actionEvent()));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'polling' });
    expect(wakes).toEqual(['EventBridge 6f0f6a0e-7f3a-4f6c-9a59-2f1d3c6e9b10: shop/Build/Jenkins STARTED']);
    expect(JSON.stringify(logger.entries)).not.toContain(TOKEN);
  });

  it('accepts the token as the password of a BASIC connection, any user name', async () => {
    const { app, wakes } = setup();
    await request(app).post('/events/codepipeline').set('Authorization', basic('eventbridge', TOKEN)).send(actionEvent()).expect(202, { status: 'polling' });
    expect(wakes).toHaveLength(1);
  });

  it('accepts numeric versions (type.version 1 in older AWS examples)', async () => {
    const { app, wakes } = setup();
    await request(app).post('/events/codepipeline').set('Authorization', bearer(TOKEN)).send(actionEvent({ type: { version: 1 } })).expect(202, { status: 'polling' });
    expect(wakes).toHaveLength(1);
  });

  it('answers 404 when no token is configured, and when events are not wired at all', async () => {
    for (const app of [setup({ token: undefined }).app, setup({ events: false }).app]) {
      await request(app).post('/events/codepipeline').set('Authorization', bearer(TOKEN)).send(actionEvent()).expect(404);
    }
  });

  it('answers 401 for a missing or wrong credential, before reading the body, and wakes nothing', async () => {
    const { app, wakes, logger } = setup();
    const missing = await request(app).post('/events/codepipeline').send(actionEvent()).expect(401);
    expect(missing.body.error).toMatch(/missing credential/);
    expect(missing.headers['www-authenticate']).toMatch(/Bearer/);
    for (const header of [bearer('wrong-token'), basic('eventbridge', 'wrong-token'), basic(TOKEN, ''), TOKEN, `Bearer ${TOKEN}x`, `Token ${TOKEN}`]) {
      const res = await request(app).post('/events/codepipeline').set('Authorization', header).send(actionEvent());
      expect([header, res.status, res.body.error]).toEqual([header, 401, 'wrong credential']);
    }
    // Even a malformed body is a 401 when the credential is wrong: nothing is parsed for strangers.
    await request(app).post('/events/codepipeline').set('Authorization', bearer('nope')).send('{not json').expect(401);
    expect(wakes).toEqual([]);
    expect(logger.entries.filter((e) => e.message === 'codepipeline event rejected').length).toBeGreaterThanOrEqual(8);
  });

  it('ignores other states, other action types and other events with 202 and the reason', async () => {
    const { app, wakes } = setup();
    const cases: [object, RegExp][] = [
      [actionEvent({ state: 'SUCCEEDED' }), /state SUCCEEDED/],
      [actionEvent({ state: 'FAILED' }), /state FAILED/],
      [actionEvent({ type: { owner: 'AWS', provider: 'CodeBuild' } }), /AWS\/Build\/CodeBuild\/1 is not this bridge's \(Custom\/Build\/Jenkins\/1\)/],
      [actionEvent({ type: { version: '2' } }), /Custom\/Build\/Jenkins\/2 is not/],
      [actionEvent({ type: { category: 'Test' } }), /Custom\/Test\/Jenkins\/1 is not/],
      [actionEvent({ envelope: { 'detail-type': 'CodePipeline Pipeline Execution State Change', detail: { pipeline: 'shop', state: 'STARTED' } } }), /not a CodePipeline action state change/],
      [actionEvent({ envelope: { source: 'aws.codebuild', 'detail-type': 'CodeBuild Build State Change' } }), /source aws\.codebuild/],
    ];
    for (const [body, reason] of cases) {
      const res = await request(app).post('/events/codepipeline').set('Authorization', bearer(TOKEN)).send(body);
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('ignored');
      expect(res.body.reason).toMatch(reason);
    }
    expect(wakes).toEqual([]);
  });

  it('answers 400 for malformed bodies', async () => {
    const { app, wakes } = setup();
    const send = (body: string) => request(app).post('/events/codepipeline').set('Authorization', bearer(TOKEN)).set('Content-Type', 'application/json').send(body);
    const notJson = await send('{"detail-type":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/malformed JSON/);
    const { detail: _dropped, ...noDetail } = actionEvent();
    const { state: _state, ...noState } = actionEvent().detail;
    const { type: _type, ...noType } = actionEvent().detail;
    for (const body of [[], 'STARTED', { hello: 'world' }, noDetail, { ...actionEvent(), detail: noState }, { ...actionEvent(), detail: noType }, { ...actionEvent(), detail: { ...actionEvent().detail, type: { owner: 'Custom' } } }]) {
      const res = await send(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(typeof res.body.error).toBe('string');
    }
    // An empty body is not JSON either.
    await send('').expect(400);
    expect(wakes).toEqual([]);
  });

  it('answers 413 for a body over 256 KB', async () => {
    const { app, wakes } = setup();
    const huge = actionEvent({ detail: { padding: 'x'.repeat(300 * 1024) } });
    const res = await request(app).post('/events/codepipeline').set('Authorization', bearer(TOKEN)).send(huge);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/larger than 262144 bytes/);
    expect(wakes).toEqual([]);
  });

  it('tolerates fields AWS may add and answers 202 even when waking throws', async () => {
    const logger = new CaptureLogger();
    const app = createApp({
      readiness: new Readiness([], systemClock, logger),
      active: new ActiveJobs(),
      tokens: new ArtifactTokens('route-test-secret-0123456789'),
      store: new FakeArtifactStore(),
      logger,
      codepipelineEvents: { token: TOKEN, actionType: ACTION_TYPE },
      wakeWorker: () => {
        throw new Error('worker gone');
      },
    });
    const body = actionEvent({ detail: { 'input-artifacts': [{ name: 'Source', s3location: { bucket: 'b', key: 'k' } }], 'execution-trigger': { 'trigger-type': 'Webhook' } } });
    await request(app).post('/events/codepipeline').set('Authorization', bearer(TOKEN)).send(body).expect(202, { status: 'polling' });
    expect(logger.entries.some((e) => e.level === 'warn' && e.message === 'codepipeline event: waking the worker failed')).toBe(true);
  });
});
