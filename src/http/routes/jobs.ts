import { Router } from 'express';
import type { ActiveJobs } from '../../core/jobs/active-jobs';

/** GET /jobs: what this bridge is running now (no secrets: ids, build, phase, progress). */
export function jobRoutes(active: ActiveJobs, now: () => number): Router {
  const router = Router();
  router.get('/jobs', (_req, res) => {
    res.json({
      jobs: active.list().map((entry) => ({
        jobId: entry.job.id,
        pipeline: entry.job.pipeline.pipelineName,
        executionId: entry.job.pipeline.pipelineExecutionId,
        stage: entry.job.pipeline.stage,
        action: entry.job.pipeline.action,
        project: entry.project,
        phase: entry.phase,
        buildNumber: entry.buildNumber,
        buildUrl: entry.buildUrl,
        percentComplete: entry.percentComplete ?? 0,
        runningForMs: now() - entry.startedAt,
      })),
    });
  });
  return router;
}
