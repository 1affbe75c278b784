import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createJenkinsBuildRunner } from '../../src/adapters/jenkins';
import { TransientError } from '../../src/core/errors';
import { CaptureLogger } from '../support/capture-logger';
import { rejection } from '../support/rejection';
import { closeServers } from '../support/close-servers';

/** Artifact downloads over node:http: connection reuse, a stale kept-alive socket, aborts. */

const servers: Server[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse, socket: Socket) => void): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => handler(req, res, req.socket));
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, connections: () => connections };
}

afterEach(async () => {
  await closeServers(servers);
});

const runnerFor = (url: string) => createJenkinsBuildRunner({ baseUrl: url, user: 'bridge', apiToken: 'token-1', requestTimeoutMs: 2_000 }, new CaptureLogger());

async function read(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('artifact streams', () => {
  it('reuses one kept-alive connection for consecutive downloads', async () => {
    const jenkins = await serve((req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`body of ${req.url}`));
    const runner = runnerFor(jenkins.url);
    const ref = { project: 'app', buildNumber: 3 };
    for (let i = 0; i < 20; i++) expect(await read(await runner.openArtifact(ref, `out/f${i}.txt`))).toBe(`body of /job/app/3/artifact/out/f${i}.txt`);
    expect(jenkins.connections()).toBe(1);
  });

  it('sends the request again when the server had closed the kept-alive socket', async () => {
    let served = 0;
    const jenkins = await serve((req, res, socket) => {
      served++;
      // The second request arrives on the reused socket: drop it unanswered, as a server whose
      // idle timeout fired at that moment does.
      if (served === 2) return void socket.destroy();
      res.writeHead(200).end(`answer ${served}`);
    });
    const runner = runnerFor(jenkins.url);
    const ref = { project: 'app', buildNumber: 3 };
    expect(await read(await runner.openArtifact(ref, 'a.txt'))).toBe('answer 1');
    expect(await read(await runner.openArtifact(ref, 'b.txt'))).toBe('answer 3');
    expect(jenkins.connections()).toBe(2);

    // A fresh connection that fails is not retried: Jenkins really is unreachable.
    const closing = await serve((_req, _res, socket) => socket.destroy());
    const failure = await rejection(runnerFor(closing.url).openArtifact(ref, 'c.txt'));
    expect(failure).toBeInstanceOf(TransientError);
    expect(failure.message).toContain('ECONNRESET');
  });

  it('destroys the body with the abort reason when the signal fires mid-download, and leaves no listener behind', async () => {
    const jenkins = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(10 * 1024 * 1024) });
      res.write(Buffer.alloc(64 * 1024)); // then nothing more
    });
    const controller = new AbortController();
    const stream = await runnerFor(jenkins.url).openArtifact({ project: 'app', buildNumber: 3 }, 'big.bin', controller.signal);
    const reason = new Error('job aborted');
    setTimeout(() => controller.abort(reason), 20);
    await expect(read(stream)).rejects.toBe(reason);

    // Finished downloads under a long-lived job signal do not accumulate abort listeners.
    const quiet = await serve((_req, res) => res.writeHead(200).end('x'));
    const job = new AbortController();
    const runner = runnerFor(quiet.url);
    let added = 0;
    let removed = 0;
    const add = job.signal.addEventListener.bind(job.signal);
    const remove = job.signal.removeEventListener.bind(job.signal);
    job.signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
    job.signal.removeEventListener = ((...args: Parameters<typeof remove>) => (removed++, remove(...args))) as typeof remove;
    for (let i = 0; i < 5; i++) await read(await runner.openArtifact({ project: 'app', buildNumber: 3 }, `f${i}`, job.signal));
    await new Promise((resolve) => setImmediate(resolve));
    expect(added).toBeGreaterThan(0);
    expect(removed).toBe(added);
  });
});
