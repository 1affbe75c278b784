import express, { type ErrorRequestHandler } from 'express';
import type { ArtifactStore } from '../ports/artifact-store';
import type { Logger } from '../ports/logger';
import type { ActiveJobs } from '../core/jobs/active-jobs';
import type { ArtifactTokens } from '../core/jobs/artifact-tokens';
import type { Readiness } from './readiness';
import { healthRoutes } from './routes/health';
import { inputArtifactRoutes } from './routes/input-artifacts';
import { jobRoutes } from './routes/jobs';

export interface AppDeps {
  readiness: Readiness;
  active: ActiveJobs;
  tokens: ArtifactTokens;
  store: ArtifactStore;
  logger: Logger;
}

/** The bridge's HTTP surface as an express app (supertest drives it without a port). */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(healthRoutes(deps.readiness));
  app.use(inputArtifactRoutes(deps));
  app.use(jobRoutes(deps.active, () => Date.now()));
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
