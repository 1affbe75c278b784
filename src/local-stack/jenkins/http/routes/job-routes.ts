import type { ServerResponse } from 'node:http';
import { folderJson, jobJson } from '../../json/render-job';
import { SimFolder, SimJob, type SimItem } from '../../model/sim-job';
import { escapeHtml, sendHtml, sendNotFound, sendRedirect } from '../replies';
import type { SimRequest } from '../sim-request';
import { sendApiJson, type SimState } from '../sim-state';
import { handleBuildRoutes } from './build-routes';
import { handleBuild, handleBuildWithParameters } from './trigger-routes';

const PERMALINKS = new Set([
  'lastBuild',
  'lastCompletedBuild',
  'lastSuccessfulBuild',
  'lastStableBuild',
  'lastUnstableBuild',
  'lastFailedBuild',
  'lastUnsuccessfulBuild',
  'firstBuild',
]);

/** Walks `job/<a>/job/<b>/…` from the root; returns the item and the remaining segments. */
function resolve(root: SimFolder, segments: string[]): { item: SimItem; rest: string[] } | undefined {
  let item: SimItem = root;
  let i = 0;
  while (segments[i] === 'job' && i + 1 < segments.length && item instanceof SimFolder) {
    const child: SimItem | undefined = item.children.get(segments[i + 1]!);
    if (!child) return undefined;
    item = child;
    i += 2;
  }
  return item === root ? undefined : { item, rest: segments.slice(i) };
}

/** `/job/...`. Returns false when the path does not start with `job`. */
export async function handleJobRoutes(req: SimRequest, res: ServerResponse, state: SimState): Promise<boolean> {
  if (req.segments[0] !== 'job') return false;
  const found = resolve(state.root, req.segments);
  if (!found) {
    sendNotFound(res);
    return true;
  }
  const { item, rest } = found;
  const opts = (expand: boolean) => ({ rootUrl: state.rootUrl, expand, queue: state.queue });
  if (rest.length === 0) {
    if (!req.trailingSlash) sendRedirect(res, 302, `${req.origin}${req.rawPath}/`);
    else sendHtml(res, 200, item.fullName, `<h1>${escapeHtml(item.fullName)}</h1>`);
    return true;
  }
  if (rest.length === 2 && rest[0] === 'api' && rest[1] === 'json') {
    if (item instanceof SimJob) sendApiJson(req, res, (expand) => jobJson(item, state.queue, opts(expand)));
    else sendApiJson(req, res, (expand) => folderJson(item, opts(expand)));
    return true;
  }
  if (!(item instanceof SimJob)) {
    sendNotFound(res);
    return true;
  }
  const [first, ...after] = rest as [string, ...string[]];
  if (rest.length === 1 && first === 'build') await handleBuild(req, res, state, item);
  else if (rest.length === 1 && first === 'buildWithParameters') await handleBuildWithParameters(req, res, state, item);
  else if (/^\d+$/.test(first) || PERMALINKS.has(first)) {
    const run = /^\d+$/.test(first) ? item.build(Number(first)) : item.permalink(first);
    if (!run) sendNotFound(res);
    else await handleBuildRoutes(req, res, state, run, after);
  } else sendNotFound(res);
  return true;
}
