export { createWebhookDelivery, type WebhookDeliveryConfig, type WebhookDeliveryDeps } from './create-webhook-delivery';
export { WebhookIntake, safeReason, type IntakeAnswer, type WebhookIntakeOptions } from './webhook-intake';
export { TriggerDispatcher, type TriggerDispatcherOptions } from './trigger-dispatcher';
export { triggerTarget, describeTarget, type TriggerPorts } from './trigger-target';
export { RateLimiter, type RateDecision } from './rate-limiter';
export { deliveryView } from './delivery-view';
