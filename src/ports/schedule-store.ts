/**
 * What happened to one slot of a schedule:
 *  - running      claimed and started, not finished (yet, or the process died: see `interrupted`)
 *  - succeeded    the target accepted the trigger (Jenkins queued the build / the execution started)
 *  - failed       the trigger failed after its retries
 *  - interrupted  the process stopped or died while the run was in progress
 *  - missed       the slot passed while no scheduler was running (or its tick came too late)
 *  - skipped      the previous run was still in progress (no overlap)
 */
export type ScheduleRunOutcome = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'missed' | 'skipped';

/** One slot of one schedule. Times are epoch ms. */
export interface ScheduleRun {
  name: string;
  /** The slot the run belongs to (the cron occurrence, not when it actually ran). */
  scheduledFor: number;
  outcome: ScheduleRunOutcome;
  startedAt?: number;
  finishedAt?: number;
  /** What it did (queue item, execution id), why it failed, or why it did not run. */
  detail?: string;
  /** When the slot was first recorded. */
  recordedAt: number;
}

/**
 * Durable record of schedule runs, one row per (name, slot), and of when each schedule was last
 * seen active. A slot is recorded at most once, so claiming it is also what keeps a retried or
 * duplicated tick from running twice.
 */
export interface ScheduleStore {
  /** Records the slot as `running`. False (and nothing written) when the slot is already recorded, by this process or an earlier one. */
  claim(name: string, scheduledFor: number, at: number): boolean;
  /** Ends a claimed run. */
  finish(name: string, scheduledFor: number, outcome: 'succeeded' | 'failed' | 'interrupted', at: number, detail?: string): void;
  /** Records a slot that did not run, unless the slot is already recorded. True when written. */
  recordNotRun(name: string, scheduledFor: number, outcome: 'missed' | 'skipped', at: number, detail?: string): boolean;
  /** Runs left `running` by a process that stopped without finishing them: marks them `interrupted` and returns them. */
  closeInterrupted(at: number): ScheduleRun[];
  /** Runs of a schedule, newest slot first, optionally only some outcomes. */
  runs(name: string, options: { limit: number; outcomes?: readonly ScheduleRunOutcome[] }): ScheduleRun[];
  /** When a scheduler last had the schedule active, and under which definition (cron + time zone). */
  lastSeen(name: string): { signature: string; at: number } | undefined;
  /** Liveness of the active schedules: the lower bound of the missed-run search after a restart. */
  markSeen(entries: readonly { name: string; signature: string }[], at: number): void;
  /** Deletes runs (not `running` ones) of slots before `olderThan`; returns how many. */
  prune(olderThan: number): number;
  close(): void;
}
