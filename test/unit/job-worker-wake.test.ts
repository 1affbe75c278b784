import { afterEach, describe, expect, it } from '@jest/globals';
import { JobWorker, type WorkerSettings } from '../../src/worker/job-worker';
import type { JobOutcome } from '../../src/core/jobs/run-job';
import type { Clock } from '../../src/ports/clock';
import type { PipelineJob } from '../../src/ports/pipeline-job';
import { FakeLedger } from '../fakes/fake-ledger';
import { FakeJobSource } from '../fakes/fake-job-source';
import { CaptureLogger } from '../support/capture-logger';

/**
 * Time stands still unless a test advances it, so "the poll happened at once" means: without the
 * clock moving at all. No assertion depends on wall-clock timing.
 */
class ManualClock implements Clock {
  private t = 0;
  private readonly timers = new Set<{ at: number; ms: number; resolve: () => void }>();

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = {
        at: this.t + ms,
        ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers.delete(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.add(timer);
    });
  }

  /** Durations of the sleeps in progress. */
  get sleeping(): number[] {
    return [...this.timers].map((t) => t.ms);
  }

  async advance(ms: number): Promise<void> {
    this.t += ms;
    for (const timer of [...this.timers]) {
      if (timer.at <= this.t) {
        this.timers.delete(timer);
        timer.resolve();
      }
    }
    await settle();
  }
}

/** Lets every pending promise chain run (several macrotask turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A FakeJobSource whose polls can be held open, to wake the worker while a poll is in flight. */
class GatedJobSource extends FakeJobSource {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  inFlight = 0;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = undefined;
    this.open?.();
  }

  override async poll(maxBatchSize: number, signal?: AbortSignal, queryParam?: Readonly<Record<string, string>>): Promise<PipelineJob[]> {
    this.inFlight++;
    try {
      if (this.gate) await this.gate;
      return await super.poll(maxBatchSize, signal, queryParam);
    } finally {
      this.inFlight--;
    }
  }
}

const SETTINGS: WorkerSettings = {
  maxConcurrentJobs: 2,
  pollIntervalMs: 1_000,
  minPollIntervalMs: 50,
  projects: [],
  shutdownGraceMs: 100,
  retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
};

const workers: JobWorker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) {
    worker.abortJobs();
    await worker.close({ graceMs: 0 });
  }
});

function setup(options: { source?: FakeJobSource; settings?: Partial<WorkerSettings>; runJob?: (job: PipelineJob, abort: AbortSignal) => Promise<JobOutcome>; canTakeWork?: () => boolean } = {}) {
  const source = options.source ?? new FakeJobSource();
  const clock = new ManualClock();
  const logger = new CaptureLogger();
  const worker = new JobWorker({
    source,
    ledger: new FakeLedger(),
    runJob: (job, signals) => (options.runJob ? options.runJob(job, signals.abort) : Promise.resolve({ kind: 'succeeded', buildNumber: 1 })),
    clock,
    logger,
    settings: { ...SETTINGS, ...options.settings },
    ...(options.canTakeWork ? { canTakeWork: options.canTakeWork } : {}),
  });
  workers.push(worker);
  return { source, clock, logger, worker };
}

/** Starts the worker and lets it ramp up to the idle cadence: the state after a quiet spell. */
async function startIdle(ctx: ReturnType<typeof setup>): Promise<void> {
  ctx.worker.start();
  await settle();
  for (let i = 0; i < 10 && !ctx.clock.sleeping.includes(SETTINGS.pollIntervalMs); i++) {
    await ctx.clock.advance(Math.max(...ctx.clock.sleeping));
  }
  expect(ctx.clock.sleeping).toEqual([SETTINGS.pollIntervalMs]);
}

describe('JobWorker.wake', () => {
  it('cuts the idle wait short: the job queued after a quiet spell is polled and run without the clock moving', async () => {
    const ctx = setup();
    await startIdle(ctx);
    const polls = ctx.source.pollSizes.length;
    const job = ctx.source.add();
    ctx.worker.wake('test: job queued');
    await settle();
    expect(ctx.source.pollSizes.length).toBe(polls + 1);
    expect(ctx.worker.stats.succeeded).toBe(1);
    expect(ctx.source.entries.get(job.id)?.status).toBe('InProgress');
    expect(ctx.worker.stats.wakes).toBe(1);
    expect(ctx.logger.entries).toContainEqual(expect.objectContaining({ level: 'debug', message: 'poll requested', meta: expect.objectContaining({ reason: 'test: job queued' }) }));
  });

  it('coalesces a burst of wakes during the idle wait into one poll', async () => {
    const ctx = setup();
    await startIdle(ctx);
    const polls = ctx.source.pollSizes.length;
    for (let i = 0; i < 10; i++) ctx.worker.wake(`burst ${i}`);
    await settle();
    expect(ctx.source.pollSizes.length).toBe(polls + 1);
    expect(ctx.worker.stats.wakes).toBe(10);
  });

  it('polls once more right after a poll in flight, however many wakes arrived during it', async () => {
    const source = new GatedJobSource();
    const ctx = setup({ source });
    await startIdle(ctx);
    // The idle tick's poll starts and hangs; meanwhile a job is queued and announced five times.
    source.hold();
    await ctx.clock.advance(SETTINGS.pollIntervalMs);
    expect(source.inFlight).toBe(1);
    const polls = source.pollSizes.length;
    const job = source.add();
    for (let i = 0; i < 5; i++) ctx.worker.wake(`during poll ${i}`);
    source.release();
    await settle();
    // The held poll (which may or may not have seen the job) and exactly one more, with no clock tick between.
    expect(source.pollSizes.length).toBe(polls + 2);
    expect(ctx.worker.stats.succeeded).toBe(1);
    expect(source.entries.get(job.id)?.status).toBe('InProgress');
    // Afterwards the loop waits again instead of polling on.
    expect(ctx.clock.sleeping.length).toBe(1);
  });

  it('does not poll beyond capacity: a full worker polls when a slot frees, once', async () => {
    let finish: (() => void) | undefined;
    const ctx = setup({
      settings: { maxConcurrentJobs: 1 },
      runJob: (_job, abort) =>
        new Promise<JobOutcome>((resolve) => {
          finish = () => resolve({ kind: 'succeeded', buildNumber: 1 });
          abort.addEventListener('abort', () => resolve({ kind: 'failed', failure: { type: 'SystemUnavailable', message: 'test over' } }));
        }),
    });
    ctx.source.add();
    ctx.worker.start();
    await settle();
    expect(ctx.worker.activeJobs).toBe(1);
    const polls = ctx.source.pollSizes.length;
    const second = ctx.source.add();
    ctx.worker.wake('job queued while full');
    ctx.worker.wake('another');
    await settle();
    expect(ctx.source.pollSizes.length).toBe(polls);
    finish?.();
    await settle();
    expect(ctx.source.pollSizes.length).toBe(polls + 1);
    expect(ctx.source.pollSizes.every((n) => n === 1)).toBe(true);
    expect(ctx.source.entries.get(second.id)?.status).toBe('InProgress');
  });

  it('does not poll while the readiness gate holds work back; polls once it opens', async () => {
    let jenkinsUp = false;
    const ctx = setup({ canTakeWork: () => jenkinsUp });
    ctx.worker.start();
    await settle();
    ctx.source.add();
    ctx.worker.wake('job queued while Jenkins is down');
    await settle();
    expect(ctx.source.pollSizes).toEqual([]);
    expect(ctx.worker.stats.pollsHeld).toBe(1);
    jenkinsUp = true;
    await ctx.clock.advance(1_000);
    expect(ctx.source.pollSizes.length).toBe(1);
    expect(ctx.worker.stats.succeeded).toBe(1);
  });

  it('does not cut an error backoff short', async () => {
    const ctx = setup();
    ctx.source.pollFailures = [FakeJobSource.throttle()];
    ctx.worker.start();
    await settle();
    expect(ctx.worker.stats.pollErrors).toBe(1);
    const [backoff] = ctx.clock.sleeping;
    expect(backoff).toBeGreaterThanOrEqual(500);
    ctx.worker.wake('event during backoff');
    await settle();
    expect(ctx.source.pollSizes.length).toBe(1);
    await ctx.clock.advance(backoff!);
    expect(ctx.source.pollSizes.length).toBe(2);
  });

  it('after an empty woken poll, looks again at the fast cadence instead of the idle interval', async () => {
    const ctx = setup();
    await startIdle(ctx);
    ctx.worker.wake('event that overtook its job');
    await settle();
    expect(ctx.clock.sleeping).toEqual([SETTINGS.minPollIntervalMs]);
    // Then doubles back up to the idle interval, as after any job.
    await ctx.clock.advance(SETTINGS.minPollIntervalMs);
    expect(ctx.clock.sleeping).toEqual([100]);
  });

  it('is a no-op before start and after close', async () => {
    const ctx = setup();
    ctx.worker.wake('before start');
    expect(ctx.worker.stats.wakes).toBe(0);
    await startIdle(ctx);
    const polls = ctx.source.pollSizes.length;
    await ctx.worker.close();
    ctx.worker.wake('after close');
    await settle();
    expect(ctx.worker.stats.wakes).toBe(0);
    expect(ctx.source.pollSizes.length).toBe(polls);
    expect(ctx.worker.state).toBe('stopped');
  });
});
