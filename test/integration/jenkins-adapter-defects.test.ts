import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createJenkinsBuildRunner } from '../../src/adapters/jenkins';
import { PermanentError, TransientError, isAbortError } from '../../src/core/errors';
import { CaptureLogger } from '../support/capture-logger';
import { rejection } from '../support/rejection';
import { closeServers } from '../support/close-servers';

/**
 * The `jenkins` client's defects and Jenkins' awkward answers, each against a tiny scripted server
 * that answers exactly as real Jenkins does (status + headers from jenkins.md), so every workaround
 * is pinned down independently of the simulator's timing.
 */

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const servers: Server[] = [];

async function scripted(handler: Handler): Promise<{ url: string; origin: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.setHeader('X-Jenkins', '2.528');
      handler(req, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, origin: `http://127.0.0.1:${port}`, requests };
}

afterEach(async () => {
  await closeServers(servers);
});

const USER = 'bridge';
const TOKEN = '11aa22bb33cc44dd55ee66ff77889900aa';
const runnerFor = (url: string, extra: { crumb?: 'auto' | 'always' | 'never'; requestTimeoutMs?: number } = {}, logger = new CaptureLogger()) =>
  createJenkinsBuildRunner({ baseUrl: url, user: USER, apiToken: TOKEN, ...extra }, logger);


const json = (res: ServerResponse, value: unknown): void => {
  res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8' });
  res.end(JSON.stringify(value));
};

// The untyped client, to show the defects the adapter works around are real.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Jenkins = require('jenkins') as new (opts: object) => {
  job: { build(...args: unknown[]): Promise<unknown> };
  queue: { cancel(id: number): Promise<unknown> };
};

describe('trigger workarounds', () => {
  it('sends parameters with the object form (the (name, params) form silently drops them)', async () => {
    const jenkins = await scripted((req, res) => {
      res.writeHead(201, { Location: 'http://127.0.0.1/queue/item/5/' }).end();
    });
    const client = new Jenkins({ baseUrl: jenkins.origin, crumbIssuer: false });
    await client.job.build('app', { A: '1' }); // the defect: treated as options
    expect(jenkins.requests[0]).toMatchObject({ url: '/job/app/build', body: '' });

    const ref = await runnerFor(jenkins.url).trigger('app', { A: '1', B: 'x y' });
    expect(ref.queueId).toBe(5);
    expect(jenkins.requests[1]).toMatchObject({ method: 'POST', url: '/job/app/buildWithParameters', body: 'A=1&B=x%20y' });
    expect(jenkins.requests[1]!.headers.authorization).toBe(`Basic ${Buffer.from(`${USER}:${TOKEN}`).toString('base64')}`);
  });

  it('recovers the existing queue id from a 303 and builds follow-up URLs from the configured base', async () => {
    const jenkins = await scripted((req, res) => {
      if (req.url === '/job/app/buildWithParameters') return void res.writeHead(303, { Location: 'http://jenkins-internal:8080/queue/item/77/' }).end();
      res.writeHead(404).end();
    });
    const logger = new CaptureLogger();
    const ref = await runnerFor(jenkins.url, {}, logger).trigger('app', { A: '1' });
    expect(ref).toEqual({ project: 'app', queueId: 77, url: `${jenkins.url}queue/item/77/` });
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'warn', meta: expect.objectContaining({ queueId: 77 }) }));
  });

  it('turns a 302 to the job page (nothing queued; the client returns NaN) into TransientError', async () => {
    const jenkins = await scripted((req, res) => {
      res.writeHead(302, { Location: 'http://127.0.0.1:1/job/team/job/app/' }).end();
    });
    const client = new Jenkins({ baseUrl: jenkins.origin, crumbIssuer: false });
    expect(await client.job.build({ name: 'team/app', parameters: { A: '1' } })).toBeNaN();

    const error = await rejection(runnerFor(jenkins.url).trigger('team/app', { A: '1' }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('Jenkins did not queue the build of "team/app"');
  });

  it('treats a 302 to an identity provider as a configuration problem', async () => {
    const jenkins = await scripted((req, res) => {
      res.writeHead(302, { Location: 'https://sso.example.com/oauth2/authorize?client_id=x' }).end();
    });
    const error = await rejection(runnerFor(jenkins.url).trigger('app', { A: '1' }));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).failureType).toBe('ConfigurationError');
    expect(error.message).toContain('https://sso.example.com/oauth2/authorize');
  });
});

describe('queue cancel workaround', () => {
  it('cancels through /queue/cancelItem and accepts its 204 (the client’s queue.cancel throws on it)', async () => {
    const jenkins = await scripted((req, res) => {
      res.writeHead(204).end();
    });
    const client = new Jenkins({ baseUrl: jenkins.origin, crumbIssuer: false });
    await expect(client.queue.cancel(5)).rejects.toThrow('failed to cancel');
    expect(jenkins.requests[0]).toMatchObject({ method: 'POST', url: '/queue/item/5/cancelQueue' });

    await runnerFor(jenkins.url).stop({ project: 'app', queueId: 5 });
    expect(jenkins.requests[1]).toMatchObject({ method: 'POST', url: '/queue/cancelItem?id=5' });
    expect(jenkins.requests).toHaveLength(2);
  });

  it('stops the build when the item already left the queue (cancelItem 500)', async () => {
    const jenkins = await scripted((req, res) => {
      if (req.url === '/queue/cancelItem?id=6') return void res.writeHead(500, { 'Content-Type': 'text/html' }).end('Could not cancel run for id 6');
      if (req.url?.startsWith('/queue/item/6/api/json')) {
        return json(res, { _class: 'hudson.model.Queue$LeftItem', id: 6, cancelled: false, executable: { _class: 'hudson.model.FreeStyleBuild', number: 12, url: 'http://x/job/app/12/' } });
      }
      if (req.url === '/job/app/12/stop') return void res.writeHead(302, { Location: 'http://x/job/app/12/' }).end();
      res.writeHead(404).end();
    });
    await runnerFor(jenkins.url).stop({ project: 'app', queueId: 6 });
    expect(jenkins.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual(['POST /queue/cancelItem', 'GET /queue/item/6/api/json', 'POST /job/app/12/stop']);
  });
});

describe('crumbs', () => {
  it("auto: refreshes a rejected crumb once, sending the crumb's session cookie", async () => {
    let issued = 0;
    const jenkins = await scripted((req, res) => {
      if (req.url === '/crumbIssuer/api/json') {
        issued++;
        res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8', 'Set-Cookie': `JSESSIONID.abcd1234=s${issued}; Path=/; HttpOnly` });
        return void res.end(JSON.stringify({ _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb: `c${issued}`, crumbRequestField: 'Jenkins-Crumb' }));
      }
      if (req.headers['jenkins-crumb'] === 'c2' && req.headers.cookie === 'JSESSIONID.abcd1234=s2') {
        return void res.writeHead(201, { Location: 'http://127.0.0.1/queue/item/8/' }).end();
      }
      res.writeHead(403, { 'Content-Type': 'text/html;charset=utf-8' }).end('<html><body><h2>HTTP ERROR 403 No valid crumb was included in the request</h2></body></html>');
    });
    const ref = await runnerFor(jenkins.url, { crumb: 'auto' }).trigger('app', {});
    expect(ref.queueId).toBe(8);
    expect(jenkins.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /crumbIssuer/api/json', 'POST /job/app/build', 'GET /crumbIssuer/api/json', 'POST /job/app/build']);
  });

  it('always: fetches a crumb before every POST (the client’s own behaviour)', async () => {
    const jenkins = await scripted((req, res) => {
      if (req.url === '/crumbIssuer/api/json') return json(res, { _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb: 'c', crumbRequestField: 'Jenkins-Crumb' });
      res.writeHead(201, { Location: 'http://127.0.0.1/queue/item/9/' }).end();
    });
    const runner = runnerFor(jenkins.url, { crumb: 'always' });
    await runner.trigger('app', {});
    await runner.trigger('app', {});
    expect(jenkins.requests.filter((r) => r.url === '/crumbIssuer/api/json')).toHaveLength(2);
    expect(jenkins.requests.filter((r) => r.method === 'POST').every((r) => r.headers['jenkins-crumb'] === 'c')).toBe(true);
  });
});

describe('answers that are not what they seem', () => {
  it('reports HTML where JSON was expected (login page) as ConfigurationError', async () => {
    const jenkins = await scripted((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html;charset=utf-8' }).end('<html><head><title>Sign in [Jenkins]</title></head></html>');
    });
    const error = await rejection(runnerFor(jenkins.url).describeProject('app'));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).failureType).toBe('ConfigurationError');
    expect(error.message).toContain('Jenkins answered HTML (login page?)');
    expect(await rejection(runnerFor(jenkins.url).ping())).toBeInstanceOf(PermanentError);
  });

  it('on Jenkins < 2.369 (no inProgress) a failed build reports its log still open until the progressive log is complete', async () => {
    let more = true;
    const jenkins = await scripted((req, res) => {
      if (req.url?.startsWith('/job/app/3/api/json')) {
        // Freestyle at POST_PRODUCTION: building false, result set, log still being written.
        return json(res, { _class: 'hudson.model.FreeStyleBuild', building: false, duration: 1200, estimatedDuration: 1000, number: 3, queueId: 40, result: 'UNSTABLE', timestamp: 1_700_000_000_000, url: 'http://x/job/app/3/' });
      }
      if (req.url?.startsWith('/job/app/4/api/json')) {
        return json(res, { _class: 'hudson.model.FreeStyleBuild', building: false, duration: 900, number: 4, queueId: 41, result: 'SUCCESS', timestamp: 1_700_000_000_000, url: 'http://x/job/app/4/' });
      }
      if (req.url === '/job/app/3/logText/progressiveText?start=0') {
        res.writeHead(200, { 'Content-Type': 'text/plain;charset=UTF-8', 'X-Text-Size': '10', ...(more ? { 'X-More-Data': 'true' } : {}) });
        return void res.end('some log\r\n');
      }
      res.writeHead(404).end();
    });
    const runner = runnerFor(jenkins.url);
    const corr = { name: 'C', value: 'v' };
    const completed = {
      state: 'completed',
      ref: { project: 'app', buildNumber: 3, queueId: 40, url: 'http://x/job/app/3/' },
      result: 'UNSTABLE',
      startedAt: 1_700_000_000_000,
      durationMs: 1200,
    };
    // Result and artifacts are final at POST_PRODUCTION; only the log is still being written.
    expect(await runner.observe({ project: 'app', buildNumber: 3 }, corr)).toEqual({ ...completed, logOpen: true });
    more = false;
    expect(await runner.observe({ project: 'app', buildNumber: 3 }, corr)).toEqual(completed);
    // A success needs no log: no progressive-log read for it.
    expect(await runner.observe({ project: 'app', buildNumber: 4 }, corr)).toMatchObject({ state: 'completed', result: 'SUCCESS' });
    expect(jenkins.requests.filter((r) => r.url.includes('/job/app/4/logText'))).toHaveLength(0);
  });
});

describe('artifacts behind a Resource Root URL', () => {
  it('follows the redirect to another host without the Authorization header', async () => {
    const resourceRoot = await scripted((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(Buffer.from('file bytes ✓'));
    });
    const jenkins = await scripted((req, res) => {
      if (req.url === '/job/app/4/artifact/out/a%20b.txt') {
        return void res.writeHead(302, { Location: `http://localhost:${new URL(resourceRoot.url).port}/static/abc123/job/app/4/artifact/out/a%20b.txt` }).end();
      }
      res.writeHead(404).end();
    });
    const stream = await runnerFor(jenkins.url).openArtifact({ project: 'app', buildNumber: 4 }, 'out/a b.txt');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('file bytes ✓');
    expect(jenkins.requests[0]!.headers.authorization).toMatch(/^Basic /);
    expect(resourceRoot.requests[0]!.url).toBe('/static/abc123/job/app/4/artifact/out/a%20b.txt');
    expect(resourceRoot.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe('cancellation and timeouts', () => {
  it('aborts an in-flight client request with the signal, leaving no request open', async () => {
    let closed = false;
    const jenkins = await scripted((req) => {
      req.socket.on('close', () => (closed = true));
      // never answers
    });
    const controller = new AbortController();
    const pending = runnerFor(jenkins.url).describeProject('app', controller.signal);
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(pending);
    expect(isAbortError(error)).toBe(true);
    const deadline = Date.now() + 2_000;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
    // An already aborted signal sends nothing.
    await expect(runnerFor(jenkins.url).ping(AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(jenkins.requests).toHaveLength(1);
  });

  it('maps a request timeout to TransientError (client calls and streams)', async () => {
    const jenkins = await scripted(() => undefined);
    const runner = runnerFor(jenkins.url, { requestTimeoutMs: 100 });
    const viaClient = await rejection(runner.observe({ project: 'app', buildNumber: 1 }, { name: 'C', value: 'v' }));
    expect(viaClient).toBeInstanceOf(TransientError);
    const viaFetch = await rejection(runner.logTail({ project: 'app', buildNumber: 1 }, 100));
    expect(viaFetch).toBeInstanceOf(TransientError);
    expect(viaFetch.message).toContain('100 ms');
  });
});
