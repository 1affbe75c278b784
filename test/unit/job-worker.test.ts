import { describe, expect, it } from '@jest/globals';
import { JobWorker, type WorkerSettings } from '../../src/worker/job-worker';
import type { JobOutcome } from '../../src/core/jobs/run-job';
import type { PipelineJob } from '../../src/ports/pipeline-job';
import type { JobSignals } from '../../src/core/jobs/run-job';
import { FakeLedger } from '../fakes/fake-ledger';
import { systemClock } from '../../src/core/system-clock';
import { TransientError } from '../../src/core/errors';
import { FakeJobSource } from '../fakes/fake-job-source';
import { CaptureLogger } from '../support/capture-logger';

async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function makeWorker(source: FakeJobSource, runJob: (job: PipelineJob, signal: AbortSignal, signals: JobSignals) => Promise<JobOutcome>, settings: Partial<WorkerSettings> = {}, ledger = new FakeLedger()) {
  const logger = new CaptureLogger();
  const worker = new JobWorker({
    source,
    ledger,
    runJob: (job, signals) => runJob(job, signals.abort, signals),
    clock: systemClock,
    logger,
    settings: {
      maxConcurrentJobs: 3,
      pollIntervalMs: 20,
      minPollIntervalMs: 1,
      projects: [],
      shutdownGraceMs: 1_000,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      ...settings,
    },
  });
  return { worker, logger, ledger };
}

describe('JobWorker', () => {
  it('never asks for more jobs than it has free slots, and fills slots as jobs finish', async () => {
    const source = new FakeJobSource();
    for (let i = 0; i < 7; i++) source.add();
    const release: (() => void)[] = [];
    let running = 0;
    let maxRunning = 0;
    const { worker } = makeWorker(source, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => release.push(resolve));
      running--;
      return { kind: 'succeeded', buildNumber: 1 };
    });
    worker.start();
    await until(() => running === 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(source.pollSizes.every((n) => n >= 1 && n <= 3)).toBe(true);
    expect(source.pollSizes[0]).toBe(3);
    while (worker.stats.succeeded < 7) {
      release.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(maxRunning).toBe(3);
    await worker.close();
    expect(worker.state).toBe('stopped');
    expect(worker.stats.acknowledged).toBe(7);
  });

  it('skips a job another worker acknowledged first, without running it or logging an error', async () => {
    const source = new FakeJobSource();
    const job = source.add();
    source.stolen.add(job.id);
    const ran: string[] = [];
    const { worker, logger } = makeWorker(source, async (j) => {
      ran.push(j.id);
      return { kind: 'succeeded', buildNumber: 1 };
    });
    worker.start();
    await until(() => worker.stats.takenByOthers === 1);
    await worker.close();
    expect(ran).toEqual([]);
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('starts nothing when the acknowledge fails', async () => {
    const source = new FakeJobSource();
    source.add();
    source.ackFailures = [new TransientError('boom', 'codepipeline'), new TransientError('boom', 'codepipeline')];
    const ran: string[] = [];
    const { worker, logger } = makeWorker(source, async (j) => {
      ran.push(j.id);
      return { kind: 'succeeded', buildNumber: 1 };
    });
    worker.start();
    await until(() => logger.entries.some((e) => e.message.includes('could not acknowledge')));
    await worker.close();
    expect(ran).toEqual([]);
  });

  it('backs off after throttling and keeps polling afterwards', async () => {
    const source = new FakeJobSource();
    source.pollFailures = [FakeJobSource.throttle(), FakeJobSource.throttle()];
    source.add();
    const { worker, logger } = makeWorker(source, async () => ({ kind: 'succeeded', buildNumber: 1 }));
    worker.start();
    await until(() => worker.stats.succeeded === 1, 10_000);
    await worker.close();
    expect(worker.stats.pollErrors).toBe(2);
    expect(logger.entries.filter((e) => e.message.includes('backing off')).map((e) => e.level)).toEqual(['warn', 'warn']);
  });

  it('polls each configured project with its own queryParam', async () => {
    const source = new FakeJobSource();
    source.add({ configuration: { ProjectName: 'b' } });
    const { worker } = makeWorker(source, async () => ({ kind: 'succeeded', buildNumber: 1 }), { projects: ['a', 'b'] });
    worker.start();
    await until(() => worker.stats.succeeded === 1);
    await worker.close();
    expect(source.queryParams.slice(0, 2)).toEqual([{ ProjectName: 'a' }, { ProjectName: 'b' }]);
  });

  it('slows its polling down while idle', async () => {
    const source = new FakeJobSource();
    const { worker } = makeWorker(source, async () => ({ kind: 'succeeded', buildNumber: 1 }), { pollIntervalMs: 400 });
    worker.start();
    await new Promise((r) => setTimeout(r, 1_000));
    await worker.close();
    // 100, 200, 400, 400… ms → about 4 polls in a second, far fewer than one per minPollIntervalMs.
    expect(source.pollSizes.length).toBeGreaterThanOrEqual(3);
    expect(source.pollSizes.length).toBeLessThanOrEqual(7);
  });

  it('close() stops polling at once, is idempotent, and aborts jobs still running after the grace period', async () => {
    const source = new FakeJobSource();
    source.add();
    let sawAbort = false;
    const { worker } = makeWorker(
      source,
      (_job, signal) =>
        new Promise<JobOutcome>((resolve) => {
          signal.addEventListener('abort', () => {
            sawAbort = true;
            resolve({ kind: 'failed', failure: { type: 'SystemUnavailable', message: 'shutdown' } });
          });
        }),
      { shutdownGraceMs: 50 },
    );
    worker.start();
    await until(() => worker.activeJobs === 1);
    const first = worker.close();
    const second = worker.close();
    expect(second).toBe(first);
    expect(worker.state).toBe('draining');
    const pollsAtClose = source.pollSizes.length;
    await first;
    expect(sawAbort).toBe(true);
    expect(worker.state).toBe('stopped');
    expect(source.pollSizes.length).toBe(pollsAtClose);
    expect(worker.stats.failed).toBe(1);
  });
});

describe('JobWorker with a ledger left by a previous process', () => {
  it('acknowledges a job recorded as received with its stored nonce, and runs it before polling for more', async () => {
    const source = new FakeJobSource();
    source.add();
    const [job] = await source.poll(1);
    const ledger = new FakeLedger();
    ledger.begin(job!, Date.now()); // the previous process crashed before its acknowledge
    const ran: string[] = [];
    const { worker } = makeWorker(source, async (j) => {
      ran.push(j.id);
      return { kind: 'succeeded', buildNumber: 1 };
    }, {}, ledger);
    worker.start();
    await until(() => worker.stats.succeeded === 1);
    await worker.close();
    expect(ran).toEqual([job!.id]);
    expect(worker.stats.resumed).toBe(1);
    expect(source.entries.get(job!.id)?.status).toBe('InProgress');
    expect(ledger.history.filter((h) => h.jobId === job!.id).map((h) => h.state)).toEqual(['received', 'acknowledged']);
  });

  it('closes an entry whose job CodePipeline no longer knows, without running it', async () => {
    const source = new FakeJobSource();
    const ledger = new FakeLedger();
    const original = source.add();
    source.entries.delete(original.id);
    const ghost = { ...original, id: '00000000-0000-4000-8000-000000000000' };
    ledger.begin(ghost, Date.now());
    ledger.advance(ghost.id, 'acknowledged', {}, Date.now());
    ledger.advance(ghost.id, 'build-known', { project: 'app', buildNumber: 4 }, Date.now());
    const ran: string[] = [];
    const { worker } = makeWorker(source, async (j) => {
      ran.push(j.id);
      return { kind: 'succeeded', buildNumber: 1 };
    }, {}, ledger);
    worker.start();
    await until(() => ledger.get(ghost.id)?.state === 'abandoned');
    await worker.close();
    expect(ran).toEqual([]);
  });

  it('takes no job while a dependency is down, and takes it once it is back', async () => {
    const source = new FakeJobSource();
    source.add();
    let jenkinsUp = false;
    const logger = new CaptureLogger();
    const worker = new JobWorker({
      source,
      ledger: new FakeLedger(),
      runJob: async () => ({ kind: 'succeeded', buildNumber: 1 }),
      clock: systemClock,
      logger,
      canTakeWork: () => jenkinsUp,
      settings: { maxConcurrentJobs: 2, pollIntervalMs: 20, minPollIntervalMs: 1, projects: [], shutdownGraceMs: 100, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } },
    });
    worker.start();
    await until(() => worker.stats.pollsHeld >= 1);
    expect(source.pollSizes).toEqual([]);
    jenkinsUp = true;
    await until(() => worker.stats.succeeded === 1, 5_000);
    await worker.close();
    expect(logger.entries.map((e) => e.message)).toEqual(expect.arrayContaining(['not taking jobs while a dependency is unreachable', 'taking jobs again']));
  });
});

describe('JobWorker: a job offered again while its acknowledge is retried', () => {
  it('folds the re-offer into the running handler, acknowledges with the newest nonce and runs the job once', async () => {
    let releaseFirstAck!: () => void;
    const firstAckHeld = new Promise<void>((resolve) => (releaseFirstAck = resolve));
    const noncesTried: string[] = [];
    class SlowFirstAck extends FakeJobSource {
      override async acknowledge(jobId: string, nonce: string) {
        noncesTried.push(nonce);
        if (noncesTried.length === 1) {
          await firstAckHeld;
          throw new TransientError('HTTP 503 on AcknowledgeJob', 'codepipeline');
        }
        return super.acknowledge(jobId, nonce);
      }
    }
    const source = new SlowFirstAck();
    const job = source.add();
    const runs: string[] = [];
    const { worker, ledger, logger } = makeWorker(source, async (j) => {
      runs.push(j.id);
      return { kind: 'succeeded', buildNumber: 1 };
    });
    worker.start();
    await until(() => noncesTried.length === 1);
    // The acknowledge window passed: CodePipeline offers the job again with a new nonce.
    source.entries.get(job.id)!.status = 'Queued';
    await until(() => source.entries.get(job.id)!.status === 'Dispatched');
    const newest = source.entries.get(job.id)!.nonce!;
    await until(() => logger.entries.some((e) => String(e.message).includes('offered again')));
    releaseFirstAck();
    await until(() => worker.stats.succeeded === 1);
    await worker.close();
    expect(runs).toEqual([job.id]);
    expect(noncesTried[noncesTried.length - 1]).toBe(newest);
    expect(ledger.get(job.id)!.state).not.toBe('abandoned');
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });
});
