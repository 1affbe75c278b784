import { parametersActionJson, paramsString } from '../model/parameters';
import type { QueueItem } from '../model/sim-queue';
import { causeActionJson, runJson, runRef } from './render-run';
import { timeSpanString } from './time-span';

const CLASS_BY_STATE = {
  waiting: 'hudson.model.Queue$WaitingItem',
  blocked: 'hudson.model.Queue$BlockedItem',
  buildable: 'hudson.model.Queue$BuildableItem',
  left: 'hudson.model.Queue$LeftItem',
} as const;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** BlockedBecauseOfBuildInProgress#getShortDescription. */
function blockedWhy(item: QueueItem, now: number): string {
  const last = item.job.lastBuild;
  if (!last) return 'A build is already in progress';
  const estimate = item.job.estimatedDuration;
  const eta = estimate < 0 ? 'N/A' : timeSpanString(Math.max(0, last.timestamp + estimate - now));
  return `Build #${last.number} is already in progress (ETA: ${eta})`;
}

function why(item: QueueItem, now: number): string | null {
  switch (item.state) {
    case 'waiting':
      return `In the quiet period. Expires in ${timeSpanString(item.dueAt - now)}`;
    case 'blocked':
      return blockedWhy(item, now);
    case 'buildable':
      return 'Waiting for next available executor';
    case 'left':
      return null;
  }
}

/** Queue.BuildableItem#isStuck: waited > 10 × max(estimate, 1 min), or > 1 day without an estimate. */
function stuck(item: QueueItem, now: number): boolean {
  if (item.state !== 'buildable') return false;
  const estimate = item.job.estimatedDuration;
  const elapsed = now - item.buildableStartMilliseconds;
  return estimate >= 0 ? elapsed > Math.max(estimate, MINUTE) * 10 : elapsed > DAY;
}

export interface QueueItemRenderOptions {
  /** Show a started item as the transient `executable:null` LeftItem. */
  hideExecutable?: boolean;
  /** Render `executable` as the full Run (for `tree=` filters). */
  expand?: boolean;
}

/** `GET /queue/item/<id>/api/json`: Queue.Item fields, then the subclass's (superclass first). */
export function queueItemJson(item: QueueItem, rootUrl: string, opts: QueueItemRenderOptions = {}): Record<string, unknown> {
  const now = Date.now();
  const actions: unknown[] = [];
  if (item.params) actions.push(parametersActionJson(item.params));
  actions.push(causeActionJson(item.user));
  const json: Record<string, unknown> = {
    _class: CLASS_BY_STATE[item.state],
    actions,
    blocked: item.state === 'blocked',
    buildable: item.state === 'buildable',
    id: item.id,
    inQueueSince: item.inQueueSince,
    params: paramsString(item.params ?? []),
    stuck: stuck(item, now),
    task: { _class: item.job.jobClass, name: item.job.name, url: `${rootUrl}${item.job.urlPath}`, color: item.job.color },
    url: `queue/item/${item.id}/`,
    why: why(item, now),
  };
  switch (item.state) {
    case 'waiting':
      json['timestamp'] = item.dueAt;
      break;
    case 'blocked':
      json['buildableStartMilliseconds'] = item.buildableStartMilliseconds;
      break;
    case 'buildable':
      json['buildableStartMilliseconds'] = item.buildableStartMilliseconds;
      json['pending'] = false;
      break;
    case 'left': {
      json['cancelled'] = item.cancelled;
      const run = opts.hideExecutable ? undefined : item.run;
      json['executable'] = run ? (opts.expand ? runJson(run, rootUrl) : runRef(run, rootUrl)) : null;
      break;
    }
  }
  return json;
}

/**
 * Queue#getItems order: the waiting list (by end of quiet period, then id), blocked items, then
 * buildable items newest first (`reverse(buildables)`); items most likely to start soon come last.
 */
function queueOrder(items: QueueItem[]): QueueItem[] {
  const waiting = items.filter((i) => i.state === 'waiting').sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
  const blocked = items.filter((i) => i.state === 'blocked');
  const buildable = items.filter((i) => i.state === 'buildable').reverse();
  return [...waiting, ...blocked, ...buildable];
}

/** `GET /queue/api/json`: items inline (`@Exported(inline=true)`), each as its own api/json shows it. */
export function queueJson(items: QueueItem[], rootUrl: string): Record<string, unknown> {
  return { _class: 'hudson.model.Queue', discoverableItems: [], items: queueOrder(items).map((i) => queueItemJson(i, rootUrl)) };
}
