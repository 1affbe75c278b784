import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../../ports/logger';
import { deliveryView, type IntakeAnswer, type WebhookIntake } from '../../webhooks/delivery';
import type { WebhookSender } from '../../webhooks/sources/webhook-sender';

const listingQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    source: z
      .string()
      .regex(/^(github|gitlab|bitbucket|generic:[a-z0-9][a-z0-9_-]{0,62})$/, 'github, gitlab, bitbucket or generic:<name>')
      .optional(),
  });

/**
 * Inbound source-control webhooks:
 *
 *   POST /webhooks/github | /webhooks/gitlab | /webhooks/bitbucket | /webhooks/generic/:name
 *   GET  /webhooks/deliveries?limit=&source=
 *
 * Order of checks: configured source (404) → rate limit (429, before the body is read) → body
 * within `webhooks.maxBodyBytes` (413) → signature over the raw bytes (401) → parse (400, 200
 * ping, 202 ignored) → record → 202; the triggering starts once the answer is out. Any content
 * type is read raw: GitHub's form-encoded variant is signed over its form bytes.
 */
export function webhookRoutes(intake: WebhookIntake, logger: Logger): Router {
  const router = Router();
  const readBody = express.raw({ type: () => true, limit: intake.maxBodyBytes });
  const log = logger.child({ component: 'webhooks' });

  const handle = (source: string) => (req: Request, res: Response) => {
    const sender = intake.sender(source);
    if (!sender) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    const admitted = intake.admit(sender);
    if (!admitted.ok) {
      // Not recorded: a flood must not fill the ledger. Logged at debug: a flood must not fill the log either.
      const identity = sender.identify({ rawBody: Buffer.alloc(0), headers: req.headers });
      const deliveryId = identity.deliveryIdFrom === 'body-sha256' ? undefined : identity.deliveryId;
      log.debug('webhook request rate limited', { source: sender.source, deliveryId, retryAfterSeconds: admitted.retryAfterSeconds, remote: req.ip });
      // The rest of the body is not read: close rather than drain it.
      res.setHeader('Connection', 'close');
      res.setHeader('Retry-After', String(admitted.retryAfterSeconds));
      res.status(429).json({ error: 'rate limited', retryAfterSeconds: admitted.retryAfterSeconds });
      return;
    }
    readBody(req, res, (error?: unknown) => {
      if (error) {
        rejectBody(error, sender, req, res, intake);
        return;
      }
      answer(res, sender, log, () =>
        intake.receive(sender, { rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), headers: req.headers, query: req.query }, req.ip),
      );
    });
  };

  router.post('/webhooks/github', handle('github'));
  router.post('/webhooks/gitlab', handle('gitlab'));
  router.post('/webhooks/bitbucket', handle('bitbucket'));
  router.post('/webhooks/generic/:name', (req, res) => handle(`generic:${String(req.params['name'])}`)(req, res));

  router.get('/webhooks/deliveries', (req, res) => {
    const query = listingQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json({ error: 'bad query', issues: query.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`) });
      return;
    }
    const records = intake.deliveries({ limit: query.data.limit, source: query.data.source });
    res.json({ deliveries: records.map(deliveryView) });
  });
  return router;
}

/** Sends the intake's answer, then runs its follow-up; an unexpected error is a 500, never a crash. */
function answer(res: Response, sender: WebhookSender, log: Logger, receive: () => IntakeAnswer): void {
  let result: IntakeAnswer;
  try {
    result = receive();
  } catch (error) {
    log.error('webhook delivery failed unexpectedly; nothing triggered', { source: sender.source, error });
    res.status(500).json({ error: 'internal error' });
    return;
  }
  res.status(result.status).json(result.body);
  if (!result.after) return;
  try {
    result.after();
  } catch (error) {
    log.error('webhook delivery: triggering could not start; targets stay pending for the next start', { source: sender.source, deliveryId: result.body['deliveryId'], error });
  }
}

function rejectBody(error: unknown, sender: WebhookSender, req: Request, res: Response, intake: WebhookIntake): void {
  const e = error as { status?: unknown; message?: unknown; type?: unknown };
  const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 400;
  const reason = status === 413 ? `body larger than ${intake.maxBodyBytes} bytes (webhooks.maxBodyBytes)` : `unreadable body: ${String(e.message ?? e.type ?? 'error')}`;
  // A client that went away gets no answer, and leaves nothing worth recording.
  if (e.type !== 'request.aborted') intake.rejectUnread(sender, req.headers, status, reason, req.ip);
  if (res.headersSent || e.type === 'request.aborted') return;
  if (status === 413) res.setHeader('Connection', 'close');
  res.status(status).json({ error: reason });
}
