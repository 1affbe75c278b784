import { z } from 'zod';
import { cronExpressionProblem } from './cron-occurrences';
import { SCHEDULE_TEMPLATE_VARIABLES, unknownPlaceholders } from './schedule-template';
import { isIanaTimeZone } from './zoned-time';

/** Names key the run records and show in logs and GET /schedules; no "/" (kept for housekeeping tasks). */
const scheduleName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit');

/** PipelineVariableName of the API model. */
const VARIABLE_NAME = /^[A-Za-z0-9@\-_]{1,128}$/;

const PLACEHOLDERS = SCHEDULE_TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ');
const knownPlaceholders = (value: string) => unknownPlaceholders(value).length === 0;
const template = z.string().refine(knownPlaceholders, { message: `unknown placeholder; schedules offer ${PLACEHOLDERS}` });

/** One configured schedule. Errors name the key, e.g. `schedules.0.timezone`. */
export const scheduleSchema = z
  .object({
    name: scheduleName,
    /** node-cron 4: 5 fields, or 6 with seconds first; `L`, `W`, `#` and nicknames such as `@daily`. */
    cron: z.string().min(1).superRefine((value, ctx) => {
      const problem = cronExpressionProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /** Required: a schedule follows the wall clock of an explicit zone, never the host's. */
    timezone: z.string().refine(isIanaTimeZone, { message: 'must be an IANA time zone name such as "UTC", "Europe/Berlin" or "America/New_York"' }),
    jenkins: z
      .object({
        job: z.string().min(1),
        parameters: z.record(z.string().min(1), template).default({}),
      })
      .strict()
      .optional(),
    pipeline: z
      .object({
        /** PipelineName of the API model. */
        name: z.string().min(1).max(100).regex(/^[A-Za-z0-9.@\-_]+$/, 'pipeline names allow letters, digits, ".", "@", "-" and "_"'),
        /** PipelineVariable names and values of the API model (value 1–1000 after filling in placeholders). */
        variables: z
          .record(z.string(), template.pipe(z.string().min(1).max(1000)))
          .superRefine((variables, ctx) => {
            for (const name of Object.keys(variables)) {
              if (!VARIABLE_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'variable names allow 1–128 letters, digits, "@", "-" and "_"' });
            }
          })
          .default({}),
      })
      .strict()
      .optional(),
    /** Slots missed while the bridge was down: always reported; `run-once` also runs the newest of them once. */
    catchUp: z.enum(['report', 'run-once']).default('report'),
  })
  .strict()
  .superRefine((schedule, ctx) => {
    if (Boolean(schedule.jenkins) === Boolean(schedule.pipeline)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one target: "jenkins" or "pipeline"' });
    }
  });

/** The top-level `schedules` list: names unique. */
export const schedulesSchema = z.array(scheduleSchema).superRefine((schedules, ctx) => {
  schedules.forEach((schedule, index) => {
    if (schedules.findIndex((s) => s.name === schedule.name) !== index) {
      ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${schedule.name}" is already the name of another schedule` });
    }
  });
});
