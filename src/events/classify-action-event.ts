import type { ActionExecutionEvent } from './codepipeline-action-event';

/** The bridge's own action type (config `actionType`); the owner of a job-worker type is always Custom. */
export interface OwnActionType {
  category: string;
  provider: string;
  version: string;
}

export type EventDecision = { poll: true; reason: string } | { poll: false; reason: string };

const typeName = (t: { owner: string; category: string; provider: string; version: string }) => `${t.owner}/${t.category}/${t.provider}/${t.version}`;

/**
 * Only STARTED of our own action type means "a job was just queued for us". SUCCEEDED/FAILED
 * close an execution, and other types' jobs are for other workers; both are ignored (the rule's
 * event pattern should already filter them out, but a broad rule must not make us poll).
 * A continuation job does not start a new action execution, so it brings no STARTED event: the
 * idle poll picks it up.
 */
export function classifyActionEvent(event: ActionExecutionEvent, own: OwnActionType): EventDecision {
  const ours = { owner: 'Custom', ...own };
  const theirs = event.type;
  if (theirs.owner !== ours.owner || theirs.category !== ours.category || theirs.provider !== ours.provider || theirs.version !== ours.version) {
    return { poll: false, reason: `action type ${typeName(theirs)} is not this bridge's (${typeName(ours)})` };
  }
  if (event.state !== 'STARTED') return { poll: false, reason: `state ${event.state}: only STARTED queues a job` };
  const where = [event.pipeline, event.stage, event.action].filter(Boolean).join('/');
  return { poll: true, reason: `EventBridge ${event.id}: ${where || 'action'} STARTED` };
}
