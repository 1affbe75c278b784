import express, { Router, type Request, type Response } from 'express';
import { parseJsonBody, rejectUnreadableBody } from '../json-body';
import type { Logger } from '../../ports/logger';
import type { BuildNoticeSink } from '../../core/jobs/build-notice';
import { checkJenkinsCredential, parseJenkinsNotification } from '../../webhooks/jenkins';

export interface JenkinsNotificationDeps {
  /** `webhooks.jenkins.token`; absent → the endpoint answers 404 (closed, not open to anyone). */
  token: string | undefined;
  /** `webhooks.maxBodyBytes`; a larger body → 413. */
  maxBodyBytes: number;
  /** Where accepted notices go; absent → accepted and logged only. */
  sink: BuildNoticeSink | undefined;
  logger: Logger;
}

/**
 * POST /webhooks/jenkins: the Jenkins Notification plugin's build phases (QUEUED, STARTED,
 * COMPLETED, FINALIZED), so the bridge looks at a build the moment it completes instead of at the
 * next status poll. Polling stays the fallback: a lost or forged notice only changes *when* the
 * bridge looks, never what it reports (it re-reads the build over the REST API).
 *
 * Order of checks: closed (404) → credential (401, before the body is read, so an unauthenticated
 * sender cannot make us buffer anything) → size (413) → JSON (400) → shape (202 ignored) → 202
 * accepted. The plugin ignores the status code (it only follows a 307), so the answers are for
 * humans, curl steps and the logs.
 */
export function jenkinsNotificationRoutes(deps: JenkinsNotificationDeps): Router {
  const router = Router();
  // Any content type: the plugin sends `application/json;charset=UTF-8`, hand-written curl steps
  // often forget the header. Read raw so the 413/400 answers are ours, not express' HTML defaults.
  const readBody = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  const log = deps.logger.child({ webhook: 'jenkins' });

  router.post('/webhooks/jenkins', (req, res) => {
    const token = deps.token;
    if (token === undefined) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    const credential = checkJenkinsCredential(token, { queryToken: req.query['token'], authorization: req.get('authorization') });
    if (credential !== 'ok') {
      log.warn('jenkins notification rejected', { reason: `${credential} credential`, remote: req.ip });
      res.setHeader('WWW-Authenticate', 'Basic realm="pipeline-bridge", charset="UTF-8"');
      res.status(401).json({ error: credential === 'missing' ? 'missing credential: ?token= or HTTP Basic password' : 'wrong credential' });
      return;
    }
    readBody(req, res, (error?: unknown) => {
      if (error) {
        rejectUnreadableBody(error, req, res, log, 'jenkins notification', deps.maxBodyBytes);
        return;
      }
      handleBody(req, res, log, deps.sink);
    });
  });
  return router;
}

function handleBody(req: Request, res: Response, log: Logger, sink: BuildNoticeSink | undefined): void {
  const read = parseJsonBody(req, res, log, 'jenkins notification');
  if (!read) return;
  const body = read.body;
  const parsed = parseJenkinsNotification(body);
  if (parsed.kind === 'ignored') {
    log.debug('jenkins notification ignored', { reason: parsed.reason, remote: req.ip });
    res.status(202).json({ status: 'ignored', reason: parsed.reason });
    return;
  }
  const { notice } = parsed;
  // Never the parameters themselves: input artifact URLs in them carry download tokens.
  const meta = {
    project: notice.project,
    buildNumber: notice.buildNumber,
    queueId: notice.queueId,
    phase: notice.phase,
    result: parsed.status,
    jobId: notice.parameters?.['CODEPIPELINE_JOB_ID'],
  };
  log.debug('jenkins notification accepted', meta);
  res.status(202).json({ status: 'accepted' });
  if (!sink) return;
  try {
    sink.notice(notice);
  } catch (error) {
    // Already answered: a failing consumer must not turn a delivered notice into a 500 (polling covers it).
    log.warn('jenkins notification: build notice sink failed', { ...meta, error });
  }
}
