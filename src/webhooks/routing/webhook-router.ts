import type { WebhookEvent } from '../webhook-event';
import type { WebhookRouteConfig } from './route-config';
import { RouteMatcher } from './route-matcher';
import { compileTarget, targetKey, type TargetRenderer, type TriggerTarget } from './route-target';

/** One thing to start for a delivery, however many (route, event) pairs led to it. */
export interface RoutedTarget {
  /** Identity of the rendered target (see targetKey); unique within one RoutingResult. */
  readonly key: string;
  readonly target: TriggerTarget;
  /** Names of the routes that produced it, in config order. */
  readonly routes: readonly string[];
  /** Indexes into the events passed to `route`. */
  readonly eventIndexes: readonly number[];
  /** To record on the delivery: e.g. "paths not checked: the payload lists no changed files". */
  readonly notes: readonly string[];
}

export interface RouteMiss {
  readonly route: string;
  readonly eventIndex: number;
  readonly reason: string;
}

export interface RoutingResult {
  /** Distinct targets, in the order first matched (config order of routes, then event order). */
  readonly targets: readonly RoutedTarget[];
  /** Why each route did not match each event: the record of a delivery that triggered nothing. */
  readonly misses: readonly RouteMiss[];
}

interface CompiledRoute {
  name: string;
  matcher: RouteMatcher;
  render: TargetRenderer;
}

/**
 * Routes events to targets. Compiled once from validated config (`webhooks.routes`); pure and
 * synchronous, so the endpoint can route before answering or in its background step alike.
 */
export class WebhookRouter {
  private readonly routes: readonly CompiledRoute[];

  constructor(routes: readonly WebhookRouteConfig[]) {
    this.routes = routes.map((route) => ({ name: route.name, matcher: new RouteMatcher(route.match), render: compileTarget(route) }));
  }

  get routeNames(): readonly string[] {
    return this.routes.map((r) => r.name);
  }

  /**
   * Every matching route's target for every event; identical rendered targets (same job or
   * pipeline, same values) are merged so each is triggered once per delivery.
   */
  route(events: readonly WebhookEvent[]): RoutingResult {
    const byKey = new Map<string, { key: string; target: TriggerTarget; routes: string[]; eventIndexes: number[]; notes: string[] }>();
    const misses: RouteMiss[] = [];
    for (const route of this.routes) {
      events.forEach((event, eventIndex) => {
        const match = route.matcher.test(event);
        if (!match.matched) {
          misses.push({ route: route.name, eventIndex, reason: match.reason });
          return;
        }
        const rendered = route.render(event);
        const key = targetKey(rendered.target);
        let entry = byKey.get(key);
        if (!entry) {
          entry = { key, target: rendered.target, routes: [], eventIndexes: [], notes: [] };
          byKey.set(key, entry);
        }
        if (!entry.routes.includes(route.name)) entry.routes.push(route.name);
        if (!entry.eventIndexes.includes(eventIndex)) entry.eventIndexes.push(eventIndex);
        for (const note of [...match.notes, ...rendered.notes]) if (!entry.notes.includes(note)) entry.notes.push(note);
      });
    }
    return { targets: [...byKey.values()], misses };
  }
}
