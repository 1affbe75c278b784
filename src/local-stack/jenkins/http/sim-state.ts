import type { ServerResponse } from 'node:http';
import { applyTree, parseTree, TreeSyntaxError } from '../json/tree-filter';
import { HttpError } from '../model/parameters';
import type { SimFolder } from '../model/sim-job';
import type { SimQueue } from '../model/sim-queue';
import type { Authenticator } from './auth';
import { sendJson } from './replies';
import type { SimRequest } from './sim-request';

/** What the HTTP routes read and drive. */
export interface SimState {
  /** Configured root URL (JSON `url` fields); Location headers use the request's host instead. */
  rootUrl: string;
  root: SimFolder;
  queue: SimQueue;
  executors: number;
  defaultQuietPeriodMs: number;
  transientLeftItem: boolean;
  auth: Authenticator;
}

/** `.../api/json` with `tree=` (rendered with expanded references, then pruned) and `pretty=true`. */
export function sendApiJson(req: SimRequest, res: ServerResponse, render: (expand: boolean) => unknown): void {
  const tree = req.query.get('tree');
  const pretty = req.query.get('pretty') === 'true';
  if (tree === null) {
    sendJson(res, render(false), pretty);
    return;
  }
  try {
    sendJson(res, applyTree(render(true), parseTree(tree)), pretty);
  } catch (error) {
    if (error instanceof TreeSyntaxError) throw new HttpError(400, error.message);
    throw error;
  }
}
