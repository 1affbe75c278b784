import type { BuildObservation, BuildRef, BuildResult } from '../../ports/build-runner';
import type { Logger } from '../../ports/logger';
import type { BuildLocator, Correlation } from './build-lookup';
import { isLogStillOpen } from './build-streams';
import { statusOf, toBridgeError } from './jenkins-errors';
import { BuildJson, QueueItemJson, TREE } from './jenkins-json';
import type { JenkinsRequests } from './jenkins-requests';
import { buildPath } from './job-path';

const RESULTS: ReadonlySet<string> = new Set<BuildResult>(['SUCCESS', 'UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED']);

export type StartedRef = BuildRef & { buildNumber: number };
/** A ref whose project is the checked full name. */
export type NamedRef = BuildRef & { project: string };

/** What one queue item read says: an observation, the build it became, or nothing (404). */
export type QueueItemState =
  | { kind: 'observed'; observation: BuildObservation }
  | { kind: 'started'; buildNumber: number }
  | { kind: 'gone' };

/**
 * One build's observation from single reads: queue item → build (`executable.number`, never a
 * guessed number) → end of build; when the queue item expired (~5 min) the job's builds by
 * `queueId`, then by the correlation parameter. The batched path (batch-observer.ts) reuses
 * {@link BuildObserver.observationOf} for the builds it reads in bulk and these single reads for the
 * few items its bulk reads do not settle.
 */
export class BuildObserver {
  constructor(
    private readonly requests: JenkinsRequests,
    private readonly locator: BuildLocator,
    private readonly logger: Logger,
  ) {}

  async observe(ref: NamedRef, correlation: Correlation, signal?: AbortSignal): Promise<BuildObservation> {
    const { project } = ref;
    if (ref.buildNumber !== undefined) return this.observeBuild({ ...ref, buildNumber: ref.buildNumber }, signal);
    if (ref.queueId !== undefined) return this.observeQueueItem(ref, ref.queueId, correlation, signal);
    // No queue id: a trigger whose answer was lost. A queued item first, then the builds: an item that
    // leaves the queue between the two reads already has its Run when the builds are read.
    const queued = await this.locator.queuedByCorrelation(project, correlation, signal);
    if (queued !== undefined) {
      return { state: 'queued', ref: { ...ref, queueId: queued, url: this.requests.url(`queue/item/${queued}/`).href } };
    }
    const found = await this.locator.byCorrelation(project, correlation, signal);
    if (typeof found === 'number') return this.observeBuild({ ...ref, buildNumber: found }, signal);
    return {
      state: 'missing',
      ref,
      reason: found === 'job-missing' ? jobGone(project) : `no queued item or recent build of "${project}" has ${correlation.name}=${correlation.value}`,
    };
  }

  async observeQueueItem(ref: NamedRef, queueId: number, correlation: Correlation, signal?: AbortSignal): Promise<BuildObservation> {
    const state = await this.readQueueItem(ref, queueId, signal);
    if (state.kind === 'observed') return state.observation;
    if (state.kind === 'started') return this.observeBuild({ ...ref, buildNumber: state.buildNumber }, signal);
    return this.observeLostItem(ref, queueId, correlation, signal);
  }

  /** `GET /queue/item/N/api/json`, interpreted without following the build. */
  async readQueueItem(ref: NamedRef, queueId: number, signal?: AbortSignal): Promise<QueueItemState> {
    const ctx = this.requests.context(`reading Jenkins queue item #${queueId} of "${ref.project}"`);
    let body: unknown;
    try {
      body = await this.requests.run(signal, (client) => client.queue.item({ number: queueId, tree: TREE.queueItem }));
    } catch (error) {
      if (statusOf(error) === 404) return { kind: 'gone' };
      throw toBridgeError(error, ctx);
    }
    const item = this.requests.parse(QueueItemJson, body, ctx);
    const left = item.cancelled !== undefined || item.executable !== undefined || /\$LeftItem$/.test(item._class ?? '');
    if (!left) return { kind: 'observed', observation: { state: 'queued', ref, ...(item.why ? { why: item.why } : {}), stuck: item.stuck ?? false } };
    if (item.executable) return { kind: 'started', buildNumber: item.executable.number };
    if (item.cancelled) return { kind: 'observed', observation: { state: 'cancelled', ref } };
    // LeftItem without executable: Queue.onStartExecuting runs before the Run exists (a moment).
    return { kind: 'observed', observation: { state: 'queued', ref, why: 'The build is starting' } };
  }

  /** The queue item is gone (expired after ~5 min, or Jenkins restarted): find its build another way. */
  async observeLostItem(ref: NamedRef, queueId: number, correlation: Correlation, signal?: AbortSignal): Promise<BuildObservation> {
    const byQueue = await this.locator.byQueueId(ref.project, queueId, signal);
    const found = typeof byQueue === 'number' || byQueue === 'job-missing' ? byQueue : await this.locator.byCorrelation(ref.project, correlation, signal);
    if (typeof found === 'number') {
      this.logger.info('Jenkins queue item expired; found its build in the job history', { project: ref.project, queueId, buildNumber: found });
      return this.observeBuild({ ...ref, buildNumber: found }, signal);
    }
    return {
      state: 'missing',
      ref,
      reason:
        found === 'job-missing'
          ? jobGone(ref.project)
          : `queue item #${queueId} no longer exists and no recent build of "${ref.project}" has queueId ${queueId} or ${correlation.name}=${correlation.value}`,
    };
  }

  /** `GET {job}/<n>/api/json`: 404 → missing. */
  async observeBuild(ref: StartedRef, signal?: AbortSignal): Promise<BuildObservation> {
    const { project, buildNumber } = ref;
    const ctx = this.requests.context(`reading build #${buildNumber} of "${project}"`);
    let body: unknown;
    try {
      body = await this.requests.run(signal, (client) => client.build.get({ name: project, number: buildNumber, tree: TREE.build }));
    } catch (error) {
      if (statusOf(error) === 404) return { state: 'missing', ref, reason: `build #${buildNumber} no longer exists` };
      throw toBridgeError(error, ctx);
    }
    return this.observationOf(ref, this.requests.parse(BuildJson, body, ctx), signal);
  }

  /**
   * Build JSON → observation, for a single read and for an entry of a job's build list alike.
   * Completed = a result and `building:false`: Jenkins sets the result, runs the publishers (artifact
   * archiving among them) and only then enters POST_PRODUCTION (`building:false`) and fires
   * onCompleted (the Notification plugin's COMPLETED), so result and artifacts are final there.
   * Only the console log may still grow until `inProgress:false` (≥ 2.369; FINALIZED): `logOpen`
   * says so, and a failure waits for it to quote a complete tail. Without `inProgress` (older
   * Jenkins) one progressive-log read decides (X-More-Data), and only for a failed build.
   */
  async observationOf(ref: BuildRef & { project: string }, build: BuildJson, signal?: AbortSignal): Promise<BuildObservation> {
    const { project } = ref;
    const started: StartedRef = {
      ...ref,
      buildNumber: build.number,
      ...(build.queueId !== undefined ? { queueId: build.queueId } : {}),
      url: build.url ?? this.requests.url(buildPath(project, build.number)).href,
    };
    const startedAt = build.timestamp && build.timestamp > 0 ? build.timestamp : undefined;
    if (build.building === true || build.result == null) {
      return {
        state: 'running',
        ref: started,
        ...(startedAt !== undefined ? { startedAt } : {}),
        ...(build.estimatedDuration !== undefined && build.estimatedDuration > 0 ? { estimatedDurationMs: build.estimatedDuration } : {}),
      };
    }
    const result = this.result(build.result, started);
    let logOpen = build.inProgress === true;
    if (build.inProgress === undefined && result !== 'SUCCESS') logOpen = await isLogStillOpen(this.requests, project, build.number, signal);
    return {
      state: 'completed',
      ref: started,
      result,
      ...(startedAt !== undefined ? { startedAt } : {}),
      durationMs: Math.max(0, build.duration ?? 0),
      ...(logOpen ? { logOpen } : {}),
    };
  }

  private result(value: string, ref: StartedRef): BuildResult {
    if (RESULTS.has(value)) return value as BuildResult;
    this.logger.warn('Jenkins reported an unknown build result; treating it as FAILURE', { project: ref.project, buildNumber: ref.buildNumber, result: value });
    return 'FAILURE';
  }
}

export function jobGone(project: string): string {
  return `Jenkins job "${project}" no longer exists`;
}
