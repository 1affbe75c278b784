/** Scheduled triggers (node-cron 4) and the bridge's own housekeeping, with durable run records. */
export { Scheduler, type SchedulerOptions } from './scheduler';
export { triggerJob, scheduleRequestToken, type TriggerSchedule, type TriggerDeps } from './trigger-jobs';
export { ledgerPruneJob, LEDGER_PRUNE_JOB, type LedgerPruneJobOptions } from './housekeeping';
export { cronExpressionProblem, occurrencesBetween, type OccurrenceQuery } from './cron-occurrences';
export { SCHEDULE_TEMPLATE_VARIABLES, renderTemplate, scheduleTemplateValues, unknownPlaceholders } from './schedule-template';
export { isIanaTimeZone, localIsoTime } from './zoned-time';
export type { CatchUpPolicy, ScheduledJob, ScheduleSlot, ScheduleStatus, ScheduleRunView } from './scheduled-job';
