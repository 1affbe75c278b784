export { WebhookRouter, type RoutedTarget, type RouteMiss, type RoutingResult } from './webhook-router';
export { RouteMatcher, type RouteMatch } from './route-matcher';
export { compileTarget, targetKey, triggerToken, type RenderedTarget, type SourceRevisionType, type TriggerTarget } from './route-target';
export { compileTemplate, eventTemplateValues, TemplateSyntaxError, type CompiledTemplate, type TemplateValues } from './template';
export { webhookRoutesSchema, webhookRouteSchema, type WebhookRouteConfig, type RouteMatchConfig, type JenkinsTargetConfig, type PipelineTargetConfig } from './route-config';
export { checkWebhookRouting } from './validate-webhook-config';
