import { setMaxListeners } from 'node:events';
import type { Clock } from '../ports/clock';
import type { JobLedger, LedgerEntry } from '../ports/job-ledger';
import type { AckOutcome, JobSource } from '../ports/job-source';
import type { Logger } from '../ports/logger';
import type { PipelineJob } from '../ports/pipeline-job';
import { isAbortError, JobNoLongerActiveError, PermanentError, TransientError } from '../core/errors';
import { backoffDelay, withRetry, type RetryPolicy } from '../core/retry';
import type { JobOutcome, JobSignals } from '../core/jobs/run-job';

/**
 * Worker lifecycle:
 * | state    | polls | runs jobs                         | next                  |
 * |----------|-------|-----------------------------------|-----------------------|
 * | idle     | no    | no                                | running (start)       |
 * | running  | yes   | yes                               | draining (close)      |
 * | draining | no    | handing off / finishing           | stopped (all settled) |
 * | stopped  | no    | no                                | —                     |
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
  resumed: number;
  takenByOthers: number;
  succeeded: number;
  failed: number;
  handedOff: number;
  abandoned: number;
  unreported: number;
  pollErrors: number;
  /** Polls skipped because a dependency (Jenkins) is down: no job is taken that cannot start. */
  pollsHeld: number;
}

export interface WorkerDeps {
  source: JobSource;
  ledger: JobLedger;
  runJob: (job: PipelineJob, signals: JobSignals, entry: LedgerEntry) => Promise<JobOutcome>;
  clock: Clock;
  logger: Logger;
  settings: WorkerSettings;
  /** False while the bridge cannot start work (Jenkins unreachable): the worker stops taking jobs. */
  canTakeWork?: () => boolean;
}

/** Backoff of the poll loop after errors: 1 s doubling to 60 s, jittered (≈0.5–1 s, 1–2 s, … 30–60 s). */
const POLL_ERROR_BACKOFF = { baseDelayMs: 1_000, maxDelayMs: 60_000, factor: 2 };
/** While work is held back (dependency down), look again this often. */
const HOLD_RECHECK_MS = 1_000;

export class JobWorker {
  private _state: WorkerState = 'idle';
  private readonly inFlight = new Set<Promise<void>>();
  private readonly pollAbort = new AbortController();
  private readonly handoff = new AbortController();
  private readonly jobAbort = new AbortController();
  private loopDone: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private projectCursor = 0;
  readonly stats: WorkerStats = {
    polls: 0,
    jobsReceived: 0,
    acknowledged: 0,
    resumed: 0,
    takenByOthers: 0,
    succeeded: 0,
    failed: 0,
    handedOff: 0,
    abandoned: 0,
    unreported: 0,
    pollErrors: 0,
    pollsHeld: 0,
  };

  constructor(private readonly deps: WorkerDeps) {
    // Every running job listens to these two signals a few times (its own combined signal, S3 and
    // Jenkins calls): size the limit to capacity so Node's leak warning keeps its meaning.
    setMaxListeners(deps.settings.maxConcurrentJobs * 8 + 16, this.jobAbort.signal, this.handoff.signal);
  }

  get state(): WorkerState {
    return this._state;
  }

  get activeJobs(): number {
    return this.inFlight.size;
  }

  private get signals(): JobSignals {
    return { abort: this.jobAbort.signal, handoff: this.handoff.signal };
  }

  /**
   * Starts polling, after taking up every job the ledger says a previous process left unfinished
   * (they count against capacity like any other job).
   */
  start(): void {
    if (this._state !== 'idle') throw new Error(`JobWorker.start() in state ${this._state}`);
    this._state = 'running';
    for (const entry of this.deps.ledger.unfinished()) this.track(this.resume(entry));
    this.loopDone = this.loop().catch((error: unknown) => {
      this.deps.logger.error('poll loop crashed', { error });
    });
  }

  /**
   * Two-phase, idempotent shutdown. Phase 1: stop polling at once and ask every job to hand its
   * build over to a continuation job at its next safe point (uploads and reports finish). Phase 2,
   * after the grace period: abort; each job still hands itself off on a short timer of its own.
   * Every call returns the same promise.
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.graceMs ?? this.deps.settings.shutdownGraceMs);
    return this.closing;
  }

  /** Second phase now: abort every in-flight job without waiting for the grace period. */
  abortJobs(reason = 'forced shutdown'): void {
    this.handoff.abort();
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
    this.handoff.abort();
    this.wake?.();
    await this.loopDone;
    if (this.inFlight.size > 0) {
      log.info('handing over in-flight jobs', { jobs: this.inFlight.size, graceMs });
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
    let held = false;
    while (!signal.aborted) {
      const free = settings.maxConcurrentJobs - this.inFlight.size;
      if (free <= 0) {
        await this.waitForSlot();
        continue;
      }
      if (this.deps.canTakeWork && !this.deps.canTakeWork()) {
        // Acknowledging a job that cannot start would only make it wait in the bridge; leave it
        // in CodePipeline for a bridge (or a later moment) that can run it.
        if (!held) logger.warn('not taking jobs while a dependency is unreachable');
        held = true;
        this.stats.pollsHeld++;
        await this.sleep(HOLD_RECHECK_MS, signal);
        continue;
      }
      if (held) logger.info('taking jobs again');
      held = false;
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

  /** Record (ledger), acknowledge, run only what we own. Nothing happens before the ledger write. */
  private async handle(job: PipelineJob): Promise<void> {
    const log = this.deps.logger.child({ jobId: job.id, pipeline: job.pipeline.pipelineName });
    let entry: LedgerEntry;
    try {
      entry = this.deps.ledger.begin(job, this.deps.clock.now());
    } catch (error) {
      // Without a durable record the job is not crash-safe: leave it to CodePipeline's re-offer.
      log.error('could not record the job in the ledger; not acknowledging it', { error });
      return;
    }
    if (entry.state !== 'received') {
      // Offered again while the ledger already has it past the acknowledge: resume from there.
      await this.execute(job, entry, log);
      return;
    }
    await this.acknowledgeAndRun(job, job.nonce, entry, log);
  }

  /** A job a previous process left unfinished: acknowledge it again or refresh it, then resume. */
  private async resume(entry: LedgerEntry): Promise<void> {
    const log = this.deps.logger.child({ jobId: entry.jobId, pipeline: entry.job.pipeline.pipelineName, resumedFrom: entry.state });
    this.stats.resumed++;
    log.info('resuming a job left unfinished by a previous process');
    if (entry.state === 'received') {
      await this.acknowledgeAndRun(entry.job, entry.job.nonce, entry, log);
      return;
    }
    let job: PipelineJob;
    try {
      // Fresh data and artifact credentials (the ledger never holds credentials).
      const details = await withRetry(() => this.deps.source.getJobDetails(entry.jobId, this.jobAbort.signal), { policy: this.deps.settings.retry, clock: this.deps.clock, signal: this.jobAbort.signal });
      job = { ...entry.job, ...details };
    } catch (error) {
      if (error instanceof JobNoLongerActiveError || error instanceof PermanentError) {
        log.warn('job is gone from CodePipeline; closing it', { error });
        this.deps.ledger.advance(entry.jobId, 'abandoned', { outcome: { kind: 'abandoned', detail: 'not found on resume' } }, this.deps.clock.now());
        this.stats.abandoned++;
        return;
      }
      log.warn('could not resume the job now; it stays in the ledger for the next start', { error });
      return;
    }
    await this.execute(job, entry, log);
  }

  private async acknowledgeAndRun(job: PipelineJob, nonce: string | undefined, entry: LedgerEntry, log: Logger): Promise<void> {
    const { source, settings, clock, ledger } = this.deps;
    const signal = this.jobAbort.signal;
    let ack: AckOutcome;
    try {
      if (!nonce) throw new Error('job without nonce');
      ack = await withRetry(() => source.acknowledge(job.id, nonce, signal), { policy: settings.retry, clock, signal });
    } catch (error) {
      // Nothing was started; CodePipeline offers the job again once its acknowledge window passes.
      log.warn('could not acknowledge the job; CodePipeline will offer it again', { error });
      return;
    }
    if (ack.kind !== 'owned') {
      if (ack.kind === 'taken') {
        this.stats.takenByOthers++;
        log.debug('job acknowledged by another worker; skipping');
      } else {
        log.info('job not runnable after acknowledge; skipping', { ack });
      }
      ledger.advance(job.id, 'abandoned', { outcome: { kind: 'abandoned', detail: `acknowledge: ${ack.kind}` } }, clock.now());
      return;
    }
    this.stats.acknowledged++;
    const acknowledged = ledger.advance(job.id, 'acknowledged', {}, clock.now());
    await this.execute(job, acknowledged, log);
  }

  private async execute(job: PipelineJob, entry: LedgerEntry, log: Logger): Promise<void> {
    try {
      const outcome = await this.deps.runJob(job, this.signals, entry);
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
