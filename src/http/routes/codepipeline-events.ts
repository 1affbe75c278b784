import express, { Router, type Request, type Response } from 'express';
import { parseJsonBody, rejectUnreadableBody } from '../json-body';
import type { Logger } from '../../ports/logger';
import { checkEventCredential, classifyActionEvent, parseEventBridgeEvent, type OwnActionType } from '../../events';

/** An action state change is ~1–2 KB; 256 KB is EventBridge's own maximum event size. */
export const EVENTS_MAX_BODY_BYTES = 256 * 1024;

export interface CodePipelineEventDeps {
  /** `events.codepipelineToken`; absent → the endpoint answers 404 (closed, not open to anyone). */
  token: string | undefined;
  /** The bridge's action type (`actionType` in the config). */
  actionType: OwnActionType;
  /** Asks the job worker to poll now; absent (worker not running) → accepted, nothing to wake. */
  wake: ((reason: string) => void) | undefined;
  logger: Logger;
  maxBodyBytes?: number;
}

/**
 * POST /events/codepipeline: target of an EventBridge rule (API destination) for
 * "CodePipeline Action Execution State Change". STARTED for our action type means a job was just
 * queued: poll now instead of at the next idle tick. The idle poll stays the fallback, so a lost,
 * late or forged event only changes *when* the bridge polls, never what it does.
 *
 * Order of checks: closed (404) → credential (401, before the body is read) → size (413) → JSON
 * (400) → shape (400) → other events, states or action types (202 ignored) → 202 polling.
 * Answers are immediate (EventBridge gives an API destination 5 s). EventBridge does not retry
 * 400/404/413, so a misconfigured rule shows up in its failed-invocation metrics, not as a storm.
 */
export function codepipelineEventRoutes(deps: CodePipelineEventDeps): Router {
  const router = Router();
  const maxBodyBytes = deps.maxBodyBytes ?? EVENTS_MAX_BODY_BYTES;
  // API destinations send `application/json; charset=utf-8`; accept any type and parse ourselves
  // so 413/400 answers are JSON, not express' HTML defaults.
  const readBody = express.raw({ type: () => true, limit: maxBodyBytes });
  const log = deps.logger.child({ events: 'codepipeline' });

  router.post('/events/codepipeline', (req, res) => {
    const token = deps.token;
    if (token === undefined) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    const credential = checkEventCredential(token, req.get('authorization'));
    if (credential !== 'ok') {
      log.warn('codepipeline event rejected', { reason: `${credential} credential`, remote: req.ip });
      res.setHeader('WWW-Authenticate', 'Bearer realm="pipeline-bridge", Basic realm="pipeline-bridge", charset="UTF-8"');
      res.status(401).json({ error: credential === 'missing' ? 'missing credential: Authorization: Bearer <token> or HTTP Basic password' : 'wrong credential' });
      return;
    }
    readBody(req, res, (error?: unknown) => {
      if (error) {
        rejectUnreadableBody(error, req, res, log, 'codepipeline event', maxBodyBytes);
        return;
      }
      handleEvent(req, res, log, deps);
    });
  });
  return router;
}

function handleEvent(req: Request, res: Response, log: Logger, deps: CodePipelineEventDeps): void {
  const read = parseJsonBody(req, res, log, 'codepipeline event');
  if (!read) return;
  const body = read.body;
  const parsed = parseEventBridgeEvent(body);
  if (parsed.kind === 'malformed') {
    log.warn('codepipeline event rejected', { reason: parsed.error, remote: req.ip });
    res.status(400).json({ error: parsed.error });
    return;
  }
  if (parsed.kind === 'other') {
    const reason = `not a CodePipeline action state change (source ${parsed.source}, detail-type ${parsed.detailType})`;
    log.debug('codepipeline event ignored', { eventId: parsed.id, reason });
    res.status(202).json({ status: 'ignored', reason });
    return;
  }
  const { event } = parsed;
  const meta = { eventId: event.id, pipeline: event.pipeline, executionId: event.executionId, stage: event.stage, action: event.action, state: event.state };
  const decision = classifyActionEvent(event, deps.actionType);
  if (!decision.poll) {
    log.debug('codepipeline event ignored', { ...meta, reason: decision.reason });
    res.status(202).json({ status: 'ignored', reason: decision.reason });
    return;
  }
  log.debug('codepipeline event: polling now', meta);
  res.status(202).json({ status: 'polling' });
  try {
    deps.wake?.(decision.reason);
  } catch (error) {
    // Already answered: the idle poll still finds the job.
    log.warn('codepipeline event: waking the worker failed', { ...meta, error });
  }
}
