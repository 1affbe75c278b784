import type { ScheduleRun } from '../ports/schedule-store';

/**
 * What to do about slots that passed while no scheduler ran:
 *  - report    record them as `missed` and warn (default for triggers)
 *  - run-once  as report, but run the newest missed slot once (never a burst)
 *  - ignore    nothing: for idempotent housekeeping, where a later run covers what was missed
 */
export type CatchUpPolicy = 'report' | 'run-once' | 'ignore';

/** One slot to run. */
export interface ScheduleSlot {
  /** The cron occurrence (epoch ms), also for a late catch-up run. */
  scheduledFor: number;
  catchUp: boolean;
  /** Aborted when the scheduler stops. */
  signal: AbortSignal;
}

/** A cron-driven job the Scheduler runs: a configured trigger or the bridge's own housekeeping. */
export interface ScheduledJob {
  /** Unique; the key of its runs in the ScheduleStore. */
  name: string;
  kind: 'trigger' | 'housekeeping';
  /** node-cron 4 expression (5 fields, or 6 with seconds first). */
  cron: string;
  /** IANA zone whose wall clock the expression follows. */
  timezone: string;
  catchUp: CatchUpPolicy;
  /** What GET /schedules shows as the target (no secrets: names, never parameter values). */
  target: Readonly<Record<string, unknown>>;
  /** Runs one slot; resolves to a one-line summary of what it did, rejects with why it failed. */
  run(slot: ScheduleSlot): Promise<string | undefined>;
}

/** A run as GET /schedules shows it (ISO times). */
export interface ScheduleRunView {
  scheduledFor: string;
  outcome: ScheduleRun['outcome'];
  startedAt?: string;
  finishedAt?: string;
  detail?: string;
}

/** One schedule as GET /schedules shows it. */
export interface ScheduleStatus {
  name: string;
  kind: ScheduledJob['kind'];
  cron: string;
  timezone: string;
  catchUp: CatchUpPolicy;
  target: Readonly<Record<string, unknown>>;
  /** Next slot (UTC ISO), and as the schedule's wall clock; null when the scheduler is not running. */
  nextRun: string | null;
  nextRunLocal: string | null;
  running: boolean;
  /** The newest run that started (whatever its outcome). */
  lastRun: ScheduleRunView | null;
  /** Newest first, at most 20. */
  missedRuns: ScheduleRunView[];
}
