import express, { type ErrorRequestHandler } from 'express';
import type { ArtifactStore } from '../ports/artifact-store';
import type { Logger } from '../ports/logger';
import type { ActiveJobs } from '../core/jobs/active-jobs';
import type { ArtifactTokens } from '../core/jobs/artifact-tokens';
import type { BuildNoticeSink } from '../core/jobs/build-notice';
import type { BridgeConfig } from '../config/schema';
import type { Readiness } from './readiness';
import { healthRoutes } from './routes/health';
import { inputArtifactRoutes } from './routes/input-artifacts';
import { jobRoutes } from './routes/jobs';
import { scheduleRoutes, type ScheduleListing } from './routes/schedules';
import { jenkinsNotificationRoutes } from './routes/jenkins-notifications';
import { codepipelineEventRoutes } from './routes/codepipeline-events';
import { webhookRoutes } from './routes/webhooks';
import type { WebhookIntake } from '../webhooks/delivery';

export interface AppDeps {
  readiness: Readiness;
  active: ActiveJobs;
  tokens: ArtifactTokens;
  store: ArtifactStore;
  logger: Logger;
  /** GET /schedules reads the scheduler; absent → no such route. */
  schedules?: ScheduleListing;
  /** Jenkins build notifications go here (POST /webhooks/jenkins). */
  notices?: BuildNoticeSink;
  /** Inbound webhook settings; absent → every webhook endpoint answers 404. */
  webhooks?: Pick<BridgeConfig['webhooks'], 'maxBodyBytes' | 'jenkins'>;
  /** EventBridge CodePipeline events (POST /events/codepipeline); absent token → 404. */
  codepipelineEvents?: { token: string | undefined; actionType: BridgeConfig['actionType'] };
  /** Asks the job worker to poll now (an event says a job was just queued). */
  wakeWorker?: (reason: string) => void;
  /** Source-control webhooks (POST /webhooks/{github,gitlab,bitbucket,generic/:name}, GET /webhooks/deliveries); absent → 404. */
  webhookIntake?: WebhookIntake;
}

/** The bridge's HTTP surface as an express app (supertest drives it without a port). */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(healthRoutes(deps.readiness));
  app.use(inputArtifactRoutes(deps));
  app.use(jobRoutes(deps.active, () => Date.now()));
  if (deps.schedules) app.use(scheduleRoutes(deps.schedules));
  app.use(
    jenkinsNotificationRoutes({
      token: deps.webhooks?.jenkins.token,
      maxBodyBytes: deps.webhooks?.maxBodyBytes ?? 10 * 1024 * 1024,
      sink: deps.notices,
      logger: deps.logger,
    }),
  );
  if (deps.webhookIntake) app.use(webhookRoutes(deps.webhookIntake, deps.logger));
  if (deps.codepipelineEvents) {
    app.use(codepipelineEventRoutes({ ...deps.codepipelineEvents, wake: deps.wakeWorker, logger: deps.logger }));
  }
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // Express' default handler renders HTML with a stack trace; answer JSON and log (redacted) instead.
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    deps.logger.error('http request failed', { method: req.method, path: req.path, error });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    res.status(status).json({ error: status >= 500 ? 'internal error' : String((error as Error).message) });
  };
  app.use(onError);
  return app;
}
