import type { Clock } from '../ports/clock';
import type { JobLedger } from '../ports/job-ledger';
import type { Logger } from '../ports/logger';
import type { ScheduleStore } from '../ports/schedule-store';
import type { DeliveryStore } from '../ports/delivery-store';
import type { ScheduledJob } from './scheduled-job';

export interface LedgerPruneJobOptions {
  ledger: JobLedger;
  /** Its old runs are pruned with the same retention. */
  scheduleStore: ScheduleStore;
  /** Webhook delivery records, pruned with the same retention and `keep` (owners with pending targets stay). */
  deliveries?: Pick<DeliveryStore, 'prune'>;
  /** node-cron expression; `ledger.pruneCron` (default hourly at :17, off the full hour other jobs crowd). */
  cron: string;
  /** Finished entries (and schedule runs) older than this are deleted. */
  maxAgeMs: number;
  /** At most this many finished ledger entries are kept (the newest). */
  keep: number;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
}

/** Name of the ledger pruning task; `/` keeps it apart from configured schedule names, which cannot contain one. */
export const LEDGER_PRUNE_JOB = 'housekeeping/ledger-prune';

/**
 * The bridge's ledger pruning as a scheduled job (UTC, which has no DST gaps). Pruning is
 * idempotent, so a slot missed while the bridge was down needs neither a report nor a replay.
 */
export function ledgerPruneJob(options: LedgerPruneJobOptions): ScheduledJob {
  const log = options.logger.child({ component: 'ledger-prune' });
  return {
    name: LEDGER_PRUNE_JOB,
    kind: 'housekeeping',
    cron: options.cron,
    timezone: 'UTC',
    catchUp: 'ignore',
    target: { housekeeping: 'prune finished ledger entries and old schedule runs', maxAgeMs: options.maxAgeMs, keep: options.keep },
    async run() {
      const olderThan = options.clock.now() - options.maxAgeMs;
      const pruned = options.ledger.prune({ olderThan, keep: options.keep });
      const scheduleRuns = options.scheduleStore.prune(olderThan);
      const deliveries = options.deliveries?.prune({ olderThan, keep: options.keep });
      log.info('ledger pruned', { pruned, scheduleRuns, deliveries, olderThan: new Date(olderThan).toISOString(), keep: options.keep });
      return `pruned ${pruned} ledger entries and ${scheduleRuns} schedule runs${deliveries === undefined ? '' : ` and ${deliveries} webhook deliveries`}`;
    },
  };
}
