import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load-config';
import { createAdapters } from '../../src/adapters/create-adapters';
import { Bridge } from '../../src/bridge';
import { demoJenkinsJobs } from '../../src/local-stack/demo-jobs';
import { startLocalStack, type LocalStack } from '../../src/local-stack/start-local-stack';
import { startLocalCodePipeline, type LocalCodePipeline } from '../../src/local-stack/codepipeline';
import { CaptureLogger } from '../support/capture-logger';

const TOKEN = 'eventbridge-connection-token-0123456789';
/** The bridge's idle poll: far longer than any wait below, so only an event explains a pickup. */
const IDLE_POLL_MS = 30_000;

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('EventBridge-triggered polling: local CodePipeline events → bridge → PollForJobs', () => {
  let stack: LocalStack;
  let bridge: Bridge;
  let dataDir: string;
  const logger = new CaptureLogger();
  const polls = () => stack.codepipeline.calls.filter((c) => c.operation === 'PollForJobs');

  beforeAll(async () => {
    stack = await startLocalStack({
      jenkinsJobs: demoJenkinsJobs(),
      jenkinsQuietPeriodMs: 10,
      codepipelineEvents: { delivery: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 80, timeoutMs: 2_000 } },
    });
    dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-events-'));
    const config = loadConfig(
      { ...stack.env, BRIDGE_HTTP_HOST: '127.0.0.1', BRIDGE_HTTP_PORT: '0', BRIDGE_DATA_DIR: dataDir, BRIDGE_STATUS_INTERVAL_MS: '100', BRIDGE_EVENTS_TOKEN: TOKEN },
      { overrides: { worker: { pollIntervalMs: IDLE_POLL_MS, minPollIntervalMs: IDLE_POLL_MS, retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 } }, jenkins: { requestTimeoutMs: 5_000 } } },
    );
    bridge = new Bridge(config, createAdapters(config, logger), { logger });
    await bridge.start();
    // As an EventBridge rule would be set up: our action type, two API destinations — the bridge
    // with the right token (API_KEY connection), and a stale connection with a wrong one (BASIC).
    stack.codepipeline.setEventTargets([
      { url: `${bridge.url}/events/codepipeline`, authorization: `Bearer ${TOKEN}` },
      { url: `${bridge.url}/events/codepipeline`, authorization: `Basic ${Buffer.from('eventbridge:stale-token').toString('base64')}`, states: ['STARTED'] },
    ]);
    // The start-up poll, then the loop sits in its 30 s idle wait.
    await until('the start-up poll', () => polls().length >= 1);
  }, 30_000);

  afterAll(async () => {
    await bridge?.stop({ graceMs: 1_000 });
    await stack?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('picks up a job at once on its STARTED event, with the idle poll 30 s away', async () => {
    const pollsBefore = polls().length;
    const jobId = await stack.submitJob({ project: 'demo/outputs', pipelineName: 'shop', stage: 'Build', action: 'Jenkins' });
    // Bounded well below the idle interval: only the event can have caused the poll.
    const job = await stack.codepipeline.waitForCompletion(jobId, { timeoutMs: 10_000 });
    expect(job.status).toBe('Succeeded');
    const after = polls().slice(pollsBefore);
    expect(after.length).toBeGreaterThanOrEqual(1);
    const started = stack.codepipeline.eventDeliveries.find((d) => d.jobId === jobId && d.event.detail.state === 'STARTED' && d.status === 'delivered');
    expect(started).toBeDefined();
    // The pickup poll came after the event reached the bridge, not before.
    expect(after[0]!.at).toBeGreaterThanOrEqual(started!.attempts[0]!.at);
    expect(after[0]!.input).toMatchObject({ actionTypeId: { owner: 'Custom', category: 'Build', provider: 'Jenkins', version: '1' } });
    expect(bridge.jobWorker?.stats.wakes).toBeGreaterThanOrEqual(1);
    expect(bridge.jobWorker?.stats.acknowledged).toBe(1);
  });

  it('delivers the documented envelope: STARTED on queueing, SUCCEEDED on the result (ignored by the bridge)', async () => {
    await stack.codepipeline.eventsSettled();
    const [job] = stack.codepipeline.listJobs();
    const mine = stack.codepipeline.eventDeliveries.filter((d) => d.jobId === job!.id && d.attempts[0]?.status === 202);
    expect(mine.map((d) => d.event.detail.state)).toEqual(['STARTED', 'SUCCEEDED']);
    const event = mine[0]!.event;
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'CodePipeline Action Execution State Change',
      source: 'aws.codepipeline',
      account: '123456789012',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: ['arn:aws:codepipeline:us-east-1:123456789012:shop'],
      detail: {
        pipeline: 'shop',
        'execution-id': job!.data.pipelineContext.pipelineExecutionId,
        stage: 'Build',
        action: 'Jenkins',
        state: 'STARTED',
        region: 'us-east-1',
        type: { owner: 'Custom', category: 'Build', provider: 'Jenkins', version: '1' },
        version: 1,
        'input-artifacts': [],
      },
    });
    expect(new Set(mine.map((d) => d.event.id)).size).toBe(2);
  });

  it('retries the target with the wrong token (401) a few times with backoff, then gives up; only STARTED goes to it', async () => {
    await stack.codepipeline.eventsSettled();
    const stale = stack.codepipeline.eventDeliveries.filter((d) => d.attempts.some((a) => a.status === 401));
    expect(stale.length).toBeGreaterThanOrEqual(1);
    for (const delivery of stale) {
      expect(delivery.event.detail.state).toBe('STARTED');
      expect(delivery.status).toBe('failed');
      expect(delivery.attempts.map((a) => a.status)).toEqual([401, 401, 401]);
      // Backoff lower bounds (base 20 ms doubling, jittered to 50–100 %), 2 ms slack for clock rounding.
      const [a, b, c] = delivery.attempts.map((x) => x.at);
      expect(b! - a!).toBeGreaterThanOrEqual(8);
      expect(c! - b!).toBeGreaterThanOrEqual(18);
    }
    expect(logger.entries.some((e) => e.message === 'codepipeline event rejected' && e.meta.reason === 'wrong credential')).toBe(true);
    expect(logger.text()).not.toContain(TOKEN);
  });

  it('emits FAILED when the job fails', async () => {
    const jobId = await stack.submitJob({ project: 'demo/failing', pipelineName: 'shop' });
    const job = await stack.codepipeline.waitForCompletion(jobId, { timeoutMs: 10_000 });
    expect(job.status).toBe('Failed');
    await stack.codepipeline.eventsSettled();
    const states = stack.codepipeline.eventDeliveries.filter((d) => d.jobId === jobId && d.status === 'delivered').map((d) => d.event.detail.state);
    expect(states).toEqual(['STARTED', 'FAILED']);
  });
});

describe('local CodePipeline event delivery', () => {
  let codepipeline: LocalCodePipeline;
  let target: http.Server;
  const answers: number[] = [];
  const received: { authorization?: string; contentType?: string; userAgent?: string; body: string }[] = [];
  let hang = false;

  beforeAll(async () => {
    target = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], userAgent: req.headers['user-agent'], body: Buffer.concat(chunks).toString() });
        if (hang) return; // never answers: the emulator's timeout must end the attempt
        res.writeHead(answers.shift() ?? 202).end();
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    codepipeline = await startLocalCodePipeline({ eventDelivery: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40, timeoutMs: 300 } });
    codepipeline.createActionType({ category: 'Build', provider: 'Jenkins', version: '1' });
    codepipeline.setEventTargets([{ url: `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`, authorization: 'Bearer abc' }]);
  });

  afterAll(async () => {
    await codepipeline?.close();
    target.closeAllConnections();
    await new Promise<void>((resolve) => target.close(() => resolve()));
  });

  const create = () => codepipeline.createJob({ actionTypeId: { category: 'Build', provider: 'Jenkins', version: '1' }, pipelineName: 'p1' });

  it('never blocks the API call: the delivery is queued, sent afterwards with the connection header', async () => {
    const jobId = create();
    const record = codepipeline.eventDeliveries.find((d) => d.jobId === jobId)!;
    expect(record).toMatchObject({ status: 'pending', attempts: [] });
    await codepipeline.eventsSettled();
    expect(record.status).toBe('delivered');
    const last = received.at(-1)!;
    expect(last).toMatchObject({ authorization: 'Bearer abc', contentType: 'application/json; charset=utf-8', userAgent: 'Amazon/EventBridge/ApiDestinations' });
    expect(JSON.parse(last.body)).toEqual(record.event);
  });

  it('retries 429 and 5xx, and stops at the first success', async () => {
    answers.push(429, 503);
    const jobId = create();
    await codepipeline.eventsSettled();
    const record = codepipeline.eventDeliveries.find((d) => d.jobId === jobId)!;
    expect(record.attempts.map((a) => a.status)).toEqual([429, 503, 202]);
    expect(record.status).toBe('delivered');
  });

  it('does not retry other 4xx', async () => {
    answers.push(400);
    const jobId = create();
    await codepipeline.eventsSettled();
    const record = codepipeline.eventDeliveries.find((d) => d.jobId === jobId)!;
    expect(record.attempts.map((a) => a.status)).toEqual([400]);
    expect(record.status).toBe('failed');
  });

  it('ends an unanswered attempt at its timeout and retries it', async () => {
    hang = true;
    const jobId = create();
    await codepipeline.eventsSettled();
    hang = false;
    const record = codepipeline.eventDeliveries.find((d) => d.jobId === jobId)!;
    expect(record.status).toBe('failed');
    expect(record.attempts).toHaveLength(3);
    expect(record.attempts.every((a) => a.status === undefined && /no answer within 300 ms/.test(a.error ?? ''))).toBe(true);
  });

  it('rejects a target with a malformed URL when it is set', () => {
    expect(() => codepipeline.setEventTargets([{ url: 'not a url' }])).toThrow();
  });
});
