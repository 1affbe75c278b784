import { createHash } from 'node:crypto';
import type { BuildRunner } from '../ports/build-runner';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { PipelineStarter } from '../ports/pipeline-starter';
import { withRetry, type RetryPolicy } from '../core/retry';
import type { ScheduledJob, ScheduleSlot } from './scheduled-job';
import { renderTemplate, scheduleTemplateValues } from './schedule-template';

/** A configured schedule (the `schedules` entries of the config): exactly one of `jenkins` and `pipeline`. */
export interface TriggerSchedule {
  name: string;
  cron: string;
  timezone: string;
  catchUp: 'report' | 'run-once';
  jenkins?: { job: string; parameters: Readonly<Record<string, string>> };
  pipeline?: { name: string; variables: Readonly<Record<string, string>> };
}

export interface TriggerDeps {
  runner: Pick<BuildRunner, 'trigger'>;
  /** Required when a schedule starts a pipeline. */
  starter?: PipelineStarter;
  retry: RetryPolicy;
  clock: Clock;
  logger: Logger;
}

/**
 * StartPipelineExecution's clientRequestToken for one slot (≤ 128 of `[A-Za-z0-9-]`): the same for
 * every attempt at the slot, so a retried start, or a second bridge firing the same schedule,
 * returns the execution the first one started. Readable prefix, hash for uniqueness.
 */
export function scheduleRequestToken(schedule: string, scheduledFor: number): string {
  const readable = schedule.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 80);
  const hash = createHash('sha256').update(`${schedule}\n${scheduledFor}`).digest('hex').slice(0, 16);
  return `${readable}-${Math.floor(scheduledFor / 1000)}-${hash}`;
}

/**
 * The ScheduledJob of a configured schedule: each slot triggers the Jenkins job (BuildRunner
 * `trigger`, like Jenkins' own "Build periodically", without waiting for the build) or starts the
 * pipeline, with the slot's template values, retrying transient failures with the bridge's policy.
 * A retried Jenkins trigger whose first response was lost may queue a second build (Jenkins has no
 * idempotency key); a retried pipeline start cannot start a second execution.
 */
export function triggerJob(schedule: TriggerSchedule, deps: TriggerDeps): ScheduledJob {
  if (Boolean(schedule.jenkins) === Boolean(schedule.pipeline)) throw new Error(`schedule "${schedule.name}" needs exactly one target: jenkins or pipeline`);
  if (schedule.pipeline && !deps.starter) throw new Error(`schedule "${schedule.name}" starts a pipeline but no PipelineStarter is configured`);
  const log = deps.logger.child({ component: 'scheduler', schedule: schedule.name });
  const retry = <T>(slot: ScheduleSlot, what: string, call: (signal: AbortSignal) => Promise<T>) =>
    withRetry(() => call(slot.signal), {
      policy: deps.retry,
      clock: deps.clock,
      signal: slot.signal,
      onRetry: (error, delayMs, attempt) => log.warn(`${what} failed; retrying`, { attempt: attempt + 1, delayMs, error }),
    });
  const render = (slot: ScheduleSlot, templates: Readonly<Record<string, string>>) => {
    const values = scheduleTemplateValues(schedule.name, slot.scheduledFor, schedule.timezone);
    return Object.fromEntries(Object.entries(templates).map(([key, template]) => [key, renderTemplate(template, values)]));
  };
  const base = { name: schedule.name, kind: 'trigger' as const, cron: schedule.cron, timezone: schedule.timezone, catchUp: schedule.catchUp };

  const jenkins = schedule.jenkins;
  if (jenkins) {
    return {
      ...base,
      target: { jenkins: { job: jenkins.job, parameters: Object.keys(jenkins.parameters) } },
      async run(slot) {
        const parameters = render(slot, jenkins.parameters);
        const ref = await retry(slot, 'Jenkins trigger', (signal) => deps.runner.trigger(jenkins.job, parameters, signal));
        return `Jenkins job ${jenkins.job} queued${ref.queueId !== undefined ? ` as queue item ${ref.queueId}` : ''}${ref.url ? ` (${ref.url})` : ''}`;
      },
    };
  }
  const pipeline = schedule.pipeline!;
  const starter = deps.starter!;
  return {
    ...base,
    target: { pipeline: { name: pipeline.name, variables: Object.keys(pipeline.variables) } },
    async run(slot) {
      const variables = Object.entries(render(slot, pipeline.variables)).map(([name, value]) => ({ name, value }));
      const clientRequestToken = scheduleRequestToken(schedule.name, slot.scheduledFor);
      const { executionId } = await retry(slot, 'pipeline start', (signal) =>
        starter.start({ pipeline: pipeline.name, clientRequestToken, ...(variables.length ? { variables } : {}) }, signal),
      );
      return `pipeline ${pipeline.name} execution ${executionId}`;
    },
  };
}
