import type { Logger } from '../ports/logger';

/** A logger that drops everything (library defaults, local-stack servers run quietly). */
export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};
