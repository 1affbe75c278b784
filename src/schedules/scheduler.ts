import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { ScheduleRun, ScheduleStore } from '../ports/schedule-store';
import { systemClock } from '../core/system-clock';
import { cronLogger } from './cron-logger';
import { occurrencesBetween } from './cron-occurrences';
import type { ScheduledJob, ScheduleRunView, ScheduleStatus } from './scheduled-job';
import { localIsoTime } from './zoned-time';

export interface SchedulerOptions {
  store: ScheduleStore;
  logger: Logger;
  /** The time of record for runs and the missed-run search; node-cron's ticks follow the real clock. */
  clock?: Pick<Clock, 'now'>;
  /**
   * How often liveness is written (default 30 s). After a crash, slots since the last write are
   * searched for missed runs; slots that did run are recorded, so a short interval only narrows
   * the search.
   */
  heartbeatMs?: number;
  /** Newest missed slots recorded per schedule at start (default 100); older ones are only counted as "more". */
  maxMissedRecorded?: number;
  /** At stop, runs in progress get this long (default 5 s) before they are aborted (recorded `interrupted`). */
  stopGraceMs?: number;
}

interface Entry {
  job: ScheduledJob;
  /** What a slot means: the missed-run search only trusts liveness recorded under the same definition. */
  signature: string;
  task?: ScheduledTask;
  busy?: Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const RUN_OUTCOMES = ['running', 'succeeded', 'failed', 'interrupted'] as const;

/**
 * Runs ScheduledJobs on node-cron 4 (explicit time zone, `noOverlap`) and records every slot in the
 * ScheduleStore: claimed before it runs (a slot never runs twice, even across restarts), finished
 * with its outcome; slots blocked by a run still in progress are recorded `skipped`.
 * At start, slots that passed since a schedule was last seen alive are recorded `missed` and
 * reported in one warning per schedule; with `catchUp: 'run-once'` only the newest of them runs.
 */
export class Scheduler {
  private readonly entries: Entry[];
  private readonly clock: Pick<Clock, 'now'>;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;

  constructor(
    jobs: readonly ScheduledJob[],
    private readonly options: SchedulerOptions,
  ) {
    const names = jobs.map((j) => j.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new Error(`two schedules are named "${duplicate}"`);
    this.entries = jobs.map((job) => ({ job, signature: `${job.cron}|${job.timezone}` }));
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ component: 'scheduler' });
  }

  /** Reports missed slots, then starts every task; a run-once catch-up runs in the background. */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    const { store } = this.options;
    const now = this.clock.now();
    for (const run of store.closeInterrupted(now)) {
      this.log.warn('scheduled run was interrupted by a stop or crash and is not retried', { schedule: run.name, scheduledFor: iso(run.scheduledFor) });
    }
    for (const entry of this.entries) entry.task = this.createTask(entry);
    const catchUps = this.entries.flatMap((entry) => {
      const slot = entry.job.catchUp === 'ignore' ? undefined : this.reportMissed(entry, now);
      return slot === undefined ? [] : [{ entry, slot }];
    });
    this.markSeen();
    for (const entry of this.entries) void entry.task?.start();
    this.heartbeat = setInterval(() => this.markSeen(), this.options.heartbeatMs ?? 30_000);
    this.heartbeat.unref();
    for (const { entry, slot } of catchUps) void this.runSlot(entry, slot, true);
    if (this.entries.length) {
      this.log.info('scheduler started', { schedules: this.entries.map((e) => ({ name: e.job.name, cron: e.job.cron, timezone: e.job.timezone, nextRun: this.nextRun(e) })) });
    }
  }

  /** Stops the tasks; runs in progress get the grace period, then are aborted. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const wasRunning = this.state === 'running';
      this.state = 'stopped';
      if (this.heartbeat) clearInterval(this.heartbeat);
      for (const entry of this.entries) void entry.task?.destroy();
      if (!wasRunning) return;
      const settled = Promise.allSettled([...this.inflight]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.stopGraceMs ?? 5_000)))]);
      clearTimeout(timer);
      this.abort.abort(new Error('scheduler stopped'));
      await settled;
      // A clean stop records exactly when the schedules stopped being watched.
      this.markSeen();
      this.log.info('scheduler stopped');
    })();
    return this.stopping;
  }

  /** Each schedule with its next slot, last run and recent missed slots (GET /schedules). */
  list(): ScheduleStatus[] {
    const { store } = this.options;
    return this.entries.map((entry) => {
      const { job } = entry;
      const next = this.state === 'running' ? entry.task?.getNextRun() ?? null : null;
      const lastRun = store.runs(job.name, { limit: 1, outcomes: RUN_OUTCOMES })[0];
      return {
        name: job.name,
        kind: job.kind,
        cron: job.cron,
        timezone: job.timezone,
        catchUp: job.catchUp,
        target: job.target,
        nextRun: next ? next.toISOString() : null,
        nextRunLocal: next ? localIsoTime(next.getTime(), job.timezone) : null,
        running: entry.busy !== undefined,
        lastRun: lastRun ? view(lastRun) : null,
        missedRuns: store.runs(job.name, { limit: 20, outcomes: ['missed'] }).map(view),
      };
    });
  }

  /** Resolves when no run is in progress (tests, shutdown diagnostics). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  private createTask(entry: Entry): ScheduledTask {
    const { job } = entry;
    const log = this.log.child({ schedule: job.name });
    // node-cron passes the slot it fired for (whole seconds) as `date`: the run's identity.
    const task = cron.createTask(job.cron, (context) => this.runSlot(entry, context.date.getTime(), false), {
      name: job.name,
      timezone: job.timezone,
      noOverlap: true,
      logger: cronLogger(log),
    });
    task.on('execution:overlap', (context) => this.recordNotRun(entry, context.date.getTime(), 'skipped', 'the previous run was still in progress'));
    // Listening silences node-cron's own console-style warning; recordNotRun warns with the schedule's name.
    task.on('execution:missed', (context) => this.recordNotRun(entry, context.date.getTime(), 'missed', 'the tick came too late (event loop blocked or clock jumped)'));
    return task;
  }

  private nextRun(entry: Entry): string | null {
    const next = entry.task?.getNextRun();
    return next ? next.toISOString() : null;
  }

  /** Records the slots since the schedule was last seen alive as missed; returns the slot to catch up, if any. */
  private reportMissed(entry: Entry, now: number): number | undefined {
    const { job } = entry;
    const { store } = this.options;
    const seen = store.lastSeen(job.name);
    if (!seen) return undefined; // a new schedule: nothing could have been missed
    if (seen.signature !== entry.signature) {
      this.log.info('schedule changed since it last ran: earlier slots are not searched for missed runs', { schedule: job.name, was: seen.signature, now: entry.signature });
      return undefined;
    }
    const task = entry.task!;
    const { slots, more } = occurrencesBetween({
      cron: job.cron,
      timezone: job.timezone,
      after: seen.at,
      until: now,
      matches: (date) => task.match(date),
      limit: this.options.maxMissedRecorded ?? 100,
    });
    const catchUp = job.catchUp === 'run-once' ? slots.at(-1) : undefined;
    const detail = `the bridge was not running (last seen alive ${iso(seen.at)})`;
    const missed = slots.filter((slot) => slot !== catchUp && store.recordNotRun(job.name, slot, 'missed', now, detail));
    if (missed.length || catchUp !== undefined) {
      this.log.warn('scheduled runs were missed while the bridge was down', {
        schedule: job.name,
        missed: missed.map((slot) => localIsoTime(slot, job.timezone)),
        ...(more ? { earlierMissedNotListed: true } : {}),
        lastSeenAlive: iso(seen.at),
        timezone: job.timezone,
        catchUp: catchUp !== undefined ? `running the slot of ${localIsoTime(catchUp, job.timezone)} once now` : 'none (report only)',
      });
    }
    return catchUp;
  }

  private async runSlot(entry: Entry, scheduledFor: number, catchUp: boolean): Promise<void> {
    const { job } = entry;
    const { store } = this.options;
    const log = this.log.child({ schedule: job.name, scheduledFor: iso(scheduledFor) });
    try {
      if (this.state !== 'running') return;
      // node-cron's noOverlap sees only its own ticks; a catch-up run in progress counts too.
      if (entry.busy) return this.recordNotRun(entry, scheduledFor, 'skipped', 'the previous run was still in progress');
      if (!store.claim(job.name, scheduledFor, this.clock.now())) {
        log.info('slot already recorded: not run again');
        return;
      }
      const run = this.execute(entry, scheduledFor, catchUp, log);
      entry.busy = run;
      this.inflight.add(run);
      try {
        await run;
      } finally {
        entry.busy = undefined;
        this.inflight.delete(run);
      }
    } catch (error) {
      // Only the store can fail here (execute records its own errors): never let it reach node-cron.
      log.error('schedule store failed', { error });
    }
  }

  private async execute(entry: Entry, scheduledFor: number, catchUp: boolean, log: Logger): Promise<void> {
    const { job } = entry;
    const { store } = this.options;
    log.info(catchUp ? 'catch-up run started' : 'scheduled run started', { kind: job.kind });
    try {
      const detail = await job.run({ scheduledFor, catchUp, signal: this.abort.signal });
      const text = catchUp ? `catch-up run: ${detail ?? 'done'}` : detail;
      store.finish(job.name, scheduledFor, 'succeeded', this.clock.now(), text);
      log.info('scheduled run succeeded', { detail: text });
    } catch (error) {
      const interrupted = this.abort.signal.aborted;
      const message = error instanceof Error ? error.message : String(error);
      store.finish(job.name, scheduledFor, interrupted ? 'interrupted' : 'failed', this.clock.now(), message);
      if (interrupted) log.warn('scheduled run interrupted by shutdown', { error });
      else log.error('scheduled run failed', { error });
    }
  }

  private recordNotRun(entry: Entry, scheduledFor: number, outcome: 'missed' | 'skipped', detail: string): void {
    try {
      if (this.options.store.recordNotRun(entry.job.name, scheduledFor, outcome, this.clock.now(), detail)) {
        this.log.warn(outcome === 'skipped' ? 'scheduled run skipped' : 'scheduled run missed', {
          schedule: entry.job.name,
          scheduledFor: localIsoTime(scheduledFor, entry.job.timezone),
          reason: detail,
        });
      }
    } catch (error) {
      this.log.error('schedule store failed', { schedule: entry.job.name, error });
    }
  }

  private markSeen(): void {
    try {
      this.options.store.markSeen(
        this.entries.map((e) => ({ name: e.job.name, signature: e.signature })),
        this.clock.now(),
      );
    } catch (error) {
      this.log.error('schedule store failed', { error });
    }
  }
}

function view(run: ScheduleRun): ScheduleRunView {
  return {
    scheduledFor: iso(run.scheduledFor),
    outcome: run.outcome,
    ...(run.startedAt !== undefined ? { startedAt: iso(run.startedAt) } : {}),
    ...(run.finishedAt !== undefined ? { finishedAt: iso(run.finishedAt) } : {}),
    ...(run.detail !== undefined ? { detail: run.detail } : {}),
  };
}
