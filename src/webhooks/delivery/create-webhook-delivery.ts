import type { BridgeConfig } from '../../config/schema';
import type { Clock } from '../../ports/clock';
import type { DeliveryStore } from '../../ports/delivery-store';
import type { Logger } from '../../ports/logger';
import { WebhookRouter } from '../routing/webhook-router';
import { createWebhookSenders } from '../sources/create-webhook-senders';
import { TriggerDispatcher } from './trigger-dispatcher';
import type { TriggerPorts } from './trigger-target';
import { WebhookIntake } from './webhook-intake';

export type WebhookDeliveryConfig = Pick<BridgeConfig['webhooks'], 'maxBodyBytes' | 'github' | 'gitlab' | 'bitbucket' | 'generic' | 'routes' | 'rateLimit' | 'trigger'>;

export interface WebhookDeliveryDeps extends TriggerPorts {
  store: DeliveryStore;
  clock: Clock;
  logger: Logger;
  /** The bridge's redactor, applied to error text before it is stored. */
  redact?: (text: string) => string;
}

/**
 * The inbound webhook pipeline from validated config: senders (one per configured secret),
 * router, the intake the HTTP routes call, and the dispatcher that triggers after the answer.
 * The caller owns the lifecycle: `dispatcher.resume()` once running, `dispatcher.close()` on stop.
 */
export function createWebhookDelivery(config: WebhookDeliveryConfig, deps: WebhookDeliveryDeps): { intake: WebhookIntake; dispatcher: TriggerDispatcher } {
  const logger = deps.logger.child({ component: 'webhooks' });
  const dispatcher = new TriggerDispatcher({
    store: deps.store,
    ports: { runner: deps.runner, starter: deps.starter },
    clock: deps.clock,
    logger,
    retry: config.trigger.retry,
    concurrency: config.trigger.concurrency,
    ...(deps.redact ? { redact: deps.redact } : {}),
  });
  const intake = new WebhookIntake({
    senders: createWebhookSenders(config),
    router: new WebhookRouter(config.routes),
    store: deps.store,
    dispatcher,
    maxBodyBytes: config.maxBodyBytes,
    rateLimitPerMinute: config.rateLimit.perMinute,
    clock: deps.clock,
    logger: deps.logger,
  });
  return { intake, dispatcher };
}
