/** Inbound EventBridge events (CodePipeline action state changes → an immediate PollForJobs). */
export { ACTION_STATE_CHANGE, CODEPIPELINE_SOURCE, parseEventBridgeEvent, type ActionExecutionEvent, type ParsedEvent } from './codepipeline-action-event';
export { classifyActionEvent, type EventDecision, type OwnActionType } from './classify-action-event';
export { checkEventCredential, type CredentialCheck } from './event-credential';
