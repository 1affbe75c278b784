import type { ServerResponse } from 'node:http';
import { queueItemJson, queueJson } from '../../json/render-queue';
import { HttpError } from '../../model/parameters';
import type { QueueItem } from '../../model/sim-queue';
import { sendEmpty, sendError, sendNotFound, sendPostRequired, sendRedirect, sendText } from '../replies';
import type { SimRequest } from '../sim-request';
import { sendApiJson, type SimState } from '../sim-state';

const isId = (s: string | undefined): s is string => s !== undefined && /^\d+$/.test(s);

/** `/queue/...`. Returns false when the path is not under /queue. */
export async function handleQueueRoutes(req: SimRequest, res: ServerResponse, state: SimState): Promise<boolean> {
  const s = req.segments;
  if (s[0] !== 'queue') return false;
  const rest = s.slice(1);
  if (rest.length === 2 && rest[0] === 'api' && rest[1] === 'json') {
    sendApiJson(req, res, () => queueJson(state.queue.pendingItems(), state.rootUrl));
    return true;
  }
  if (rest.length === 1 && rest[0] === 'cancelItem') {
    await cancelItem(req, res, state);
    return true;
  }
  if (rest[0] === 'item' && isId(rest[1])) {
    const item = state.queue.get(Number(rest[1]));
    if (!item) {
      sendNotFound(res);
      return true;
    }
    itemRoutes(req, res, state, item, rest.slice(2));
    return true;
  }
  sendNotFound(res);
  return true;
}

/** Queue#doCancelItem (≥ 2.211): 204 cancelled · 404 unknown/expired · 500 already left. */
async function cancelItem(req: SimRequest, res: ServerResponse, state: SimState): Promise<void> {
  if (req.isRead) return sendPostRequired(res);
  const raw = await req.param('id');
  if (!isId(raw)) throw new HttpError(400, 'Required parameter id is missing or not a number');
  switch (state.queue.cancel(Number(raw))) {
    case 'cancelled':
      return sendEmpty(res, 204);
    case 'not-found':
      return sendError(res, 404, `Provided id (${raw}) not found`);
    case 'already-left':
      return sendError(res, 500, `java.io.IOException: Could not cancel run for id ${raw}`);
  }
}

function itemRoutes(req: SimRequest, res: ServerResponse, state: SimState, item: QueueItem, rest: string[]): void {
  if (rest.length === 0) {
    // Stapler adds the trailing slash to an index URL; since 2.469 the index is this text, not JSON.
    if (!req.trailingSlash) return sendRedirect(res, 302, `${req.origin}${req.rawPath}/`);
    return sendText(res, 200, `Queue item exists. For details check, for example, ${state.rootUrl}queue/item/${item.id}/api/json?tree=cancelled,executable[url]`);
  }
  if (rest.length === 2 && rest[0] === 'api' && rest[1] === 'json') {
    // Real Jenkins briefly shows a started item as LeftItem without executable (Queue.onStartExecuting
    // runs before the Run exists); the simulator shows that state on the first read.
    const hideExecutable = state.transientLeftItem && item.state === 'left' && !item.cancelled && !item.transientShown;
    if (item.state === 'left' && !item.cancelled) item.transientShown = true;
    return sendApiJson(req, res, (expand) => queueItemJson(item, state.rootUrl, { hideExecutable, expand }));
  }
  if (rest.length === 1 && rest[0] === 'cancelQueue') {
    // Deprecated Queue.Item#doCancelQueue: always 204, whether or not anything was cancelled.
    if (req.isRead) return sendPostRequired(res);
    if (item.pending) state.queue.cancel(item.id);
    return sendEmpty(res, 204);
  }
  sendNotFound(res);
}
