import winston from 'winston';
import type { LogMeta, Logger } from '../../ports/logger';
import { redactor as defaultRedactor, type Redactor } from '../../core/redact';

export interface WinstonLoggerOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  format: 'json' | 'pretty';
  service?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture output. */
  stream?: NodeJS.WritableStream;
  redactor?: Redactor;
}

/**
 * Every entry passes through the one redactor before any transport sees it, so a secret in a
 * message, in metadata, or inside an Error's message/stack/cause never reaches a log line.
 */
function redactFormat(redactor: Redactor) {
  return winston.format((info) => {
    const out = info as Record<string | symbol, unknown>;
    for (const key of Object.keys(out)) {
      if (key === 'level') continue;
      out[key] = key === 'message' && typeof out[key] === 'string' ? redactor.redactString(out[key] as string) : redactor.redactField(key, out[key]);
    }
    return info;
  })();
}

export function createWinstonLogger(options: WinstonLoggerOptions): Logger {
  const redactor = options.redactor ?? defaultRedactor;
  const base = winston.format.combine(winston.format.timestamp(), redactFormat(redactor));
  const format =
    options.format === 'pretty'
      ? winston.format.combine(
          base,
          winston.format.printf(({ timestamp, level, message, service: _s, ...meta }) => {
            const rest = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
            return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${rest}`;
          }),
        )
      : winston.format.combine(base, winston.format.json());
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  const logger = winston.createLogger({
    level: options.level,
    format,
    defaultMeta: { service: options.service ?? 'pipeline-bridge' },
    transports: [transport],
    exitOnError: false,
  });
  return wrap(logger);
}

function wrap(logger: winston.Logger): Logger {
  return {
    debug: (message: string, meta?: LogMeta) => void logger.debug(message, meta ?? {}),
    info: (message: string, meta?: LogMeta) => void logger.info(message, meta ?? {}),
    warn: (message: string, meta?: LogMeta) => void logger.warn(message, meta ?? {}),
    error: (message: string, meta?: LogMeta) => void logger.error(message, meta ?? {}),
    child: (meta: LogMeta) => wrap(logger.child(meta)),
  };
}
