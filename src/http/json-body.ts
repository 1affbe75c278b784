import type { Request, Response } from 'express';
import type { Logger } from '../ports/logger';

/**
 * Shared by the JSON push endpoints (Jenkins notifications, EventBridge events), which read the raw
 * body themselves (express.raw with a limit) so that 413 and 400 are their own answers.
 * `what` names the endpoint in log lines ("jenkins notification", "codepipeline event").
 */
export function rejectUnreadableBody(error: unknown, req: Request, res: Response, log: Logger, what: string, maxBodyBytes: number): void {
  const e = error as { status?: unknown; message?: unknown };
  const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 400;
  const message = status === 413 ? `body larger than ${maxBodyBytes} bytes` : String(e.message ?? 'unreadable body');
  log.warn(`${what} rejected`, { reason: message, status, remote: req.ip });
  if (res.headersSent) return;
  // The rest of an over-long body is not read: close the connection rather than drain it.
  if (status === 413) res.setHeader('Connection', 'close');
  res.status(status).json({ error: message });
}

/** The raw body parsed as JSON (a leading BOM dropped); on malformed JSON answers 400 and returns undefined. */
export function parseJsonBody(req: Request, res: Response, log: Logger, what: string): { body: unknown } | undefined {
  const raw: unknown = req.body;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8').replace(/^\uFEFF/, '') : '';
  try {
    return { body: JSON.parse(text) as unknown };
  } catch (error) {
    log.warn(`${what} rejected`, { reason: 'malformed JSON', detail: (error as Error).message, remote: req.ip });
    res.status(400).json({ error: `malformed JSON: ${(error as Error).message}` });
    return undefined;
  }
}
