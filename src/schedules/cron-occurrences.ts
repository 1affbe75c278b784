import { CronExpressionParser, type CronExpression } from 'cron-parser';
import cron from 'node-cron';
import { localIsoTime } from './zoned-time';

/**
 * Past occurrences of a cron expression, for the missed-run report. node-cron 4 computes only
 * forward from now (`getNextRuns`), so cron-parser enumerates and node-cron's own `match` decides:
 * every slot reported is one node-cron would have fired. That settles the dialect differences:
 * cron-parser ORs day-of-month with day-of-week (Vixie cron) where node-cron ANDs them, and
 * cron-parser moves a wall-clock time skipped by DST where node-cron skips it, and yields a
 * wall-clock time repeated by DST twice where node-cron fires the first only. For tokens
 * cron-parser lacks (`15W`, `L-2`) it enumerates every day and node-cron's match filters.
 */

/** Candidates looked at per query: bounds start-up time for expressions whose matches are rare among many candidates. */
const MAX_CANDIDATES = 10_000;

function enumerator(expression: string, options: { currentDate: Date; startDate?: Date; tz: string }): CronExpression {
  try {
    return CronExpressionParser.parse(expression, options);
  } catch (error) {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5 && fields.length !== 6) throw error;
    // A superset: every day; node-cron's match keeps only its own days.
    const six = fields.length === 5 ? ['0', ...fields] : fields;
    six[3] = '*';
    six[5] = '*';
    return CronExpressionParser.parse(six.join(' '), options);
  }
}

/** Why the expression cannot be scheduled, or undefined when node-cron runs it and its past slots can be enumerated. */
export function cronExpressionProblem(expression: string): string | undefined {
  const detail = cron.validateDetailed(expression);
  if (!detail.valid) {
    const reasons = detail.errors.map((e) => `${e.field}${e.value !== undefined ? ` "${e.value}"` : ''}: ${e.message}`).join('; ');
    return `invalid cron expression${reasons ? ` (${reasons})` : ''}`;
  }
  try {
    enumerator(expression, { currentDate: new Date(), tz: 'UTC' }).prev();
    return undefined;
  } catch (error) {
    return `cron expression not supported for missed-run detection: ${(error as Error).message}`;
  }
}

export interface OccurrenceQuery {
  cron: string;
  timezone: string;
  /** Exclusive lower bound (epoch ms). */
  after: number;
  /** Inclusive upper bound (epoch ms). */
  until: number;
  /** node-cron's matcher for this expression and zone (`ScheduledTask.match`). */
  matches: (date: Date) => boolean;
  /** Most slots returned: the newest ones. */
  limit: number;
}

/** The newest `limit` slots in (after, until], oldest first; `more` when older ones were left out (or not looked at). */
export function occurrencesBetween(query: OccurrenceQuery): { slots: number[]; more: boolean } {
  if (query.until <= query.after) return { slots: [], more: false };
  const iterator = enumerator(query.cron, { currentDate: new Date(query.until + 1), startDate: new Date(query.after), tz: query.timezone });
  const newestFirst: number[] = [];
  for (let candidates = 0; ; candidates++) {
    if (candidates >= MAX_CANDIDATES) return { slots: newestFirst.reverse(), more: true };
    let slot: Date;
    try {
      slot = iterator.prev().toDate();
    } catch {
      break; // before startDate: the range is exhausted
    }
    if (slot.getTime() <= query.after) break;
    if (!query.matches(slot)) continue;
    // Going backwards, the second of a DST-repeated wall time comes first: keep the earlier one only.
    const previous = newestFirst.at(-1);
    if (previous !== undefined && sameWallTime(previous, slot.getTime(), query.timezone)) newestFirst.pop();
    if (newestFirst.length >= query.limit) return { slots: newestFirst.reverse(), more: true };
    newestFirst.push(slot.getTime());
  }
  return { slots: newestFirst.reverse(), more: false };
}

function sameWallTime(a: number, b: number, zone: string): boolean {
  return Math.abs(a - b) <= 3 * 3_600_000 && localIsoTime(a, zone).slice(0, 19) === localIsoTime(b, zone).slice(0, 19);
}
