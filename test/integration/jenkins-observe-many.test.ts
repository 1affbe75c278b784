import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createJenkinsBuildRunner } from '../../src/adapters/jenkins';
import { PermanentError, TransientError, isAbortError } from '../../src/core/errors';
import type { BuildObservation, BuildRef, BuildRunner, ObserveRequest } from '../../src/ports/build-runner';
import { DEFAULT_USERS, startJenkinsSimulator, type JenkinsSimulator, type SimRequestRecord, type SimResult } from '../../src/local-stack/jenkins';
import { CaptureLogger } from '../support/capture-logger';
import { rejection } from '../support/rejection';
import { closeServers } from '../support/close-servers';

/**
 * BuildRunner.observeMany against the Jenkins simulator over HTTP: a status round costs one build
 * list read per job plus one queue read, whatever the number of builds, plus single reads only for
 * items whose phase changed in a way the bulk reads cannot settle.
 */

const USER = DEFAULT_USERS[0]!.user;
const TOKEN = DEFAULT_USERS[0]!.apiToken;
const CORR = 'CODEPIPELINE_JOB_ID';
const RESULTS: SimResult[] = ['SUCCESS', 'UNSTABLE', 'FAILURE', 'ABORTED'];
const RETENTION_MS = 2_000;

const until = async (what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
};

const value = (settled: PromiseSettledResult<BuildObservation> | undefined): BuildObservation => {
  if (settled?.status !== 'fulfilled') throw new Error(`expected an observation, got ${String(settled?.status === 'rejected' ? settled.reason : settled)}`);
  return settled.value;
};

/** Runs `call` and returns the simulator requests it caused. */
async function counting<T>(sim: JenkinsSimulator, call: () => Promise<T>): Promise<{ result: T; requests: SimRequestRecord[] }> {
  const before = sim.requests.length;
  const result = await call();
  return { result, requests: sim.requests.slice(before) };
}

describe('observeMany against the Jenkins simulator', () => {
  let sim: JenkinsSimulator;
  let runner: BuildRunner;
  const corr = (v: string) => ({ name: CORR, value: v });

  beforeAll(async () => {
    sim = await startJenkinsSimulator({
      executors: 500,
      quietPeriodMs: 0,
      leftItemRetentionMs: RETENTION_MS,
      // The single-read path already covers the transient `executable:null` LeftItem.
      transientLeftItem: false,
      jobs: [
        {
          name: 'alpha',
          parameters: [{ name: CORR }, { name: 'RESULT', default: 'SUCCESS' }],
          script: async (ctx) => ctx.params['RESULT'] as SimResult,
        },
        { name: 'beta', parameters: [{ name: CORR }], script: (ctx) => ctx.sleep(60_000) },
        { name: 'team/gamma', parameters: [{ name: CORR }], quietPeriodMs: 60_000, script: async () => undefined },
        { name: 'off', parameters: [{ name: CORR }], disabled: true, script: async () => undefined },
      ],
    });
    runner = createJenkinsBuildRunner({ baseUrl: sim.url, user: USER, apiToken: TOKEN }, new CaptureLogger());
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('observes 300+ builds across jobs in mixed states with one list read per job and one queue read', async () => {
    // 100 finished builds of alpha (every result) and 100 running builds of beta.
    const alphaRefs: BuildRef[] = [];
    const betaRefs: BuildRef[] = [];
    for (let i = 0; i < 100; i += 20) {
      alphaRefs.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => runner.trigger('alpha', { [CORR]: `a-${i + k}`, RESULT: RESULTS[(i + k) % 4]! })))));
      betaRefs.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => runner.trigger('beta', { [CORR]: `b-${i + k}` })))));
    }
    await until('alpha done and beta running', () => sim.builds('alpha').filter((b) => b.state === 'completed').length === 100 && sim.builds('beta').length === 100);
    // Their queue items expire (Jenkins: 5 min), so queue-id-only refs must be found in the job history.
    await delay(RETENTION_MS + 200);

    const gammaRefs = await Promise.all(Array.from({ length: 100 }, (_, k) => runner.trigger('team/gamma', { [CORR]: `g-${k}` })));
    const fresh = await Promise.all([runner.trigger('alpha', { [CORR]: 'fresh-0' }), runner.trigger('alpha', { [CORR]: 'fresh-1' })]);
    await until('fresh builds done', () => sim.builds('alpha').filter((b) => b.state === 'completed').length === 102);
    const alphaBuilds = new Map(sim.builds('alpha').map((b) => [b.queueId, b]));
    const betaBuilds = new Map(sim.builds('beta').map((b) => [b.queueId, b]));
    const deleted = alphaBuilds.get(alphaRefs[50]!.queueId!)!.number;
    sim.deleteBuild('alpha', deleted);
    // Cancelled last: their left items must still be readable (retention) when observed.
    const cancelled = gammaRefs.slice(0, 4);
    for (const ref of cancelled) await runner.stop(ref);

    const requests: ObserveRequest[] = [];
    const expectations: Array<(o: BuildObservation) => void> = [];
    alphaRefs.forEach((ref, i) => {
      const build = alphaBuilds.get(ref.queueId!)!;
      // The first 10 are followed by queue id only (their items expired); the rest by build number.
      requests.push({ ref: i < 10 ? ref : { ...ref, buildNumber: build.number }, correlation: corr(`a-${i}`) });
      if (build.number === deleted) {
        expectations.push((o) => expect(o).toEqual({ state: 'missing', ref: { ...ref, buildNumber: deleted }, reason: `build #${deleted} no longer exists` }));
      } else {
        expectations.push((o) =>
          expect(o).toMatchObject({ state: 'completed', result: RESULTS[i % 4], ref: { project: 'alpha', buildNumber: build.number, queueId: ref.queueId, url: `${sim.url}job/alpha/${build.number}/` } }),
        );
      }
    });
    fresh.forEach((ref, i) => {
      requests.push({ ref, correlation: corr(`fresh-${i}`) });
      expectations.push((o) => expect(o).toMatchObject({ state: 'completed', result: 'SUCCESS', ref: { buildNumber: alphaBuilds.get(ref.queueId!)!.number } }));
    });
    betaRefs.forEach((ref, i) => {
      const build = betaBuilds.get(ref.queueId!)!;
      requests.push({ ref: i < 5 ? ref : { ...ref, buildNumber: build.number }, correlation: corr(`b-${i}`) });
      expectations.push((o) => expect(o).toMatchObject({ state: 'running', startedAt: build.startedAt, ref: { project: 'beta', buildNumber: build.number, queueId: ref.queueId } }));
    });
    gammaRefs.forEach((ref, i) => {
      requests.push({ ref, correlation: corr(`g-${i}`) });
      if (i < cancelled.length) expectations.push((o) => expect(o).toEqual({ state: 'cancelled', ref }));
      else expectations.push((o) => expect(o).toEqual({ state: 'queued', ref, why: expect.stringMatching(/^In the quiet period\. Expires in /), stuck: false }));
    });
    requests.push({ ref: { project: 'ghost', buildNumber: 3 }, correlation: corr('x') });
    expectations.push((o) => expect(o).toEqual({ state: 'missing', ref: { project: 'ghost', buildNumber: 3 }, reason: 'Jenkins job "ghost" no longer exists' }));
    expect(requests).toHaveLength(303);

    const first = await counting(sim, () => runner.observeMany(requests));
    expect(first.result).toHaveLength(requests.length);
    first.result.forEach((settled, i) => expectations[i]!(value(settled)));

    // Phase changes the bulk reads cannot settle: 10 + 5 expired items (404), 2 fresh left items,
    // 4 cancelled items, 1 deleted build. Everything else came from 4 list reads and 1 queue read.
    const jobs = 4; // alpha, beta, ghost with list reads; gamma only in the queue
    const changed = 10 + 5 + 2 + cancelled.length + 1;
    expect(first.requests.length).toBeLessThanOrEqual(jobs + 1 + changed);
    const paths = first.requests.map((r) => r.path);
    expect(paths.filter((p) => p === '/queue/api/json')).toHaveLength(1);
    for (const job of ['/job/alpha/', '/job/beta/', '/job/ghost/']) expect(paths.filter((p) => p === `${job}api/json`)).toHaveLength(1);
    expect(paths.filter((p) => /^\/job\/[^/]+\/\d+\/api\/json$/.test(p))).toEqual([`/job/alpha/${deleted}/api/json`]);
    const listRead = first.requests.find((r) => r.path === '/job/alpha/api/json')!;
    expect(listRead.query['tree']).toMatch(/^lastBuild\[number\],allBuilds\[[a-zA-Z,]+\]\{0,\d+\}$/);
    expect(first.requests.every((r) => r.method === 'GET' && typeof r.at === 'number')).toBe(true);

    // Same observation as the single path for the same build.
    for (const i of [20, 21, 22, 23, 150]) expect(value(first.result[i])).toEqual(await runner.observe(requests[i]!.ref, requests[i]!.correlation));

    // Next round, as the core does it: follow what is not finished, with the refs observed.
    const following = first.result.flatMap((settled, i) => {
      const o = value(settled);
      return o.state === 'queued' || o.state === 'running' ? [{ ref: o.ref, correlation: requests[i]!.correlation }] : [];
    });
    expect(following).toHaveLength(100 + 96);
    const second = await counting(sim, () => runner.observeMany(following));
    second.result.forEach((settled) => expect(['queued', 'running']).toContain(value(settled).state));
    // beta's list read + the queue read: nothing else (jobs with followed builds + 1).
    expect(second.requests.map((r) => r.path).sort()).toEqual(['/job/beta/api/json', '/queue/api/json']);
  }, 60_000);

  it('serves the Stapler ranges, the 100-build cap and nested selections like Jenkins', async () => {
    const get = async (path: string): Promise<Record<string, any>> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const res = await fetch(new URL(path, sim.url), { headers: { Authorization: `Basic ${Buffer.from(`${USER}:${TOKEN}`).toString('base64')}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    const numbers = (list: Array<{ number: number }>) => list.map((b) => b.number);
    const all = numbers((await get('job/alpha/api/json?tree=allBuilds[number]'))['allBuilds']);
    expect(all).toHaveLength(101); // 102 builds, one deleted
    expect(all).toEqual([...all].sort((a, b) => b - a));
    const capped = await get('job/alpha/api/json?tree=builds[number]{0,500}');
    expect(numbers(capped['builds'])).toEqual(all.slice(0, 100));
    expect(numbers((await get('job/alpha/api/json?tree=allBuilds[number]{5}'))['allBuilds'])).toEqual([all[5]]);
    expect(numbers((await get('job/alpha/api/json?tree=allBuilds[number]{99,}'))['allBuilds'])).toEqual(all.slice(99));
    expect(numbers((await get('job/alpha/api/json?tree=allBuilds[number]{,3}'))['allBuilds'])).toEqual(all.slice(0, 3));
    expect(numbers((await get('job/alpha/api/json?tree=allBuilds[number]{200,300}'))['allBuilds'])).toEqual([]);
    const both = await get('job/alpha/api/json?tree=lastBuild[number],allBuilds[number,result]{0,2}');
    expect(Object.keys(both)).toEqual(['_class', 'allBuilds', 'lastBuild']);
    expect(both['lastBuild']).toEqual({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: all[0] });
    // Without tree= the visibility -2 `allBuilds` is not exported; `builds` keeps its cap.
    const plain = await get('job/alpha/api/json');
    expect(plain['allBuilds']).toBeUndefined();
    expect(plain['builds']).toHaveLength(100);
    // Ranges and job fields at a nested level, and `*` for "every field here".
    const root = await get('api/json?tree=jobs[name,allBuilds[number]{0,2}]');
    expect(root['jobs']).toContainEqual({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', name: 'alpha', allBuilds: all.slice(0, 2).map((n) => ({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: n })) });
    expect(root['jobs']).toContainEqual({ _class: 'com.cloudbees.hudson.plugins.folder.Folder', name: 'team' });
    const star = await get('job/alpha/api/json?tree=lastBuild[*]');
    expect(star['lastBuild']).toMatchObject({ number: all[0], result: expect.any(String), inProgress: false, queueId: expect.any(Number) });
    // Queue#getItems: waiting items by end of quiet period, then id.
    const queue = await get('queue/api/json?tree=items[id,why]{0,3}');
    expect(queue['items']).toHaveLength(3);
    const ids = queue['items'].map((i: { id: number }) => i.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
  });

  it('rejects the items of an invalid job name only', async () => {
    const results = await runner.observeMany([
      { ref: { project: '//', buildNumber: 1 }, correlation: corr('x') },
      { ref: { project: 'ghost', queueId: 999_999 }, correlation: corr('y') },
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(PermanentError) });
    // Unknown queue item of an unknown job: lost item → the job is gone.
    expect(value(results[1])).toEqual({ state: 'missing', ref: { project: 'ghost', queueId: 999_999 }, reason: 'Jenkins job "ghost" no longer exists' });
  });

  it('answers an empty request list without asking Jenkins', async () => {
    const { result, requests } = await counting(sim, () => runner.observeMany([]));
    expect(result).toEqual([]);
    expect(requests).toEqual([]);
  });

  describe('describeProject cache', () => {
    const jobReads = (requests: SimRequestRecord[], job: string) =>
      requests.filter((r) => r.path === `/job/${job}/api/json` && (r.query['tree'] ?? '').includes('parameterDefinitions'));

    it('reads a job once within the TTL, concurrent callers included', async () => {
      const fresh = createJenkinsBuildRunner({ baseUrl: sim.url, user: USER, apiToken: TOKEN }, new CaptureLogger());
      const { result, requests } = await counting(sim, async () => {
        const all = await Promise.all(Array.from({ length: 5 }, () => fresh.describeProject('alpha')));
        all.push(await fresh.describeProject('alpha'));
        return all;
      });
      expect(jobReads(requests, 'alpha')).toHaveLength(1);
      for (const info of result) expect(info).toEqual({ name: 'alpha', parameters: [CORR, 'RESULT'], buildable: true, url: `${sim.url}job/alpha/` });
      // Callers get copies: one caller's change does not leak to the next.
      result[0]!.parameters.push('MUTATED');
      expect((await fresh.describeProject('alpha')).parameters).toEqual([CORR, 'RESULT']);
    });

    it('does not cache a 404, and reads again after the TTL', async () => {
      const short = createJenkinsBuildRunner({ baseUrl: sim.url, user: USER, apiToken: TOKEN, projectCacheTtlMs: 300 }, new CaptureLogger());
      const missing = await counting(sim, async () => [await rejection(short.describeProject('nope')), await rejection(short.describeProject('nope'))]);
      for (const error of missing.result) expect(error).toMatchObject({ failureType: 'ConfigurationError' });
      expect(jobReads(missing.requests, 'nope')).toHaveLength(2);

      const expiring = await counting(sim, async () => {
        await short.describeProject('beta');
        await short.describeProject('beta');
        await delay(400);
        await short.describeProject('beta');
      });
      expect(jobReads(expiring.requests, 'beta')).toHaveLength(2);
    });

    it('forgets a job when a trigger fails with a ConfigurationError (409 not buildable)', async () => {
      const fresh = createJenkinsBuildRunner({ baseUrl: sim.url, user: USER, apiToken: TOKEN }, new CaptureLogger());
      const { requests } = await counting(sim, async () => {
        expect((await fresh.describeProject('off')).buildable).toBe(false);
        expect(await rejection(fresh.trigger('off', { [CORR]: 'z' }))).toMatchObject({ failureType: 'ConfigurationError' });
        await fresh.describeProject('off');
      });
      expect(jobReads(requests, 'off')).toHaveLength(2);
    });
  });
});

/** A scripted Jenkins answering per path, for failures the simulator cannot produce per job. */
describe('observeMany against a scripted Jenkins', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await closeServers(servers);
  });

  async function scripted(handler: (req: IncomingMessage, url: URL, res: ServerResponse) => void): Promise<{ url: string; seen: URL[] }> {
    const seen: URL[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(url);
      res.setHeader('X-Jenkins', '2.528');
      handler(req, url, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen };
  }
  const json = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8' }).end(JSON.stringify(body));
  };
  const runnerFor = (url: string) => createJenkinsBuildRunner({ baseUrl: url, user: USER, apiToken: TOKEN, requestTimeoutMs: 2_000 }, new CaptureLogger());
  const corr = { name: CORR, value: 'v' };
  const run = (number: number, extra: Record<string, unknown> = {}) => ({
    _class: 'hudson.model.FreeStyleBuild',
    building: false,
    duration: 1000,
    estimatedDuration: 900,
    inProgress: false,
    number,
    queueId: number + 1000,
    result: 'SUCCESS',
    timestamp: 1_700_000_000_000 + number,
    url: `http://jenkins.example/job/x/${number}/`,
    ...extra,
  });

  it("rejects only the items of a job whose list read fails, and only the queue items when the queue read fails", async () => {
    const jenkins = await scripted((req, url, res) => {
      if (url.pathname === '/job/ok/api/json') return json(res, { _class: 'hudson.model.FreeStyleProject', lastBuild: { number: 2 }, allBuilds: [run(2), run(1)] });
      if (url.pathname === '/job/down/api/json') return void res.writeHead(503, { 'Content-Type': 'text/html' }).end('<h1>busy</h1>');
      if (url.pathname === '/queue/api/json') return void res.writeHead(502).end();
      res.writeHead(404).end();
    });
    const results = await runnerFor(jenkins.url).observeMany([
      { ref: { project: 'ok', buildNumber: 1 }, correlation: corr },
      { ref: { project: 'down', buildNumber: 5 }, correlation: corr },
      { ref: { project: 'ok', queueId: 77 }, correlation: corr },
      { ref: { project: 'ok', buildNumber: 2 }, correlation: corr },
    ]);
    expect(value(results[0])).toEqual({
      state: 'completed',
      ref: { project: 'ok', buildNumber: 1, queueId: 1001, url: 'http://jenkins.example/job/x/1/' },
      result: 'SUCCESS',
      startedAt: 1_700_000_000_001,
      durationMs: 1000,
    });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: expect.any(TransientError) });
    expect((results[1] as PromiseRejectedResult).reason.message).toContain('503');
    expect(results[2]).toMatchObject({ status: 'rejected', reason: expect.any(TransientError) });
    expect(value(results[3])).toMatchObject({ state: 'completed', ref: { buildNumber: 2 } });
    expect(jenkins.seen.filter((u) => u.pathname === '/job/ok/api/json')).toHaveLength(1);
  });

  it('sizes the window from the followed numbers and the last lastBuild seen; reads builds outside it one by one', async () => {
    let newest = 250;
    const jenkins = await scripted((req, url, res) => {
      if (url.pathname === '/job/x/api/json') {
        const range = /\{0,(\d+)\}$/.exec(url.searchParams.get('tree') ?? '');
        const count = Number(range?.[1] ?? 0);
        const builds = [];
        for (let n = newest; n > newest - count && n > 0; n--) builds.push(run(n, n >= 240 ? { building: true, inProgress: true, result: null, duration: 0 } : {}));
        return json(res, { _class: 'hudson.model.FreeStyleProject', lastBuild: { number: newest }, allBuilds: builds });
      }
      const single = /^\/job\/x\/(\d+)\/api\/json$/.exec(url.pathname);
      if (single) return json(res, run(Number(single[1])));
      res.writeHead(404).end();
    });
    const runner = runnerFor(jenkins.url);
    const followed = (numbers: number[]) => numbers.map((n) => ({ ref: { project: 'x', buildNumber: n }, correlation: corr }));
    const windows = () => jenkins.seen.filter((u) => u.pathname === '/job/x/api/json').map((u) => /\{0,(\d+)\}$/.exec(u.searchParams.get('tree') ?? '')?.[1]);

    const first = await runner.observeMany(followed([5, 245]));
    expect(first.map((r) => value(r).state)).toEqual(['completed', 'running']);
    expect(windows()).toEqual([String(245 - 5 + 1 + 100)]);

    // 150 builds started since: the window grows with the lastBuild seen, build #5 falls outside
    // this once and is read on its own.
    newest = 400;
    const second = await runner.observeMany(followed([5, 245]));
    expect(second.map((r) => value(r).state)).toEqual(['completed', 'running']);
    expect(windows()).toEqual(['341', String(250 - 5 + 1 + 100)]);
    expect(jenkins.seen.filter((u) => u.pathname === '/job/x/5/api/json')).toHaveLength(1);
    const third = await runner.observeMany(followed([5, 245]));
    expect(third.map((r) => value(r).state)).toEqual(['completed', 'running']);
    expect(windows()[2]).toBe(String(400 - 5 + 1 + 100));
    expect(jenkins.seen.filter((u) => u.pathname === '/job/x/5/api/json')).toHaveLength(1);
  });

  it('on Jenkins < 2.369 (no inProgress) checks the log of a failed build that looks finished, once', async () => {
    const jenkins = await scripted((req, url, res) => {
      if (url.pathname === '/job/old/api/json') {
        const { inProgress: _a, ...finished } = run(3, { result: 'UNSTABLE' });
        const { inProgress: _b, ...building } = run(4, { building: true, result: null, duration: 0 });
        return json(res, { lastBuild: { number: 4 }, allBuilds: [building, finished] });
      }
      if (url.pathname === '/job/old/3/logText/progressiveText') {
        return void res.writeHead(200, { 'Content-Type': 'text/plain;charset=UTF-8', 'X-Text-Size': '4', 'X-More-Data': 'true' }).end('log\n');
      }
      res.writeHead(404).end();
    });
    const results = await runnerFor(jenkins.url).observeMany([3, 4].map((n) => ({ ref: { project: 'old', buildNumber: n }, correlation: corr })));
    expect(results.map((r) => value(r))).toMatchObject([{ state: 'completed', result: 'UNSTABLE', logOpen: true }, { state: 'running' }]);
    expect(jenkins.seen.map((u) => u.pathname).sort()).toEqual(['/job/old/3/logText/progressiveText', '/job/old/api/json']);
  });

  it('rejects the whole call when the signal aborts', async () => {
    const jenkins = await scripted(() => {
      /* never answers */
    });
    const controller = new AbortController();
    const pending = runnerFor(jenkins.url).observeMany([{ ref: { project: 'x', buildNumber: 1 }, correlation: corr }], controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(isAbortError(await rejection(pending))).toBe(true);
    await expect(runnerFor(jenkins.url).observeMany([], AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});
