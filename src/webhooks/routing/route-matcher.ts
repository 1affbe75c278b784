import { PATHS_NOT_LISTED } from '../sources/build-event';
import type { WebhookEvent } from '../webhook-event';
import { globMatcher, type GlobMatcher } from './glob';
import type { RouteMatchConfig } from './route-config';

/** A match may carry notes to record on the delivery (e.g. that paths could not be checked). */
export type RouteMatch = { readonly matched: true; readonly notes: readonly string[] } | { readonly matched: false; readonly reason: string };

interface Constraint {
  list: readonly string[];
  test: GlobMatcher;
}

function constraint(list: readonly string[] | undefined, nocase = false): Constraint | undefined {
  return list && list.length > 0 ? { list, test: globMatcher(list, { nocase }) } : undefined;
}

const shown = (list: readonly string[]) => `[${list.join(', ')}]`;

/**
 * One route's `match`, compiled once. The semantics (empty = no constraint, ref patterns per kind,
 * pull requests by target branch, unknown paths match with a note) are documented on the route
 * schema in route-config.ts and in the README.
 */
export class RouteMatcher {
  private readonly sources: ReadonlySet<string> | undefined;
  private readonly events: ReadonlySet<string> | undefined;
  private readonly repository: Constraint | undefined;
  private readonly branches: Constraint | undefined;
  private readonly tags: Constraint | undefined;
  private readonly paths: Constraint | undefined;

  constructor(match: RouteMatchConfig) {
    this.sources = match.source && match.source.length > 0 ? new Set(match.source) : undefined;
    this.events = match.events && match.events.length > 0 ? new Set(match.events) : undefined;
    // Repository names are case-insensitive on GitHub, GitLab and Bitbucket.
    this.repository = constraint(match.repository, true);
    this.branches = constraint(match.branches);
    this.tags = constraint(match.tags);
    this.paths = constraint(match.paths);
  }

  test(event: WebhookEvent): RouteMatch {
    const v = event.variables;
    if (this.sources && !this.sources.has(event.source)) return miss(`source ${event.source} is not ${shown([...this.sources])}`);
    if (this.repository && !this.repository.test(v.repository)) return miss(`repository "${v.repository}" matches none of ${shown(this.repository.list)}`);
    if (this.events && !this.events.has(event.event)) return miss(`event ${event.event} is not ${shown([...this.events])}`);
    const ref = this.checkRef(event);
    if (ref) return miss(ref);
    const notes: string[] = [];
    if (this.paths) {
      if (event.changedPaths === undefined) {
        notes.push(`paths not checked: ${event.changedPathsUnknown ?? PATHS_NOT_LISTED}`);
      } else if (!event.changedPaths.some((p) => this.paths!.test(p))) {
        return miss(`none of the ${event.changedPaths.length} changed paths matches ${shown(this.paths.list)}`);
      }
    }
    return { matched: true, notes };
  }

  /** Why the event's ref does not match, or undefined when it does. */
  private checkRef(event: WebhookEvent): string | undefined {
    if (!this.branches && !this.tags) return undefined;
    if (event.event === 'tag') {
      if (!this.tags) return 'the route lists branches only, so tag events do not match';
      return this.tags.test(event.variables.tag) ? undefined : `tag "${event.variables.tag}" matches none of ${shown(this.tags.list)}`;
    }
    if (!this.branches) return 'the route lists tags only, so branch events do not match';
    const isPr = event.event === 'pull_request';
    const branch = isPr ? event.variables.targetBranch : event.variables.branch;
    return this.branches.test(branch) ? undefined : `${isPr ? 'target branch' : 'branch'} "${branch}" matches none of ${shown(this.branches.list)}`;
  }
}

const miss = (reason: string): RouteMatch => ({ matched: false, reason });
