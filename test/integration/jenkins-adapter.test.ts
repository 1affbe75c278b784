import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createJenkinsBuildRunner } from '../../src/adapters/jenkins';
import { PermanentError, TransientError } from '../../src/core/errors';
import type { BuildObservation, BuildRef, BuildRunner } from '../../src/ports/build-runner';
import { DEFAULT_USERS, startJenkinsSimulator, type JenkinsSimulator, type SimJobDefinition } from '../../src/local-stack/jenkins';
import { CaptureLogger } from '../support/capture-logger';
import { rejection } from '../support/rejection';

/**
 * The Jenkins adapter against the Jenkins simulator (real HTTP on loopback, real `jenkins` client).
 * Every wait is bounded; timings are shortened through simulator options.
 */

const TOKEN = DEFAULT_USERS[0]!.apiToken;
const USER = DEFAULT_USERS[0]!.user;
const CORR = 'CODEPIPELINE_JOB_ID';
const BINARY = randomBytes(300_000);

const PARAMS = [{ name: 'COMMIT_ID' }, { name: CORR }, { name: 'TARGET', default: 'dev' }];

const jobs: SimJobDefinition[] = [
  {
    name: 'team/app/build',
    parameters: PARAMS,
    quietPeriodMs: 300,
    script: async (ctx) => {
      ctx.log(`building ${ctx.params['COMMIT_ID']} for ${ctx.params['TARGET']}`);
      await ctx.archive('dist/app.txt', `app ${ctx.params['COMMIT_ID']}\n`);
      await ctx.archive('dist/sub dir/data.bin', BINARY);
      for (let i = 0; i < 22; i++) await ctx.archive(`reports/r${i}.txt`, `report ${i}`);
      await ctx.sleep(250);
      return 'SUCCESS';
    },
  },
  {
    name: 'plain',
    kind: 'freestyle',
    script: async (ctx) => {
      ctx.log('plain build');
      await ctx.sleep(200);
    },
  },
  {
    name: 'failing',
    parameters: PARAMS,
    script: async (ctx) => {
      for (let i = 1; i <= 400; i++) ctx.log(`step ${i}: \x1b[32mok\x1b[0m – größe ✓`);
      ctx.log('\x1b[8mha:////4LmN0ZQ==\x1b[0m[Pipeline] sh');
      ctx.log('\x1b[31mERROR: tests failed\x1b[0m');
      return 'FAILURE';
    },
  },
  {
    name: 'slow',
    parameters: PARAMS,
    script: async (ctx) => {
      ctx.log('sleeping');
      await ctx.sleep(20_000);
    },
  },
  { name: 'held', parameters: PARAMS, quietPeriodMs: 20_000, script: async () => undefined },
  { name: 'disabled', parameters: PARAMS, disabled: true, script: async () => undefined },
];

const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 8_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
};

/** Observes until a terminal/target state, recording every observation (bounded). */
async function follow(runner: BuildRunner, ref: BuildRef, corr: string, stopAt: BuildObservation['state'][] = ['completed', 'cancelled', 'missing']) {
  const seen: BuildObservation[] = [];
  let current = ref;
  await until(`build of ${ref.project} to reach ${stopAt.join('/')}`, async () => {
    const o = await runner.observe(current, { name: CORR, value: corr });
    seen.push(o);
    current = o.ref;
    return stopAt.includes(o.state);
  });
  return { last: seen[seen.length - 1]!, seen };
}


let sim: JenkinsSimulator;
let logger: CaptureLogger;
let runner: BuildRunner;
const extraSims: JenkinsSimulator[] = [];

beforeAll(async () => {
  sim = await startJenkinsSimulator({ jobs, executors: 4 });
  logger = new CaptureLogger();
  runner = createJenkinsBuildRunner({ baseUrl: sim.url, user: USER, apiToken: TOKEN, requestTimeoutMs: 5_000 }, logger);
});

afterEach(async () => {
  sim.setDown(false);
  await Promise.all(extraSims.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await sim.close();
  // The token never reaches a log entry.
  expect(logger.text()).not.toContain(TOKEN);
});

describe('describeProject', () => {
  it("returns the job's declared parameters and URL", async () => {
    const info = await runner.describeProject('team/app/build');
    expect(info).toEqual({ name: 'team/app/build', parameters: ['COMMIT_ID', CORR, 'TARGET'], buildable: true, url: `${sim.url}job/team/job/app/job/build/` });
    expect((await runner.describeProject('plain')).parameters).toEqual([]);
    expect((await runner.describeProject('disabled')).buildable).toBe(false);
    const req = sim.requests.find((r) => r.path === '/job/team/job/app/job/build/api/json');
    expect(req?.query['tree']).toContain('parameterDefinitions[name]');
  });

  it('throws ConfigurationError for an unknown job and for a folder', async () => {
    const unknown = await rejection(runner.describeProject('team/nope'));
    expect(unknown).toBeInstanceOf(PermanentError);
    expect((unknown as PermanentError).failureType).toBe('ConfigurationError');
    expect(unknown.message).toBe(`Jenkins job "team/nope" not found at ${sim.url}job/team/job/nope/`);
    const folder = await rejection(runner.describeProject('team/app'));
    expect(folder).toBeInstanceOf(PermanentError);
    expect((folder as PermanentError).failureType).toBe('ConfigurationError');
    expect(folder.message).toContain('not a buildable job');
  });
});

describe('trigger and observe', () => {
  it('follows a folder job through queued → running → completed; declared parameters arrive', async () => {
    const ref = await runner.trigger('team/app/build', { COMMIT_ID: 'abc123', [CORR]: 'job-1', UNDECLARED: 'dropped' });
    expect(ref.queueId).toEqual(expect.any(Number));
    expect(ref.buildNumber).toBeUndefined();
    expect(ref.url).toBe(`${sim.url}queue/item/${ref.queueId}/`);

    const { last, seen } = await follow(runner, ref, 'job-1');
    expect(seen[0]!.state).toBe('queued');
    expect(seen[0]).toMatchObject({ why: expect.stringContaining('quiet period') });
    // The simulator shows the started item once as LeftItem{executable:null}: still "queued", no guessed number.
    expect(seen).toContainEqual(expect.objectContaining({ state: 'queued', why: 'The build is starting' }));
    expect(seen.some((o) => o.state === 'running')).toBe(true);
    expect(last).toMatchObject({ state: 'completed', result: 'SUCCESS', ref: { project: 'team/app/build', queueId: ref.queueId } });
    if (last.state !== 'completed') throw new Error('not completed');
    expect(last.durationMs).toBeGreaterThanOrEqual(250);

    const [build] = sim.builds('team/app/build').filter((b) => b.queueId === ref.queueId);
    expect(build?.number).toBe(last.ref.buildNumber);
    expect(build?.params).toEqual({ COMMIT_ID: 'abc123', [CORR]: 'job-1', TARGET: 'dev' });
    expect(sim.requests).toContainEqual(expect.objectContaining({ method: 'POST', path: '/job/team/job/app/job/build/buildWithParameters', status: 201 }));
    // API-token auth: no crumb round trip in the default mode.
    expect(sim.requests.some((r) => r.path.startsWith('/crumbIssuer'))).toBe(false);
  });

  it('reports running with startedAt and estimatedDuration once a previous build exists', async () => {
    const first = await runner.trigger('plain', {});
    await follow(runner, first, 'x');
    const ref = await runner.trigger('plain', {});
    const { seen } = await follow(runner, ref, 'x', ['running', 'completed']);
    expect(seen.find((o) => o.state === 'running')).toMatchObject({ startedAt: expect.any(Number), estimatedDurationMs: expect.any(Number) });
    const { last } = await follow(runner, ref, 'x');
    expect(last).toMatchObject({ state: 'completed', result: 'SUCCESS' });
    expect(sim.requests).toContainEqual(expect.objectContaining({ method: 'POST', path: '/job/plain/build', status: 201 }));
  });

  it('maps 409 (disabled) and 400 (not parameterized) to ConfigurationError with Jenkins’ message', async () => {
    const disabled = await rejection(runner.trigger('disabled', { [CORR]: 'x' }));
    expect(disabled).toBeInstanceOf(PermanentError);
    expect((disabled as PermanentError).failureType).toBe('ConfigurationError');
    expect(disabled.message).toContain('disabled is not buildable');
    const notParameterized = await rejection(runner.trigger('plain', { [CORR]: 'x' }));
    expect((notParameterized as PermanentError).failureType).toBe('ConfigurationError');
    expect(notParameterized.message).toContain('plain is not parameterized');
    const unknown = await rejection(runner.trigger('nope', { [CORR]: 'x' }));
    expect(unknown.message).toContain('Jenkins job "nope" not found');
  });

  it('recovers the queue id of a duplicate (303) and cancels a queued item', async () => {
    const params = { COMMIT_ID: 'dup', [CORR]: 'job-dup' };
    const first = await runner.trigger('held', params);
    const second = await runner.trigger('held', params);
    expect(second.queueId).toBe(first.queueId);
    expect(sim.requests.filter((r) => r.path === '/job/held/buildWithParameters').map((r) => r.status)).toEqual([201, 303]);
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('303') }));

    expect(await runner.observe(first, { name: CORR, value: 'job-dup' })).toMatchObject({ state: 'queued' });
    await runner.stop(first);
    expect(await runner.observe(first, { name: CORR, value: 'job-dup' })).toEqual({ state: 'cancelled', ref: first });
    expect(sim.requests).toContainEqual(expect.objectContaining({ method: 'POST', path: '/queue/cancelItem', query: { id: String(first.queueId) }, status: 204 }));
    // Idempotent: the item already left (500 from cancelItem), nothing started, no error.
    await runner.stop(first);
    expect(sim.builds('held')).toEqual([]);
  });

  it('stops a running build (ABORTED) and treats stopping again as success', async () => {
    const ref = await runner.trigger('slow', { [CORR]: 'job-slow' });
    const { last: running } = await follow(runner, ref, 'job-slow', ['running']);
    await runner.stop(running.ref);
    const { last } = await follow(runner, running.ref, 'job-slow');
    expect(last).toMatchObject({ state: 'completed', result: 'ABORTED' });
    await runner.stop(running.ref);
    expect(sim.requests.filter((r) => r.path === `/job/slow/${running.ref.buildNumber}/stop`).map((r) => r.status)).toEqual([302, 302]);
  });

  it('stops the build of a queue item that already started', async () => {
    const ref = await runner.trigger('slow', { [CORR]: 'job-slow-2' });
    await until('build to start', () => sim.builds('slow').some((b) => b.queueId === ref.queueId));
    await runner.stop(ref); // only the queue id is known
    await until('build to finish', () => sim.builds('slow').find((b) => b.queueId === ref.queueId)?.state === 'completed');
    expect(sim.builds('slow').find((b) => b.queueId === ref.queueId)?.result).toBe('ABORTED');
  });
});

describe('finding builds when the queue item is gone', () => {
  it('falls back to queueId in the job builds after the left item expired', async () => {
    const short = await startJenkinsSimulator({ jobs, leftItemRetentionMs: 100 });
    extraSims.push(short);
    const r = createJenkinsBuildRunner({ baseUrl: short.url, user: USER, apiToken: TOKEN }, new CaptureLogger());
    const ref = await r.trigger('plain', {});
    await short.waitForIdle(5_000);
    await delay(150);
    const o = await r.observe(ref, { name: CORR, value: 'unused' });
    expect(o).toMatchObject({ state: 'completed', result: 'SUCCESS', ref: { buildNumber: 1, queueId: ref.queueId } });
    expect(short.requests).toContainEqual(expect.objectContaining({ path: `/queue/item/${ref.queueId}/api/json`, status: 404 }));
    expect(short.requests).toContainEqual(expect.objectContaining({ path: '/job/plain/api/json', query: expect.objectContaining({ tree: 'builds[number,queueId,url]' }) }));
  });

  it('falls back to the correlation parameter, and finds a lost trigger without any queue id', async () => {
    const ref = await runner.trigger('team/app/build', { COMMIT_ID: 'c', [CORR]: 'job-corr' });
    await follow(runner, ref, 'job-corr');
    const expected = sim.builds('team/app/build').find((b) => b.params[CORR] === 'job-corr')!;
    // A queue id Jenkins never knew (e.g. ids restarted after a controller restart).
    const viaCorrelation = await runner.observe({ project: 'team/app/build', queueId: 999_999 }, { name: CORR, value: 'job-corr' });
    expect(viaCorrelation).toMatchObject({ state: 'completed', ref: { buildNumber: expected.number, queueId: expected.queueId } });
    const noQueueId = await runner.observe({ project: 'team/app/build' }, { name: CORR, value: 'job-corr' });
    expect(noQueueId).toMatchObject({ state: 'completed', ref: { buildNumber: expected.number } });
  });

  it('finds a still-queued item by correlation (a trigger whose answer was lost)', async () => {
    const ref = await runner.trigger('held', { [CORR]: 'job-held-2' });
    const found = await runner.observe({ project: 'held' }, { name: CORR, value: 'job-held-2' });
    expect(found).toEqual({ state: 'queued', ref: { project: 'held', queueId: ref.queueId, url: ref.url } });
    await runner.stop(found.ref);
  });

  it('reports missing when nothing matches, or the build was deleted', async () => {
    const nothing = await runner.observe({ project: 'team/app/build', queueId: 999_998 }, { name: CORR, value: 'never' });
    expect(nothing).toMatchObject({ state: 'missing', reason: expect.stringContaining('queue item #999998 no longer exists') });
    expect(await runner.observe({ project: 'team/app/build' }, { name: CORR, value: 'never' })).toMatchObject({ state: 'missing' });

    const ref = await runner.trigger('plain', {});
    const { last } = await follow(runner, ref, 'x');
    if (last.state !== 'completed') throw new Error('not completed');
    sim.deleteBuild('plain', last.ref.buildNumber);
    expect(await runner.observe(last.ref, { name: CORR, value: 'x' })).toMatchObject({ state: 'missing', reason: `build #${last.ref.buildNumber} no longer exists` });
  });
});

describe('logs and artifacts', () => {
  it('returns the cleaned tail of a failing build', async () => {
    const ref = await runner.trigger('failing', { [CORR]: 'job-fail' });
    const { last } = await follow(runner, ref, 'job-fail');
    expect(last).toMatchObject({ state: 'completed', result: 'FAILURE' });
    if (last.state !== 'completed') throw new Error('not completed');
    const tail = await runner.logTail(last.ref, 2_000);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(2_000);
    expect(tail).toContain('step 400: ok – größe ✓\n');
    expect(tail).toContain('[Pipeline] sh\nERROR: tests failed');
    expect(tail).not.toMatch(/[\x1b\r\ufffd]/);
    expect(tail).not.toContain('step 1:');
    const whole = await runner.logTail(last.ref, 1_000_000);
    expect(whole).toContain('step 1: ok');
  });

  it('lists more than 20 artifacts by relativePath and streams bytes unchanged', async () => {
    const ref = await runner.trigger('team/app/build', { COMMIT_ID: 'art', [CORR]: 'job-art' });
    const { last } = await follow(runner, ref, 'job-art');
    if (last.state !== 'completed') throw new Error('not completed');
    const files = await runner.listArtifacts(last.ref);
    expect(files).toHaveLength(24);
    expect(files).toEqual(expect.arrayContaining([{ path: 'dist/app.txt' }, { path: 'dist/sub dir/data.bin' }, { path: 'reports/r21.txt' }]));

    const chunks: Buffer[] = [];
    for await (const chunk of await runner.openArtifact(last.ref, 'dist/sub dir/data.bin')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(BINARY)).toBe(true);

    const missing = await rejection(runner.openArtifact(last.ref, 'dist/none.txt'));
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toContain('"dist/none.txt"');
  });
});

describe('failures', () => {
  it('maps a Jenkins that resets connections or answers 503 to TransientError', async () => {
    sim.setDown('reset');
    // A job not described before: describeProject answers from its cache for 30 s.
    const reset = await rejection(runner.describeProject('held'));
    expect(reset).toBeInstanceOf(TransientError);
    expect((reset as TransientError).system).toBe('jenkins');
    expect(await rejection(runner.trigger('plain', {}))).toBeInstanceOf(TransientError);
    sim.setDown('503');
    const unavailable = await rejection(runner.observe({ project: 'plain', queueId: 1 }, { name: CORR, value: 'x' }));
    expect(unavailable).toBeInstanceOf(TransientError);
    expect(unavailable.message).toContain('503');
    expect(await rejection(runner.logTail({ project: 'plain', buildNumber: 1 }, 100))).toBeInstanceOf(TransientError);
    sim.setDown(false);
    await expect(runner.ping()).resolves.toBeUndefined();
  });

  it('maps a bad token to ConfigurationError naming the user, never the token', async () => {
    const badLogger = new CaptureLogger();
    const bad = createJenkinsBuildRunner({ baseUrl: sim.url, user: USER, apiToken: 'wrong-token-123456' }, badLogger);
    for (const call of [bad.ping(), bad.describeProject('plain'), bad.trigger('plain', {})]) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).failureType).toBe('ConfigurationError');
      expect(error.message).toContain(`user "${USER}"`);
      expect(error.message).toContain('authentication/permission');
      expect(error.message).not.toContain('wrong-token-123456');
    }
  });

  it('uses a cached crumb with its session cookie in auto mode for a password user', async () => {
    const users = [{ user: 'alice', apiToken: 'aa11bb22cc33dd44ee55ff6677889900', password: 'correct-horse-battery' }];
    const pw = await startJenkinsSimulator({ jobs, users });
    extraSims.push(pw);
    const never = createJenkinsBuildRunner({ baseUrl: pw.url, user: 'alice', apiToken: 'correct-horse-battery' }, new CaptureLogger());
    const refused = await rejection(never.trigger('plain', {}));
    expect((refused as PermanentError).failureType).toBe('ConfigurationError');
    expect(refused.message).toContain('No valid crumb');

    const auto = createJenkinsBuildRunner({ baseUrl: pw.url, user: 'alice', apiToken: 'correct-horse-battery', crumb: 'auto' }, new CaptureLogger());
    const a = await auto.trigger('plain', {});
    const { last } = await follow(auto, a, 'x');
    await auto.stop(last.ref); // a POST too (302 for a finished build)
    const b = await auto.trigger('plain', {});
    expect(b.queueId).not.toBe(a.queueId);
    const crumbGets = pw.requests.filter((r) => r.path === '/crumbIssuer/api/json');
    expect(crumbGets).toHaveLength(1);
    const posts = pw.requests.filter((r) => r.method === 'POST' && r.authUser === 'alice');
    expect(posts.filter((r) => r.status < 400).length).toBeGreaterThanOrEqual(3);
    expect(posts.filter((r) => r.status < 400).every((r) => r.crumb !== undefined)).toBe(true);
  });
});
