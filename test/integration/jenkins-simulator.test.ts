import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import { simScripts, startJenkinsSimulator, type JenkinsSimulator, type SimJobDefinition } from '../../src/local-stack/jenkins';

const TOKEN = '11aa22bb33cc44dd55ee66ff77889900aa';
const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const BRIDGE = basic('bridge', TOKEN);
const ALICE_PASSWORD = basic('alice', 'wonderland');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Plain fetch against one simulator, never following redirects, API-token auth by default. */
function client(sim: JenkinsSimulator) {
  const call = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(new URL(path.replace(/^\//, ''), sim.url), {
      redirect: 'manual',
      ...init,
      headers: { Authorization: BRIDGE, ...(init.headers as Record<string, string> | undefined) },
    });
  const json = async (path: string): Promise<Json> => {
    const res = await call(path);
    expect(res.status).toBe(200);
    return (await res.json()) as Json;
  };
  const form = (path: string, params: Record<string, string>, init: RequestInit = {}): Promise<Response> =>
    call(path, { method: 'POST', body: new URLSearchParams(params), ...init });
  const queueId = (res: Response): number => Number(/\/queue\/item\/(\d+)\/$/.exec(res.headers.get('location') ?? '')?.[1]);
  /** Polls the queue item until it names its build (skipping the transient executable:null). */
  const buildOf = (id: number): Promise<number> =>
    until(`queue item ${id} to start`, async () => {
      const item = await json(`queue/item/${id}/api/json`);
      return item['executable']?.number as number | undefined;
    });
  const finished = (jobUrl: string, n: number): Promise<Json> =>
    until(`${jobUrl}${n} to finish`, async () => {
      const res = await call(`${jobUrl}${n}/api/json`);
      if (res.status !== 200) return undefined;
      const build = (await res.json()) as Json;
      return build['inProgress'] ? undefined : build;
    });
  return { call, json, form, queueId, buildOf, finished };
}

const quick = async (): Promise<void> => undefined;

describe('Jenkins simulator', () => {
  let sim: JenkinsSimulator;
  let http: ReturnType<typeof client>;

  const jobs: SimJobDefinition[] = [
    {
      name: 'team/app/build',
      parameters: [
        { name: 'CODEPIPELINE_JOB_ID' },
        { name: 'MESSAGE', default: 'hello' },
        { name: 'RUN_TESTS', type: 'boolean', default: 'true' },
      ],
      script: async (ctx) => {
        ctx.log(`message: ${ctx.params['MESSAGE']}`);
      },
    },
    { name: 'plain', kind: 'freestyle', script: quick },
    { name: 'parked', kind: 'freestyle', quietPeriodMs: 60_000, script: quick },
    { name: 'off', disabled: true, parameters: [{ name: 'X' }], script: quick },
    { name: 'folder with space/Test Jøb', parameters: [{ name: 'ID' }], script: quick },
    { name: 'slow', parameters: [{ name: 'ID' }], script: simScripts.sleeping(20_000) },
    { name: 'throws', script: async () => Promise.reject(new Error('boom')) },
    {
      name: 'artifacts',
      script: simScripts.archiving({
        'dist/app.zip': Buffer.from([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]),
        'reports/linux/report.txt': 'linux ok\n',
        'reports/windows/report.txt': 'windows ok\n',
        'docs/résumé notes.md': '# Résumé\n',
      }),
    },
    {
      name: 'many-artifacts',
      script: simScripts.archiving(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f/${i}.txt`, `file ${i}\n`]))),
    },
  ];

  beforeAll(async () => {
    sim = await startJenkinsSimulator({
      users: [
        { user: 'bridge', apiToken: TOKEN },
        { user: 'alice', apiToken: 'alice-token', password: 'wonderland' },
      ],
      executors: 4,
      quietPeriodMs: 20,
      postProductionMs: 20,
      jobs,
    });
    http = client(sim);
  });

  afterAll(async () => {
    await sim.close();
  });

  describe('authentication and headers', () => {
    it('answers anonymous requests with a 403 HTML page and Jenkins headers', async () => {
      const res = await fetch(`${sim.url}api/json`, { redirect: 'manual' });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('x-jenkins')).toMatch(/^2\.\d+/);
      expect(res.headers.get('x-jenkins-session')).toMatch(/^[0-9a-f]{8}$/);
      expect(res.headers.get('x-you-are-authenticated-as')).toBe('anonymous');
      expect(await res.text()).toContain('/login?from=%2Fapi%2Fjson');
    });

    it('answers bad credentials with 401 and a Basic challenge', async () => {
      const res = await http.call('api/json', { headers: { Authorization: basic('bridge', 'wrong') } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Jenkins"');
    });

    it('serves the root API with jobs, crumbs and security on', async () => {
      const root = await http.json('api/json');
      expect(root).toMatchObject({ _class: 'hudson.model.Hudson', useCrumbs: true, useSecurity: true, url: sim.url });
      expect(root['jobs']).toEqual(
        expect.arrayContaining([
          { _class: 'com.cloudbees.hudson.plugins.folder.Folder', name: 'team', url: `${sim.url}job/team/` },
          { _class: 'hudson.model.FreeStyleProject', name: 'plain', url: `${sim.url}job/plain/`, color: expect.any(String) },
        ]),
      );
    });

    it('records requests with the authenticated user', async () => {
      await http.call('api/json?tree=jobs[name]');
      const last = sim.requests[sim.requests.length - 1]!;
      expect(last).toMatchObject({ method: 'GET', path: '/api/json', query: { tree: 'jobs[name]' }, status: 200, authUser: 'bridge', authKind: 'token' });
    });
  });

  describe('CSRF crumbs', () => {
    it('exempts API-token POSTs', async () => {
      const res = await http.call('job/plain/build', { method: 'POST' });
      expect(res.status).toBe(201);
    });

    it('rejects password POSTs without a crumb, and with a crumb but no session cookie', async () => {
      const bare = await http.call('job/plain/build', { method: 'POST', headers: { Authorization: ALICE_PASSWORD } });
      expect(bare.status).toBe(403);
      expect(await bare.text()).toContain('No valid crumb was included in the request');

      const issued = await http.call('crumbIssuer/api/json', { headers: { Authorization: ALICE_PASSWORD } });
      const { crumb } = (await issued.json()) as Json;
      const noCookie = await http.call('job/plain/build', { method: 'POST', headers: { Authorization: ALICE_PASSWORD, 'Jenkins-Crumb': crumb } });
      expect(noCookie.status).toBe(403);
    });

    it('accepts password POSTs with the crumb and its session cookie', async () => {
      const issued = await http.call('crumbIssuer/api/json', { headers: { Authorization: ALICE_PASSWORD } });
      const body = (await issued.json()) as Json;
      expect(body).toEqual({ _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb: expect.stringMatching(/^[0-9a-f]{64}$/), crumbRequestField: 'Jenkins-Crumb' });
      const cookie = issued.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^JSESSIONID\.[0-9a-f]{8}=[^;]+; Path=\/; HttpOnly$/);
      const res = await http.call('job/plain/build', {
        method: 'POST',
        headers: { Authorization: ALICE_PASSWORD, 'Jenkins-Crumb': body['crumb'], Cookie: cookie.split(';')[0]! },
      });
      expect(res.status).toBe(201);
      expect(sim.requests[sim.requests.length - 1]).toMatchObject({ authUser: 'alice', authKind: 'password', crumb: body['crumb'], status: 201 });
    });
  });

  describe('triggering', () => {
    it('queues buildWithParameters with 201, an empty body and a Location on the request host', async () => {
      const res = await http.form('job/team/job/app/job/build/buildWithParameters', { CODEPIPELINE_JOB_ID: 'job-1', UNDECLARED: 'x' });
      expect(res.status).toBe(201);
      expect(await res.text()).toBe('');
      expect(res.headers.get('location')).toMatch(new RegExp(`^${sim.url}queue/item/\\d+/$`));
      const number = await http.buildOf(http.queueId(res));
      const build = await http.finished('job/team/job/app/job/build/', number);
      // Only declared parameters exist; missing ones take their defaults; booleans are JSON booleans.
      expect(build['actions'][0]).toEqual({
        _class: 'hudson.model.ParametersAction',
        parameters: [
          { _class: 'hudson.model.StringParameterValue', name: 'CODEPIPELINE_JOB_ID', value: 'job-1' },
          { _class: 'hudson.model.StringParameterValue', name: 'MESSAGE', value: 'hello' },
          { _class: 'hudson.model.BooleanParameterValue', name: 'RUN_TESTS', value: true },
        ],
      });
      expect(build['actions'][1]['causes'][0]).toMatchObject({ _class: 'hudson.model.Cause$UserIdCause', shortDescription: 'Started by user bridge' });
      expect(sim.builds('team/app/build').find((b) => b.number === number)?.params).toEqual({ CODEPIPELINE_JOB_ID: 'job-1', MESSAGE: 'hello', RUN_TESTS: 'true' });
    });

    it('takes parameters from the query string and multipart bodies too', async () => {
      const body = new FormData();
      body.append('MESSAGE', 'from multipart');
      const res = await http.call('job/team/job/app/job/build/buildWithParameters?CODEPIPELINE_JOB_ID=job-2', { method: 'POST', body });
      expect(res.status).toBe(201);
      const number = await http.buildOf(http.queueId(res));
      await http.finished('job/team/job/app/job/build/', number);
      expect(sim.builds('team/app/build').find((b) => b.number === number)?.params).toMatchObject({ CODEPIPELINE_JOB_ID: 'job-2', MESSAGE: 'from multipart' });
    });

    it('answers 500 when a declared parameter is given twice', async () => {
      const res = await http.form('job/team/job/app/job/build/buildWithParameters?MESSAGE=a', { MESSAGE: 'b' });
      expect(res.status).toBe(500);
      expect(await res.text()).toContain('Illegal number of parameter values');
    });

    it('folds a duplicate queued request into the existing item: 303 for buildWithParameters, 201 for build', async () => {
      const first = await http.form('job/slow/buildWithParameters?delay=30sec', { ID: 'same' });
      const second = await http.form('job/slow/buildWithParameters?delay=30sec', { ID: 'same' });
      const other = await http.form('job/slow/buildWithParameters?delay=30sec', { ID: 'different' });
      expect(first.status).toBe(201);
      expect(second.status).toBe(303);
      expect(second.headers.get('location')).toBe(first.headers.get('location'));
      expect(other.status).toBe(201);
      expect(http.queueId(other)).not.toBe(http.queueId(first));

      const a = await http.call('job/parked/build', { method: 'POST' });
      const b = await http.call('job/parked/build', { method: 'POST' });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.headers.get('location')).toBe(a.headers.get('location'));

      for (const id of [http.queueId(first), http.queueId(other), http.queueId(a)]) {
        expect((await http.call(`queue/cancelItem?id=${id}`, { method: 'POST' })).status).toBe(204);
      }
    });

    it('rejects the wrong trigger endpoint, unknown and disabled jobs, and GETs', async () => {
      const notParameterized = await http.call('job/plain/buildWithParameters', { method: 'POST' });
      expect(notParameterized.status).toBe(400);
      expect(await notParameterized.text()).toContain('plain is not parameterized');

      const noForm = await http.call('job/team/job/app/job/build/build', { method: 'POST' });
      expect(noForm.status).toBe(400);
      expect(await noForm.text()).toContain('Nothing is submitted');

      expect((await http.call('job/nope/buildWithParameters', { method: 'POST' })).status).toBe(404);
      expect((await http.call('job/team/job/nope/api/json')).status).toBe(404);
      const disabled = await http.form('job/off/buildWithParameters', { X: '1' });
      expect(disabled.status).toBe(409);
      expect(await disabled.text()).toContain('off is not buildable');
      const get = await http.call('job/team/job/app/job/build/buildWithParameters');
      expect(get.status).toBe(405);
      expect((await http.call('job/plain/build')).status).toBe(405);
    });

    it('builds a parameterized job through the UI json form of /build', async () => {
      const json = JSON.stringify({ parameter: [{ name: 'CODEPIPELINE_JOB_ID', value: 'form-1' }] });
      const res = await http.form('job/team/job/app/job/build/build?delay=0sec', { json });
      expect(res.status).toBe(201);
      const number = await http.buildOf(http.queueId(res));
      await http.finished('job/team/job/app/job/build/', number);
      expect(sim.builds('team/app/build').find((b) => b.number === number)?.params['CODEPIPELINE_JOB_ID']).toBe('form-1');
    });
  });

  describe('folders and names', () => {
    it('serves folders and percent-encoded non-ASCII names with spaces', async () => {
      const folder = await http.json('job/folder%20with%20space/api/json');
      expect(folder).toMatchObject({
        _class: 'com.cloudbees.hudson.plugins.folder.Folder',
        fullName: 'folder with space',
        jobs: [{ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', name: 'Test Jøb', url: `${sim.url}job/folder%20with%20space/job/Test%20J%C3%B8b/` }],
      });
      const path = 'job/folder%20with%20space/job/Test%20J%C3%B8b/';
      const job = await http.json(`${path}api/json`);
      expect(job).toMatchObject({ fullName: 'folder with space/Test Jøb', buildable: true, concurrentBuild: true, inQueue: false, nextBuildNumber: 1 });
      expect(job['property'][0]['parameterDefinitions'][0]).toMatchObject({
        _class: 'hudson.model.StringParameterDefinition',
        name: 'ID',
        type: 'StringParameterDefinition',
        defaultParameterValue: { _class: 'hudson.model.StringParameterValue', name: 'ID', value: '' },
      });
      const res = await http.form(`${path}buildWithParameters`, { ID: 'x' });
      const number = await http.buildOf(http.queueId(res));
      const build = await http.finished(path, number);
      expect(build['fullDisplayName']).toBe(`folder with space » Test Jøb #${number}`);
      expect(build['url']).toBe(`${sim.url}${path}${number}/`);
    });

    it('applies tree= filters, keeping _class and exposing builds[queueId]', async () => {
      const job = await http.json('job/folder%20with%20space/job/Test%20J%C3%B8b/api/json?tree=name,builds[number,queueId,url]{0,1}');
      expect(Object.keys(job)).toEqual(['_class', 'name', 'builds']);
      expect(job['builds']).toEqual([{ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: 1, queueId: expect.any(Number), url: expect.any(String) }]);
      expect((await http.call('api/json?tree=jobs[name')).status).toBe(400);
    });
  });

  describe('builds', () => {
    it('reports a running build, its progressive log, then ABORTED after stop', async () => {
      const res = await http.form('job/slow/buildWithParameters?delay=0sec', { ID: 'stop-me' });
      const number = await http.buildOf(http.queueId(res));
      const running = await http.json(`job/slow/${number}/api/json`);
      expect(running).toMatchObject({
        _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
        building: true,
        inProgress: true,
        result: null,
        duration: 0,
        executor: { _class: 'hudson.model.OneOffExecutor' },
        id: String(number),
        number,
        queueId: http.queueId(res),
        displayName: `#${number}`,
      });

      const partial = await http.call(`job/slow/${number}/logText/progressiveText?start=0`);
      expect(partial.headers.get('x-more-data')).toBe('true');
      const text = Buffer.from(await partial.arrayBuffer());
      expect(Number(partial.headers.get('x-text-size'))).toBe(text.length);
      expect(text.toString()).toContain('Started by user bridge\r\n');

      expect((await http.call(`job/slow/${number}/stop`)).status).toBe(405);
      const stop = await http.call(`job/slow/${number}/stop`, { method: 'POST' });
      expect(stop.status).toBe(302);
      expect(stop.headers.get('location')).toBe(`${sim.url}job/slow/${number}/`);
      const done = await http.finished('job/slow/', number);
      expect(done).toMatchObject({ result: 'ABORTED', building: false, executor: null });

      const log = await http.call(`job/slow/${number}/consoleText`);
      expect(log.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
      const whole = await log.text();
      expect(whole).toContain('Aborted by bridge\r\n');
      expect(whole.endsWith('Finished: ABORTED\r\n')).toBe(true);
      // Complete log: no X-More-Data; a start beyond the end restarts at 0.
      const rest = await http.form(`job/slow/${number}/logText/progressiveText`, { start: String(Buffer.byteLength(whole) + 100) });
      expect(rest.headers.get('x-more-data')).toBeNull();
      expect(await rest.text()).toBe(whole);
      expect((await http.call(`job/slow/${number}/stop`, { method: 'POST' })).status).toBe(302);
    });

    it('turns a thrown error into FAILURE with the message in the log', async () => {
      const res = await http.call('job/throws/build?delay=0sec', { method: 'POST' });
      const number = await http.buildOf(http.queueId(res));
      const build = await http.finished('job/throws/', number);
      expect(build['result']).toBe('FAILURE');
      expect(build['estimatedDuration']).toBe(-1);
      expect(await (await http.call(`job/throws/${number}/consoleText`)).text()).toContain('ERROR: boom\r\n');
      expect((await http.call('job/throws/lastBuild/api/json')).status).toBe(200);
      expect((await http.call('job/throws/99/api/json')).status).toBe(404);
    });

    it('lists, serves and zips artifacts', async () => {
      const res = await http.call('job/artifacts/build', { method: 'POST' });
      const number = await http.buildOf(http.queueId(res));
      const build = await http.finished('job/artifacts/', number);
      expect(build['artifacts']).toEqual([
        { displayPath: 'app.zip', fileName: 'app.zip', relativePath: 'dist/app.zip' },
        { displayPath: 'résumé notes.md', fileName: 'résumé notes.md', relativePath: 'docs/résumé notes.md' },
        { displayPath: 'linux/report.txt', fileName: 'report.txt', relativePath: 'reports/linux/report.txt' },
        { displayPath: 'windows/report.txt', fileName: 'report.txt', relativePath: 'reports/windows/report.txt' },
      ]);
      const file = await http.call(`job/artifacts/${number}/artifact/docs/r%C3%A9sum%C3%A9%20notes.md`);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-length')).toBe(String(Buffer.byteLength('# Résumé\n')));
      expect(await file.text()).toBe('# Résumé\n');
      expect((await http.call(`job/artifacts/${number}/artifact/docs/missing.md`)).status).toBe(404);

      const zipRes = await http.call(`job/artifacts/${number}/artifact/*zip*/archive.zip`);
      expect(zipRes.headers.get('content-type')).toBe('application/zip');
      const zip = await yauzl.fromBufferPromise(Buffer.from(await zipRes.arrayBuffer()));
      const names: string[] = [];
      for await (const entry of zip.eachEntry()) names.push(entry.fileName);
      expect(names.sort()).toEqual(['archive/dist/app.zip', 'archive/docs/résumé notes.md', 'archive/reports/linux/report.txt', 'archive/reports/windows/report.txt']);
    });

    it('drops displayPath beyond 20 artifacts', async () => {
      const res = await http.call('job/many-artifacts/build', { method: 'POST' });
      const build = await http.finished('job/many-artifacts/', await http.buildOf(http.queueId(res)));
      expect(build['artifacts']).toHaveLength(21);
      expect(build['artifacts'].every((a: Json) => a['displayPath'] === null)).toBe(true);
    });

    it('keeps job JSON consistent: lastBuild, builds and color', async () => {
      const job = await http.json('job/throws/api/json');
      expect(job).toMatchObject({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', color: 'red', property: [], lastBuild: { number: 1 } });
      expect(job['builds'][0]).toEqual({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: 1, url: `${sim.url}job/throws/1/` });
    });
  });

  describe('queue cancellation', () => {
    it('cancels a waiting item (204), then answers 500 for it and 404 for unknown ids', async () => {
      const res = await http.form('job/slow/buildWithParameters?delay=60sec', { ID: 'cancel-me' });
      const id = http.queueId(res);
      const waiting = await http.json(`queue/item/${id}/api/json`);
      expect(waiting).toMatchObject({ _class: 'hudson.model.Queue$WaitingItem', why: expect.stringMatching(/^In the quiet period\. Expires in /), url: `queue/item/${id}/`, params: '\nID=cancel-me' });
      expect((await http.json('queue/api/json'))['items'].map((i: Json) => i['id'])).toContain(id);

      expect((await http.call(`queue/cancelItem?id=${id}`, { method: 'POST' })).status).toBe(204);
      const left = await http.json(`queue/item/${id}/api/json`);
      expect(left).toMatchObject({ _class: 'hudson.model.Queue$LeftItem', cancelled: true, executable: null, why: null });
      expect((await http.call(`queue/cancelItem?id=${id}`, { method: 'POST' })).status).toBe(500);
      const unknown = await http.call('queue/cancelItem?id=987654', { method: 'POST' });
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).toContain('Provided id (987654) not found');
      expect((await http.call(`queue/item/${id}/cancelQueue`, { method: 'POST' })).status).toBe(204);

      const index = await http.call(`queue/item/${id}/`);
      expect(await index.text()).toMatch(/^Queue item exists\. For details check/);
    });
  });

  describe('fault injection', () => {
    it('resets connections or answers 503, then recovers', async () => {
      sim.setDown('reset');
      await expect(http.call('api/json')).rejects.toThrow();
      expect(sim.requests[sim.requests.length - 1]!.status).toBe(0);
      sim.setDown('503');
      expect((await http.call('api/json')).status).toBe(503);
      sim.setDown(false);
      expect((await http.call('api/json')).status).toBe(200);
    });
  });
});

describe('Jenkins simulator queue timing', () => {
  let sim: JenkinsSimulator;
  let http: ReturnType<typeof client>;

  beforeAll(async () => {
    sim = await startJenkinsSimulator({
      executors: 1,
      quietPeriodMs: 150,
      postProductionMs: 250,
      leftItemRetentionMs: 400,
      jobs: [
        { name: 'hold', parameters: [{ name: 'ID' }], script: simScripts.sleeping(400) },
        { name: 'fs', kind: 'freestyle', script: quick },
        { name: 'serial', kind: 'freestyle', concurrentBuild: false, parameters: [{ name: 'ID' }], script: simScripts.sleeping(300) },
      ],
    });
    http = client(sim);
  });

  afterAll(async () => {
    await sim.close();
  });

  it('moves an item Waiting → Buildable → Left (executable:null once) → Left with executable', async () => {
    const a = http.queueId(await http.form('job/hold/buildWithParameters?delay=0sec', { ID: 'a' }));
    await http.buildOf(a);
    const b = http.queueId(await http.form('job/hold/buildWithParameters', { ID: 'b' }));
    expect(b).toBe(a + 1);
    const seen: string[] = [];
    let firstLeft: Json | undefined;
    await until('item b to leave the queue', async () => {
      const item = await http.json(`queue/item/${b}/api/json`);
      if (seen[seen.length - 1] !== item['_class']) seen.push(item['_class']);
      if (item['_class'] === 'hudson.model.Queue$BuildableItem') {
        expect(item).toMatchObject({ buildable: true, why: 'Waiting for next available executor', pending: false, stuck: false });
      }
      if (item['_class'] === 'hudson.model.Queue$LeftItem') firstLeft = item;
      return firstLeft;
    });
    expect(seen).toEqual(['hudson.model.Queue$WaitingItem', 'hudson.model.Queue$BuildableItem', 'hudson.model.Queue$LeftItem']);
    expect(firstLeft).toMatchObject({ cancelled: false, executable: null });
    const next = await http.json(`queue/item/${b}/api/json`);
    expect(next['executable']).toEqual({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: 2, url: `${sim.url}job/hold/2/` });
    await sim.waitForIdle(5_000);
    expect(sim.builds('hold').map((x) => [x.number, x.queueId, x.result])).toEqual([
      [1, a, 'SUCCESS'],
      [2, b, 'SUCCESS'],
    ]);
  });

  it('forgets left items after the retention time; builds[queueId] still finds the build', async () => {
    const id = http.queueId(await http.call('job/fs/build?delay=0sec', { method: 'POST' }));
    const number = await http.buildOf(id);
    await sim.waitForIdle(5_000);
    await until('left item to expire', async () => ((await http.call(`queue/item/${id}/api/json`)).status === 404 ? true : undefined));
    const job = await http.json('job/fs/api/json?tree=builds[number,queueId]');
    expect(job['builds']).toContainEqual({ _class: 'hudson.model.FreeStyleBuild', number, queueId: id });
  });

  it('shows a freestyle build as building:false with a result while still inProgress (POST_PRODUCTION)', async () => {
    const id = http.queueId(await http.call('job/fs/build?delay=0sec', { method: 'POST' }));
    const number = await http.buildOf(id);
    const post = await until('post-production', async () => {
      const b = await http.json(`job/fs/${number}/api/json`);
      return b['result'] !== null ? b : undefined;
    });
    expect(post).toMatchObject({ building: false, inProgress: true, result: 'SUCCESS' });
    const log = await http.call(`job/fs/${number}/logText/progressiveText?start=0`);
    expect(log.headers.get('x-more-data')).toBe('true');
    const done = await http.finished('job/fs/', number);
    expect(done).toMatchObject({ building: false, inProgress: false, result: 'SUCCESS', executor: null });
    expect(done['duration']).toBeGreaterThan(0);
  });

  it('blocks a second build of a job without concurrent builds', async () => {
    await http.buildOf(http.queueId(await http.form('job/serial/buildWithParameters?delay=0sec', { ID: '1' })));
    const second = http.queueId(await http.form('job/serial/buildWithParameters?delay=0sec', { ID: '2' }));
    const blocked = await until('a BlockedItem', async () => {
      const item = await http.json(`queue/item/${second}/api/json`);
      return item['_class'] === 'hudson.model.Queue$BlockedItem' ? item : undefined;
    });
    expect(blocked).toMatchObject({ blocked: true, buildable: false, why: 'Build #1 is already in progress (ETA: N/A)' });
    expect(await http.buildOf(second)).toBe(2);
    await sim.waitForIdle(5_000);
  });

  it('removes a deleted build', async () => {
    const [first] = sim.builds('fs');
    sim.deleteBuild('fs', first!.number);
    expect((await http.call(`job/fs/${first!.number}/api/json`)).status).toBe(404);
    expect(sim.builds('fs').map((b) => b.number)).not.toContain(first!.number);
  });
});

describe('transformInputs script', () => {
  let sim: JenkinsSimulator;
  let http: ReturnType<typeof client>;
  let source: Server;
  let zipBytes: Buffer;
  let sourceUrl: string;

  beforeAll(async () => {
    const zip = new ZipFile();
    zip.addBuffer(Buffer.from('hello wörld\nsecond line\n'), 'README.md');
    zip.addBuffer(Buffer.from([0x00, 0x01, 0x02, 0x61]), 'bin/blob.dat');
    zip.end();
    const chunks: Buffer[] = [];
    for await (const c of zip.outputStream) chunks.push(c as Buffer);
    zipBytes = Buffer.concat(chunks);
    source = createServer((req, res) => {
      if (req.url?.startsWith('/artifacts/src.zip')) {
        res.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': zipBytes.length }).end(zipBytes);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}/artifacts/src.zip?token=secret`;
    sim = await startJenkinsSimulator({
      quietPeriodMs: 0,
      postProductionMs: 10,
      jobs: [
        { name: 'multi', parameters: [{ name: 'CODEPIPELINE_OUTPUT_ARTIFACTS' }], script: simScripts.multiOutput() },
        { name: 'vars', parameters: [{ name: 'CODEPIPELINE_OUTPUT_ARTIFACTS' }], script: simScripts.withOutputVariables({ VERSION: '1.2.3' }) },
        { name: 'gen', script: simScripts.generated({ bytes: 200_001, files: 2, compressible: true }) },
        { name: 'fail', script: simScripts.failing('3 tests failed') },
        {
          name: 'transform',
          parameters: [{ name: 'CODEPIPELINE_INPUT_ARTIFACTS' }, { name: 'CODEPIPELINE_OUTPUT_ARTIFACTS' }],
          script: simScripts.transformInputs(),
        },
      ],
    });
    http = client(sim);
  });

  afterAll(async () => {
    await sim.close();
    await new Promise<void>((resolve) => source.close(() => resolve()));
  });

  const run = async (outputs: string[]): Promise<{ number: number; build: Json }> => {
    const inputs = [{ name: 'Src', url: sourceUrl, bucket: 'b', key: 'k/src.zip', revision: 'r1' }];
    const res = await http.form('job/transform/buildWithParameters', {
      CODEPIPELINE_INPUT_ARTIFACTS: JSON.stringify(inputs),
      CODEPIPELINE_OUTPUT_ARTIFACTS: JSON.stringify(outputs),
    });
    const number = await http.buildOf(http.queueId(res));
    return { number, build: await http.finished('job/transform/', number) };
  };

  it('downloads, unzips and archives uppercased text, copied binaries and a manifest', async () => {
    const { number, build } = await run(['Out']);
    expect(build['result']).toBe('SUCCESS');
    expect(build['artifacts'].map((a: Json) => a['relativePath'])).toEqual(['Src/README.md', 'Src/bin/blob.dat', 'manifest.json']);
    expect(await (await http.call(`job/transform/${number}/artifact/Src/README.md`)).text()).toBe('HELLO WÖRLD\nSECOND LINE\n');
    const blob = Buffer.from(await (await http.call(`job/transform/${number}/artifact/Src/bin/blob.dat`)).arrayBuffer());
    expect(blob).toEqual(Buffer.from([0x00, 0x01, 0x02, 0x61]));
    const manifest = (await (await http.call(`job/transform/${number}/artifact/manifest.json`)).json()) as Json;
    expect(manifest['inputs'][0]).toMatchObject({
      name: 'Src',
      revision: 'r1',
      sha256: createHash('sha256').update(zipBytes).digest('hex'),
      files: [
        { path: 'README.md', transform: 'uppercase' },
        { path: 'bin/blob.dat', transform: 'copy' },
      ],
    });
    const log = await (await http.call(`job/transform/${number}/consoleText`)).text();
    expect(log).toContain('Downloading input artifact "Src"');
    expect(log).not.toContain('token=secret');
  });

  it('fails the build when an input cannot be downloaded', async () => {
    const inputs = [{ name: 'Src', url: sourceUrl.replace('src.zip', 'gone.zip'), bucket: 'b', key: 'k', revision: null }];
    const res = await http.form('job/transform/buildWithParameters', { CODEPIPELINE_INPUT_ARTIFACTS: JSON.stringify(inputs), CODEPIPELINE_OUTPUT_ARTIFACTS: '["Out"]' });
    const number = await http.buildOf(http.queueId(res));
    expect((await http.finished('job/transform/', number))['result']).toBe('FAILURE');
    expect(await (await http.call(`job/transform/${number}/consoleText`)).text()).toContain('Download of input artifact "Src" failed: HTTP 404');
  });

  it('provides multi-output, output-variable, generated and failing scripts', async () => {
    const start = async (job: string, params: Record<string, string> = {}): Promise<Json> => {
      const res = Object.keys(params).length > 0 ? await http.form(`job/${job}/buildWithParameters`, params) : await http.call(`job/${job}/build`, { method: 'POST' });
      return http.finished(`job/${job}/`, await http.buildOf(http.queueId(res)));
    };
    const paths = (b: Json): string[] => b['artifacts'].map((a: Json) => a['relativePath']);
    expect(paths(await start('multi', { CODEPIPELINE_OUTPUT_ARTIFACTS: '["X","Y"]' }))).toEqual(['X/README.txt', 'X/data/X.json', 'Y/README.txt', 'Y/data/Y.json']);
    const vars = await start('vars', { CODEPIPELINE_OUTPUT_ARTIFACTS: '["Out"]' });
    expect(paths(vars)).toEqual(['codepipeline-outputs.json', 'result.txt']);
    expect(await (await http.call(`job/vars/${vars['number']}/artifact/codepipeline-outputs.json`)).json()).toEqual({ VERSION: '1.2.3' });
    const gen = await start('gen');
    const sizes = await Promise.all(paths(gen).map(async (p) => Number((await http.call(`job/gen/${gen['number']}/artifact/${p}`)).headers.get('content-length'))));
    expect(paths(gen)).toEqual(['data/part-0001.bin', 'data/part-0002.bin']);
    expect(sizes).toEqual([100_001, 100_000]);
    const fail = await start('fail');
    expect(fail['result']).toBe('FAILURE');
    expect(await (await http.call(`job/fail/${fail['number']}/consoleText`)).text()).toContain('ERROR: 3 tests failed\r\n');
  });

  it('archives under a folder per output when there are several outputs', async () => {
    const { build } = await run(['A', 'B']);
    const paths = build['artifacts'].map((a: Json) => a['relativePath']);
    expect(paths).toEqual(['A/Src/README.md', 'A/Src/bin/blob.dat', 'A/manifest.json', 'B/Src/README.md', 'B/Src/bin/blob.dat', 'B/manifest.json']);
  });
});
