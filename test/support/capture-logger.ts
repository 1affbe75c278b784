import type { LogMeta, Logger } from '../../src/ports/logger';
import { redactor } from '../../src/core/redact';

export interface CapturedEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta: LogMeta;
}

/**
 * A Logger that keeps every entry in memory, passed through the same redactor as the winston
 * adapter, so tests can assert on what would be written (and that no secret would be).
 */
export class CaptureLogger implements Logger {
  constructor(
    readonly entries: CapturedEntry[] = [],
    private readonly bound: LogMeta = {},
  ) {}

  private push(level: CapturedEntry['level'], message: string, meta?: LogMeta): void {
    const merged = redactor.redact({ ...this.bound, ...(meta ?? {}) }) as LogMeta; // same serializer as winston
    this.entries.push({ level, message: redactor.redactString(message), meta: merged });
  }
  debug(message: string, meta?: LogMeta): void {
    this.push('debug', message, meta);
  }
  info(message: string, meta?: LogMeta): void {
    this.push('info', message, meta);
  }
  warn(message: string, meta?: LogMeta): void {
    this.push('warn', message, meta);
  }
  error(message: string, meta?: LogMeta): void {
    this.push('error', message, meta);
  }
  child(meta: LogMeta): Logger {
    return new CaptureLogger(this.entries, { ...this.bound, ...meta });
  }
  /** Every entry as one JSON line each, as a log file would hold them. */
  text(): string {
    return this.entries.map((e) => JSON.stringify(e)).join('\n');
  }
}
