export { SimNotifier, type SimRunPhase } from './sim-notifier';
export { gsonJson } from './gson-json';
export type { SimNotificationEndpoint, SimNotificationEvent, SimNotificationPhase, SimNotificationRecord } from './types';
