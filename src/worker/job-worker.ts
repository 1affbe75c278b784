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
  /** `wake()` calls accepted (EventBridge "job queued" events); bursts coalesce into fewer polls. */
  wakes: number;
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
  /**
   * Jobs this process is handling, with the newest nonce CodePipeline gave for each. A job can be
   * offered again (new nonce) while its first acknowledge is still being retried: the re-offer is
   * folded into the running handler, whose next acknowledge attempt uses the newest nonce, instead of
   * racing a second handler for the same job.
   */
  private readonly handling = new Map<string, { nonce: string | undefined }>();
  private readonly pollAbort = new AbortController();
  private readonly handoff = new AbortController();
  private readonly jobAbort = new AbortController();
  private loopDone: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Resolves `waitForSlot()` (a job settled, or shutdown). */
  private slotFreed: (() => void) | undefined;
  /** A wake() that no poll has started since: the next poll serves it, whenever it starts. */
  private wakePending = false;
  /** Aborts the idle wait between polls; only that wait (never an error backoff or the readiness hold). */
  private idleWait: AbortController | undefined;
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
    wakes: 0,
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

  /**
   * Poll now: something says a job was just queued for this action type (an EventBridge
   * "CodePipeline Action Execution State Change" STARTED event). PollForJobs is not a long poll, so
   * without this a job that arrives after a quiet spell waits for the next idle tick (up to
   * `pollIntervalMs`); the idle cadence stays the fallback for lost or late events.
   * - Idle wait between polls: cut short, the poll starts at once.
   * - Poll in flight: one more poll right after it (the job may have been queued after that poll
   *   read the queue).
   * - A burst coalesces: any poll that starts after a wake serves it, so N wakes while a poll runs
   *   cost one extra poll, and N wakes during the idle wait cost one.
   * - Capacity and the readiness hold still apply: a full or held worker polls as soon as it may,
   *   as it would anyway. An error backoff is not cut short (events must not defeat throttling).
   * - An empty woken poll restarts the fast cadence (min interval, doubling back to the idle
   *   interval): the event may have overtaken the job becoming pollable.
   * No-op unless running (before start, and once close() began).
   */
  wake(reason: string): void {
    if (this._state !== 'running' || this.pollAbort.signal.aborted) return;
    this.stats.wakes++;
    this.wakePending = true;
    this.deps.logger.debug('poll requested', { reason, idle: this.idleWait !== undefined });
    this.idleWait?.abort();
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
    this.slotFreed?.();
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
      // This poll serves every wake so far; a wake arriving while it runs asks for one more.
      const woken = this.wakePending;
      this.wakePending = false;
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
      // Adaptive cadence: poll again soon while jobs arrive (or were announced by a wake); double
      // the wait while idle, capped.
      if (received > 0 || woken) idleDelay = settings.minPollIntervalMs;
      const delay = received > 0 ? settings.minPollIntervalMs : idleDelay;
      if (received === 0) idleDelay = Math.min(settings.pollIntervalMs, Math.max(100, idleDelay * 2));
      if (this.wakePending) continue;
      if (delay > 0) await this.idleSleep(delay, signal);
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
      this.slotFreed?.();
    });
  }

  /** Record (ledger), acknowledge, run only what we own. Nothing happens before the ledger write. */
  private async handle(job: PipelineJob): Promise<void> {
    const log = this.deps.logger.child({ jobId: job.id, pipeline: job.pipeline.pipelineName });
    const current = this.handling.get(job.id);
    if (current) {
      log.info('job offered again while this process still handles it; the newest nonce replaces the old one');
      current.nonce = job.nonce;
      try {
        this.deps.ledger.begin(job, this.deps.clock.now()); // keeps the newest nonce for a resume
      } catch (error) {
        log.warn('could not record the new nonce in the ledger', { error });
      }
      return;
    }
    const state = { nonce: job.nonce };
    this.handling.set(job.id, state);
    try {
      let entry: LedgerEntry;
      try {
        entry = this.deps.ledger.begin(job, this.deps.clock.now());
        await this.deps.ledger.sync(); // on disk before the acknowledge makes the job ours
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
      await this.acknowledgeAndRun(job, () => state.nonce, entry, log);
    } catch (error) {
      // Every path above handles its own failures; reaching here is a bug, but must not become an
      // unhandled rejection that leaves the job without a handler.
      log.error('job handling failed', { error });
    } finally {
      this.handling.delete(job.id);
    }
  }

  /** A job a previous process left unfinished: acknowledge it again or refresh it, then resume. */
  private async resume(entry: LedgerEntry): Promise<void> {
    const log = this.deps.logger.child({ jobId: entry.jobId, pipeline: entry.job.pipeline.pipelineName, resumedFrom: entry.state });
    this.stats.resumed++;
    log.info('resuming a job left unfinished by a previous process');
    if (entry.state === 'received') {
      await this.acknowledgeAndRun(entry.job, () => entry.job.nonce, entry, log);
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

  /** `nonce()` is read at each attempt: a re-offer of the job while this runs brings a newer one. */
  private async acknowledgeAndRun(job: PipelineJob, nonce: () => string | undefined, entry: LedgerEntry, log: Logger): Promise<void> {
    const { source, settings, clock, ledger } = this.deps;
    const signal = this.jobAbort.signal;
    let ack: AckOutcome;
    try {
      // A nonce refused because a re-offer replaced it meanwhile: acknowledge with the new one.
      for (let used: string | undefined; ; ) {
        ack = await withRetry(
          () => {
            used = nonce();
            if (!used) throw new Error('job without nonce');
            return source.acknowledge(job.id, used, signal);
          },
          { policy: settings.retry, clock, signal },
        );
        if (ack.kind === 'owned' || nonce() === used) break;
      }
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
      this.slotFreed = () => {
        this.slotFreed = undefined;
        resolve();
      };
      if (this.pollAbort.signal.aborted) this.slotFreed();
    });
  }

  /** The wait between polls: ends early on shutdown or on wake(). */
  private async idleSleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const wait = new AbortController();
    const onAbort = () => wait.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.idleWait = wait;
    try {
      await this.sleep(ms, wait.signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.idleWait = undefined;
    }
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.clock.sleep(ms, signal);
    } catch (error) {
      if (!isAbortError(error)) throw error;
    }
  }
}
