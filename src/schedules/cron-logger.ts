import type cron from 'node-cron';
import type { Logger } from '../ports/logger';

type CronLogger = NonNullable<NonNullable<Parameters<typeof cron.createTask>[2]>['logger']>;

/**
 * node-cron's logger shape onto the Logger port, so its own warnings (overlap, late tick) reach
 * the bridge's log instead of the console. node-cron may hand an Error as the message; it must
 * never throw here (node-cron calls it from its timer callbacks).
 */
export function cronLogger(log: Logger): CronLogger {
  const split = (message: string | Error, error?: Error): [string, { error?: Error }] =>
    typeof message === 'string' ? [message, error ? { error } : {}] : ['scheduled task failed', { error: message }];
  return {
    info: (message) => log.info(message),
    warn: (message) => log.warn(message),
    error: (message, error) => log.error(...split(message, error)),
    debug: (message, error) => log.debug(...split(message, error)),
  };
}
