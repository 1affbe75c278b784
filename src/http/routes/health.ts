import { Router } from 'express';
import type { Readiness } from '../readiness';

/** Liveness answers while the process serves HTTP; readiness only once CodePipeline and Jenkins answered. */
export function healthRoutes(readiness: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const report = readiness.report();
    res.status(report.ready ? 200 : 503).json(report);
  });
  return router;
}
