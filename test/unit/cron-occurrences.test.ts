import { afterAll, describe, expect, it } from '@jest/globals';
import cron, { type ScheduledTask } from 'node-cron';
import { cronExpressionProblem, isIanaTimeZone, localIsoTime, occurrencesBetween, renderTemplate, scheduleTemplateValues, unknownPlaceholders } from '../../src/schedules';

const tasks: ScheduledTask[] = [];
/** node-cron's own matcher for the expression (the task is never started). */
function matcher(expression: string, timezone: string): (date: Date) => boolean {
  const task = cron.createTask(expression, () => undefined, { timezone });
  tasks.push(task);
  return (date) => task.match(date);
}
afterAll(async () => {
  for (const task of tasks) await task.destroy();
});

function slots(expression: string, timezone: string, after: string, until: string, limit = 50): string[] {
  return occurrencesBetween({ cron: expression, timezone, after: Date.parse(after), until: Date.parse(until), matches: matcher(expression, timezone), limit }).slots.map((s) =>
    new Date(s).toISOString(),
  );
}

describe('occurrencesBetween (missed-slot enumeration, node-cron semantics)', () => {
  it('lists the slots in (after, until], oldest first', () => {
    expect(slots('0 */6 * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')).toEqual([
      '2026-01-01T06:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T18:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
    ]);
  });

  it('follows the time zone: 02:00 New York is 07:00 UTC in winter and 06:00 UTC in summer', () => {
    expect(slots('0 2 * * *', 'America/New_York', '2026-01-10T00:00:00Z', '2026-01-12T00:00:00Z')).toEqual(['2026-01-10T07:00:00.000Z', '2026-01-11T07:00:00.000Z']);
    expect(slots('0 2 * * *', 'America/New_York', '2026-07-10T00:00:00Z', '2026-07-12T00:00:00Z')).toEqual(['2026-07-10T06:00:00.000Z', '2026-07-11T06:00:00.000Z']);
  });

  it('skips a wall-clock time DST skips, and lists a repeated one once, as node-cron fires them', () => {
    // 2026-03-08 02:30 does not exist in New York; 2026-11-01 01:30 happens twice.
    expect(slots('30 2 * * *', 'America/New_York', '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
    expect(slots('30 1 * * *', 'America/New_York', '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z')).toEqual([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('ANDs day of month with day of week, as node-cron does (cron-parser alone would OR them)', () => {
    expect(slots('0 12 13 * 5', 'UTC', '2026-01-01T00:00:00Z', '2026-12-31T00:00:00Z')).toEqual(['2026-02-13T12:00:00.000Z', '2026-03-13T12:00:00.000Z', '2026-11-13T12:00:00.000Z']);
  });

  it('handles node-cron tokens cron-parser lacks (nearest weekday W)', () => {
    // 15th falls on a Sunday in February and March 2026 → Monday the 16th.
    expect(slots('0 0 15W * *', 'UTC', '2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z')).toEqual(['2026-01-15T00:00:00.000Z', '2026-02-16T00:00:00.000Z', '2026-03-16T00:00:00.000Z']);
  });

  it('keeps the newest `limit` slots and says more exist; the seconds field works', () => {
    const result = occurrencesBetween({
      cron: '*/1 * * * * *',
      timezone: 'UTC',
      after: Date.parse('2026-01-01T00:00:00Z'),
      until: Date.parse('2026-01-01T01:00:00Z'),
      matches: matcher('*/1 * * * * *', 'UTC'),
      limit: 3,
    });
    expect(result).toEqual({ slots: [Date.parse('2026-01-01T00:59:58Z'), Date.parse('2026-01-01T00:59:59Z'), Date.parse('2026-01-01T01:00:00Z')], more: true });
    expect(slots('0 0 * * *', 'UTC', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z')).toEqual([]);
  });
});

describe('cronExpressionProblem', () => {
  it('accepts node-cron 4 syntax and names what is wrong otherwise', () => {
    for (const ok of ['0 2 * * *', '*/1 * * * * *', '@hourly', '0 0 L * *', '0 0 * * 5L', '0 0 * * MON-FRI', '0 0 1 JAN *']) expect(cronExpressionProblem(ok)).toBeUndefined();
    expect(cronExpressionProblem('0 25 * * *')).toMatch(/^invalid cron expression \(hour/);
    expect(cronExpressionProblem('nonsense')).toMatch(/^invalid cron expression/);
  });
});

describe('time zones and templates', () => {
  it('accepts IANA names only', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'America/Port-au-Prince']) expect(isIanaTimeZone(zone)).toBe(true);
    for (const zone of ['Mars/Olympus', '+01:00', '', 'Europe/']) expect(isIanaTimeZone(zone)).toBe(false);
  });

  it('writes local times with their offset, across DST', () => {
    expect(localIsoTime(Date.parse('2026-03-08T06:59:59Z'), 'America/New_York')).toBe('2026-03-08T01:59:59-05:00');
    expect(localIsoTime(Date.parse('2026-03-08T07:00:00Z'), 'America/New_York')).toBe('2026-03-08T03:00:00-04:00');
    expect(localIsoTime(Date.parse('2026-06-01T00:00:00Z'), 'UTC')).toBe('2026-06-01T00:00:00+00:00');
    expect(localIsoTime(Date.parse('2026-06-01T00:00:00Z'), 'Asia/Kolkata')).toBe('2026-06-01T05:30:00+05:30');
  });

  it('fills the slot values in, leaves unknown placeholders alone, and lists them for validation', () => {
    const values = scheduleTemplateValues('nightly', Date.parse('2026-11-24T07:00:00Z'), 'America/New_York');
    expect(values).toEqual({ schedule: 'nightly', scheduledTime: '2026-11-24T07:00:00.000Z', scheduledLocalTime: '2026-11-24T02:00:00-05:00', scheduledDate: '2026-11-24' });
    expect(renderTemplate('{{schedule}}@{{ scheduledDate }}/{{other}}', values)).toBe('nightly@2026-11-24/{{other}}');
    expect(unknownPlaceholders('{{schedule}} {{commit}} {{ branch }}')).toEqual(['commit', 'branch']);
  });
});
