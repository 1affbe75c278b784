import { Router } from 'express';
import type { ScheduleStatus } from '../../schedules/scheduled-job';

/** What the route reads: the Scheduler. */
export interface ScheduleListing {
  list(): ScheduleStatus[];
}

/**
 * GET /schedules: each schedule (configured triggers and housekeeping) with its next slot, its last
 * run and the slots recorded as missed. Targets show names only, never parameter or variable values.
 */
export function scheduleRoutes(schedules: ScheduleListing): Router {
  const router = Router();
  router.get('/schedules', (_req, res) => {
    res.json({ schedules: schedules.list() });
  });
  return router;
}
