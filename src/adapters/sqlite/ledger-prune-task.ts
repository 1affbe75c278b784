import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../../ports/clock';
import type { JobLedger } from '../../ports/job-ledger';
import type { Logger } from '../../ports/logger';
import { systemClock } from '../../core/system-clock';

export interface LedgerPruneTaskOptions {
  /** node-cron expression; default '17 * * * *' (hourly, off the full hour other jobs crowd). */
  cron?: string;
  /** Finished entries last updated longer ago than this are deleted. */
  maxAgeMs: number;
  /** At most this many finished entries are kept (the newest). */
  keep: number;
  /** Always pass one: schedules follow wall-clock time in this zone (UTC has no DST gaps). */
  timezone?: string;
  clock?: Pick<Clock, 'now'>;
}

/**
 * A node-cron task that prunes finished ledger entries. Returned stopped: the caller starts it
 * with the bridge and stops it at shutdown. `await task.execute()` runs it once and resolves to
 * the number of entries deleted. Pruning is idempotent, so a slot missed while the bridge was
 * down needs no replay.
 */
export function createLedgerPruneTask(ledger: JobLedger, options: LedgerPruneTaskOptions, logger: Logger): ScheduledTask {
  const log = logger.child({ component: 'ledger-prune' });
  const clock = options.clock ?? systemClock;
  const name = 'ledger-prune';
  return cron.createTask(
    options.cron ?? '17 * * * *',
    () => {
      const olderThan = clock.now() - options.maxAgeMs;
      const pruned = ledger.prune({ olderThan, keep: options.keep });
      log.info('ledger pruned', { pruned, olderThan: new Date(olderThan).toISOString(), keep: options.keep });
      return pruned;
    },
    // The task's failures and node-cron's own warnings (overlap, missed slot) go to our log, not the console.
    { name, timezone: options.timezone ?? 'UTC', noOverlap: true, logger: cronLogger(log) },
  );
}

/**
 * node-cron's logger shape onto the Logger port. node-cron hands a failed run's error as the
 * message itself; it may come from another realm (native addons, test VMs), so no instanceof.
 * This must never throw: node-cron settles `execute()` only after its error hook returns.
 */
function cronLogger(log: Logger): NonNullable<Parameters<typeof cron.createTask>[2]>['logger'] {
  const split = (message: string | Error, error?: Error): [string, { error?: Error }] =>
    typeof message === 'string' ? [message, error ? { error } : {}] : ['scheduled task failed', { error: message }];
  return {
    info: (message) => log.info(message),
    warn: (message) => log.warn(message),
    error: (message, error) => log.error(...split(message, error)),
    debug: (message, error) => log.debug(...split(message, error)),
  };
}
