import type { Logger } from '../../ports/logger';
import { statusOf, toBridgeError } from './jenkins-errors';
import { JobBuildsJson, QueueJson, TREE, hasParameter } from './jenkins-json';
import type { JenkinsRequests } from './jenkins-requests';
import { jobSegments } from './job-path';

export interface Correlation {
  name: string;
  value: string;
}

/** A build number, nothing found, or the job itself is gone. */
export type LookupResult = number | undefined | 'job-missing';

/**
 * Finds a build when the queue item no longer tells: Jenkins keeps a left queue item ~5 minutes
 * (and none across a restart). Never guesses from `nextBuildNumber`: only a build whose `queueId`
 * or correlation parameter matches counts. `builds` is Jenkins' newest 100, which bounds the scan.
 */
export class BuildLocator {
  constructor(
    private readonly requests: JenkinsRequests,
    private readonly logger: Logger,
  ) {}

  async byQueueId(project: string, queueId: number, signal?: AbortSignal): Promise<LookupResult> {
    const builds = await this.builds(project, TREE.jobBuildsByQueueId, signal);
    if (builds === 'job-missing') return builds;
    return builds.find((b) => b.queueId === queueId)?.number;
  }

  async byCorrelation(project: string, correlation: Correlation, signal?: AbortSignal): Promise<LookupResult> {
    const builds = await this.builds(project, TREE.jobBuildsWithParameters, signal);
    if (builds === 'job-missing') return builds;
    const matches = builds.filter((b) => hasParameter(b.actions, correlation.name, correlation.value));
    if (matches.length > 1) {
      // Two builds for one correlation value: a retried trigger was not folded. Follow the first.
      this.logger.warn('several Jenkins builds carry the same correlation parameter', {
        project,
        parameter: correlation.name,
        builds: matches.map((b) => b.number),
      });
    }
    return matches.length ? Math.min(...matches.map((b) => b.number)) : undefined;
  }

  /** A still-queued item of `project` carrying the correlation parameter (a trigger whose answer was lost). */
  async queuedByCorrelation(project: string, correlation: Correlation, signal?: AbortSignal): Promise<number | undefined> {
    const ctx = this.requests.context('reading the Jenkins queue');
    let body: unknown;
    try {
      body = await this.requests.run(signal, (client) => client.queue.list({ tree: TREE.queue }));
    } catch (error) {
      throw toBridgeError(error, ctx);
    }
    // queue.list resolves with the `items` array of /queue/api/json.
    const { items } = this.requests.parse(QueueJson, { items: body }, ctx);
    const item = items.find((i) => isTaskOf(i.task?.url, project) && hasParameter(i.actions, correlation.name, correlation.value));
    return item?.id;
  }

  private async builds(project: string, tree: string, signal?: AbortSignal) {
    const ctx = this.requests.context(`listing the builds of "${project}"`);
    let body: unknown;
    try {
      body = await this.requests.run(signal, (client) => client.job.get({ name: project, tree }));
    } catch (error) {
      if (statusOf(error) === 404) return 'job-missing' as const;
      throw toBridgeError(error, ctx);
    }
    const parsed = this.requests.parse(JobBuildsJson, body, ctx);
    return parsed.builds ?? parsed.allBuilds ?? [];
  }
}

/**
 * Does a task URL (`http://root/ctx/job/team/job/app/`, from Jenkins' configured root URL, which
 * may differ from ours) name this job? Compares the `job/<name>` pairs, not a path suffix, so a
 * top-level `build` does not match `team/app/build`.
 */
export function isTaskOf(taskUrl: string | undefined, project: string): boolean {
  if (!taskUrl) return false;
  const names: string[] = [];
  try {
    const parts = new URL(taskUrl, 'http://placeholder.invalid/').pathname.split('/').filter(Boolean);
    const first = parts.indexOf('job');
    if (first < 0) return false;
    for (let i = first; i + 1 < parts.length && parts[i] === 'job'; i += 2) names.push(decodeURIComponent(parts[i + 1]!));
  } catch {
    return false; // malformed URL or percent-encoding
  }
  const wanted = jobSegments(project);
  return names.length === wanted.length && names.every((n, i) => n === wanted[i]);
}
