import type { ServerResponse } from 'node:http';
import { handleJobRoutes } from './routes/job-routes';
import { handleQueueRoutes } from './routes/queue-routes';
import { handleRootRoutes } from './routes/root-routes';
import { sendNotFound } from './replies';
import type { SimRequest } from './sim-request';
import type { SimState } from './sim-state';

/** Dispatches an authenticated request; anything unknown is Stapler's 404 page. */
export async function route(req: SimRequest, res: ServerResponse, state: SimState): Promise<void> {
  if (handleRootRoutes(req, res, state)) return;
  if (await handleQueueRoutes(req, res, state)) return;
  if (await handleJobRoutes(req, res, state)) return;
  sendNotFound(res);
}
