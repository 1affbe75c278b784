import { localIsoTime } from './zoned-time';

/**
 * Placeholders a schedule's Jenkins parameters and pipeline variables may use, filled per slot:
 *   {{schedule}}            the schedule's name
 *   {{scheduledTime}}       the slot in UTC, ISO 8601 (`2026-11-24T07:00:00.000Z`)
 *   {{scheduledLocalTime}}  the slot as the schedule's wall clock with offset (`2026-11-24T02:00:00-05:00`)
 *   {{scheduledDate}}       the slot's local date (`2026-11-24`), e.g. for nightly build names
 * The slot is the cron occurrence, not the moment the trigger ran, so a retried or caught-up run
 * gets the values of the slot it belongs to.
 */
export const SCHEDULE_TEMPLATE_VARIABLES = ['schedule', 'scheduledTime', 'scheduledLocalTime', 'scheduledDate'] as const;
export type ScheduleTemplateVariable = (typeof SCHEDULE_TEMPLATE_VARIABLES)[number];

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Placeholder names in `template` that are not schedule variables (config validation). */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] as string)
    .filter((name) => !(SCHEDULE_TEMPLATE_VARIABLES as readonly string[]).includes(name));
}

/** The values of one slot. */
export function scheduleTemplateValues(schedule: string, scheduledFor: number, timezone: string): Record<ScheduleTemplateVariable, string> {
  const local = localIsoTime(scheduledFor, timezone);
  return { schedule, scheduledTime: new Date(scheduledFor).toISOString(), scheduledLocalTime: local, scheduledDate: local.slice(0, 10) };
}

/** Replaces each known placeholder; unknown ones are left as written (config validation refuses them). */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}
