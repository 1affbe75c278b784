import type { Clock } from '../ports/clock';
import type { JobSource } from '../ports/job-source';
import type { Logger } from '../ports/logger';
import type { PipelineJob } from '../ports/pipeline-job';
import { isAbortError, PermanentError, TransientError } from '../core/errors';
import { backoffDelay, withRetry, type RetryPolicy } from '../core/retry';
import type { JobOutcome } from '../core/jobs/run-job';

/**
 * Worker lifecycle:
 * | state    | polls | runs jobs | next                         |
 * |----------|-------|-----------|------------------------------|
 * | idle     | no    | no        | running (start)              |
 * | running  | yes   | yes       | draining (close)             |
 * | draining | no    | finishing | stopped (all settled)        |
 * | stopped  | no    | no        | —                            |
 */
export type WorkerState = 'idle' | 'running' | 'draining' | 'stopped';

export interface WorkerSettings {
  maxConcurrentJobs: number;
  /** Longest idle wait between polls. */
  pollIntervalMs: number;
  /** Wait between polls while jobs keep arriving. */
  minPollIntervalMs: number;
  /** Serve only these projects: one PollForJobs per project with queryParam ProjectName. */
  projects: readonly string[];
  shutdownGraceMs: number;
  retry: RetryPolicy;
}

export interface WorkerStats {
  polls: number;
  jobsReceived: number;
  acknowledged: number;
  takenByOthers: number;
  succeeded: number;
  failed: number;
  abandoned: number;
  unreported: number;
  pollErrors: number;
}

/** Backoff of the poll loop after errors: 1 s doubling to 60 s, jittered (≈0.5–1 s, 1–2 s, … 30–60 s). */
const POLL_ERROR_BACKOFF = { baseDelayMs: 1_000, maxDelayMs: 60_000, factor: 2 };

export class JobWorker {
  private _state: WorkerState = 'idle';
  private readonly inFlight = new Set<Promise<void>>();
  private readonly pollAbort = new AbortController();
  private readonly jobAbort = new AbortController();
  private loopDone: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private projectCursor = 0;
  readonly stats: WorkerStats = {
    polls: 0,
    jobsReceived: 0,
    acknowledged: 0,
    takenByOthers: 0,
    succeeded: 0,
    failed: 0,
    abandoned: 0,
    unreported: 0,
    pollErrors: 0,
  };

  constructor(
    private readonly deps: {
      source: JobSource;
      runJob: (job: PipelineJob, signal: AbortSignal) => Promise<JobOutcome>;
      clock: Clock;
      logger: Logger;
      settings: WorkerSettings;
    },
  ) {}

  get state(): WorkerState {
    return this._state;
  }

  get activeJobs(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (this._state !== 'idle') throw new Error(`JobWorker.start() in state ${this._state}`);
    this._state = 'running';
    this.loopDone = this.loop().catch((error: unknown) => {
      this.deps.logger.error('poll loop crashed', { error });
    });
  }

  /**
   * Two-phase, idempotent shutdown: stop polling at once; let in-flight jobs finish within the
   * grace period; then abort them (each still reports a failure). Every call returns the same promise.
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.graceMs ?? this.deps.settings.shutdownGraceMs);
    return this.closing;
  }

  /** Second phase now: abort every in-flight job without waiting for the grace period. */
  abortJobs(reason = 'forced shutdown'): void {
    this.jobAbort.abort(new DOMException(reason, 'AbortError'));
  }

  private async shutdown(graceMs: number): Promise<void> {
    const log = this.deps.logger;
    if (this._state === 'idle') {
      this._state = 'stopped';
      return;
    }
    this._state = 'draining';
    this.pollAbort.abort();
    this.wake?.();
    await this.loopDone;
    if (this.inFlight.size > 0) {
      log.info('draining in-flight jobs', { jobs: this.inFlight.size, graceMs });
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
        timer.unref();
      });
      const outcome = await Promise.race([Promise.allSettled([...this.inFlight]).then(() => 'done' as const), grace]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        log.warn('grace period over, aborting in-flight jobs', { jobs: this.inFlight.size });
        this.abortJobs('shutdown grace period over');
      }
      await Promise.allSettled([...this.inFlight]);
    }
    this._state = 'stopped';
    log.info('worker stopped', { ...this.stats });
  }

  private async loop(): Promise<void> {
    const { settings, logger } = this.deps;
    const signal = this.pollAbort.signal;
    let idleDelay = settings.minPollIntervalMs;
    let errors = 0;
    while (!signal.aborted) {
      const free = settings.maxConcurrentJobs - this.inFlight.size;
      if (free <= 0) {
        await this.waitForSlot();
        continue;
      }
      let received = 0;
      try {
        received = await this.pollOnce(free, signal);
        errors = 0;
      } catch (error) {
        if (signal.aborted || isAbortError(error)) break;
        this.stats.pollErrors++;
        const delay = error instanceof PermanentError ? POLL_ERROR_BACKOFF.maxDelayMs : backoffDelay(errors++, POLL_ERROR_BACKOFF);
        const level = error instanceof TransientError ? 'warn' : 'error';
        logger[level]('PollForJobs failed; backing off', { error, delayMs: delay });
        await this.sleep(delay, signal);
        continue;
      }
      // Adaptive cadence: poll again soon while jobs arrive; double the wait while idle, capped.
      if (received > 0) idleDelay = settings.minPollIntervalMs;
      const delay = received > 0 ? settings.minPollIntervalMs : idleDelay;
      if (received === 0) idleDelay = Math.min(settings.pollIntervalMs, Math.max(100, idleDelay * 2));
      if (delay > 0) await this.sleep(delay, signal);
    }
  }

  /** One poll round (one call, or one per configured project). Returns how many jobs arrived. */
  private async pollOnce(free: number, signal: AbortSignal): Promise<number> {
    const { source, settings } = this.deps;
    const projects = settings.projects;
    const rounds = projects.length === 0 ? 1 : projects.length;
    let received = 0;
    for (let i = 0; i < rounds && !signal.aborted; i++) {
      const capacity = settings.maxConcurrentJobs - this.inFlight.size;
      if (capacity <= 0) break;
      const queryParam = projects.length ? { ProjectName: projects[this.projectCursor++ % projects.length]! } : undefined;
      this.stats.polls++;
      const jobs = await source.poll(Math.min(free, capacity), signal, queryParam);
      this.stats.jobsReceived += jobs.length;
      received += jobs.length;
      for (const job of jobs) this.track(this.handle(job));
    }
    return received;
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => {
      this.inFlight.delete(task);
      this.wake?.();
    });
  }

  /** Acknowledge first (no side effect before it), run only what we own, count the outcome. */
  private async handle(job: PipelineJob): Promise<void> {
    const { source, settings, clock, logger, runJob } = this.deps;
    const log = logger.child({ jobId: job.id, pipeline: job.pipeline.pipelineName });
    const signal = this.jobAbort.signal;
    let ack;
    try {
      if (!job.nonce) throw new Error('job without nonce');
      const nonce = job.nonce;
      ack = await withRetry(() => source.acknowledge(job.id, nonce, signal), { policy: settings.retry, clock, signal });
    } catch (error) {
      // Nothing was started, so CodePipeline offers the job again once its acknowledge window passes.
      log.warn('could not acknowledge the job; CodePipeline will offer it again', { error });
      return;
    }
    if (ack.kind === 'taken') {
      this.stats.takenByOthers++;
      log.debug('job acknowledged by another worker; skipping');
      return;
    }
    if (ack.kind !== 'owned') {
      log.info('job not runnable after acknowledge; skipping', { ack });
      return;
    }
    this.stats.acknowledged++;
    try {
      const outcome = await runJob(job, signal);
      this.stats[outcome.kind]++;
    } catch (error) {
      // runJob reports its own failures; reaching here is a bug, but must not kill the loop.
      log.error('job handler threw', { error });
    }
  }

  private waitForSlot(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
      if (this.pollAbort.signal.aborted) this.wake();
    });
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.clock.sleep(ms, signal);
    } catch (error) {
      if (!isAbortError(error)) throw error;
    }
  }
}
