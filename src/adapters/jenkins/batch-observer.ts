import type { BuildObservation, ObserveRequest } from '../../ports/build-runner';
import type { Logger } from '../../ports/logger';
import type { Correlation } from './build-lookup';
import { jobGone, type BuildObserver, type NamedRef } from './build-observer';
import { buildWindow } from './build-window';
import { statusOf, toBridgeError } from './jenkins-errors';
import { JobBuildStatusesJson, QueueStatusJson, TREE, buildStatusesTree } from './jenkins-json';
import type { JenkinsRequests } from './jenkins-requests';
import { settleLimited } from './settle-limited';

/** Single reads (queue items that left, builds outside a list) in flight at once per call. */
const SINGLE_READS = 8;
/** Job list reads in flight at once per call. */
const LIST_READS = 8;

interface Slot {
  index: number;
  ref: NamedRef;
  correlation: Correlation;
}
interface ProjectTargets {
  /** Followed builds, by number. */
  builds: Array<Slot & { number: number }>;
  /** Queue items Jenkins forgot (404): their build is looked up by `queueId` in the same list read. */
  lost: Array<Slot & { queueId: number }>;
}

export interface BatchObserverHooks {
  /** The project's checked full name; throws PermanentError for an invalid one. */
  checkedName(project: string): string;
  /** The job answered 404 (deleted or renamed). */
  jobMissing(project: string): void;
}

type Results = PromiseSettledResult<BuildObservation>[];

/**
 * BuildRunner.observeMany for Jenkins: the cost of a status round is one `allBuilds{0,K}` read per
 * job with followed builds plus one `/queue/api/json` read, whatever the number of builds; single
 * reads only for items whose phase changed in a way the bulk reads cannot settle:
 *
 * 1. Refs with only a queue id: still listed in the queue → queued (why/stuck from the list). Not
 *    listed → it left: one queue item read (started → its build joins step 2; cancelled; 404 → looked
 *    up by `queueId` in step 2, then the single-read fallbacks). Queue first, then builds: an item
 *    that leaves the queue between the two reads already has its Run when the builds are read.
 * 2. Refs with a build number, grouped by job: one list read each; a build absent from the window
 *    (deleted, or older than the window) is read on its own. A build without `inProgress`
 *    (Jenkins < 2.369) that looks finished costs one progressive-log read, as in the single path.
 * 3. Refs with neither (a trigger whose answer was lost; rare): the single `observe`, one by one.
 *
 * One job's failing list read rejects only that job's items; the queue read failing rejects only the
 * queue-id items; an aborted signal rejects the whole call.
 */
export class BatchObserver {
  /** Each job's lastBuild number as last seen, to size the next window. */
  private readonly newestSeen = new Map<string, number>();

  constructor(
    private readonly requests: JenkinsRequests,
    private readonly observer: BuildObserver,
    private readonly logger: Logger,
    private readonly hooks: BatchObserverHooks,
  ) {}

  async observeMany(requests: readonly ObserveRequest[], signal?: AbortSignal): Promise<Results> {
    signal?.throwIfAborted();
    const results: Results = new Array<PromiseSettledResult<BuildObservation>>(requests.length);
    const projects = new Map<string, ProjectTargets>();
    const queued: Array<Slot & { queueId: number }> = [];
    const uncorrelated: Slot[] = [];
    requests.forEach((request, index) => {
      let project: string;
      try {
        project = this.hooks.checkedName(request.ref.project);
      } catch (error) {
        results[index] = { status: 'rejected', reason: error };
        return;
      }
      const slot: Slot = { index, ref: { ...request.ref, project }, correlation: request.correlation };
      if (request.ref.buildNumber !== undefined) targetsOf(projects, project).builds.push({ ...slot, number: request.ref.buildNumber });
      else if (request.ref.queueId !== undefined) queued.push({ ...slot, queueId: request.ref.queueId });
      else uncorrelated.push(slot);
    });

    const lostTriggers = settleLimited(uncorrelated, SINGLE_READS, (s) => this.observer.observe(s.ref, s.correlation, signal)).then((settled) =>
      settled.forEach((r, i) => (results[uncorrelated[i]!.index] = r)),
    );
    await this.observeQueued(queued, projects, results, signal);
    await settleLimited([...projects], LIST_READS, ([project, targets]) => this.observeProject(project, targets, results, signal));
    await lostTriggers;
    if (signal?.aborted) throw signal.reason;
    this.logger.debug('observed Jenkins builds in a batch', {
      builds: requests.length,
      jobs: projects.size,
      queueItems: queued.length,
    });
    return results;
  }

  private async observeQueued(items: Array<Slot & { queueId: number }>, projects: Map<string, ProjectTargets>, results: Results, signal?: AbortSignal): Promise<void> {
    if (items.length === 0) return;
    let listed: Map<number, QueueStatusJson['items'][number]>;
    try {
      listed = await this.readQueue(signal);
    } catch (error) {
      for (const s of items) results[s.index] = { status: 'rejected', reason: error };
      return;
    }
    const left: Array<Slot & { queueId: number }> = [];
    for (const s of items) {
      const item = listed.get(s.queueId);
      if (!item) {
        left.push(s);
        continue;
      }
      results[s.index] = { status: 'fulfilled', value: { state: 'queued', ref: s.ref, ...(item.why ? { why: item.why } : {}), stuck: item.stuck ?? false } };
    }
    const states = await settleLimited(left, SINGLE_READS, (s) => this.observer.readQueueItem(s.ref, s.queueId, signal));
    states.forEach((settled, i) => {
      const s = left[i]!;
      if (settled.status === 'rejected') results[s.index] = settled;
      else if (settled.value.kind === 'observed') results[s.index] = { status: 'fulfilled', value: settled.value.observation };
      else if (settled.value.kind === 'started') targetsOf(projects, s.ref.project).builds.push({ ...s, number: settled.value.buildNumber });
      else targetsOf(projects, s.ref.project).lost.push(s);
    });
  }

  private async observeProject(project: string, targets: ProjectTargets, results: Results, signal?: AbortSignal): Promise<void> {
    const all: Slot[] = [...targets.builds, ...targets.lost];
    let list: JobBuildStatusesJson | 'job-missing';
    try {
      list = await this.readBuilds(project, buildWindow(targets.builds.map((t) => t.number), this.newestSeen.get(project)), signal);
    } catch (error) {
      for (const s of all) results[s.index] = { status: 'rejected', reason: error };
      return;
    }
    if (list === 'job-missing') {
      this.newestSeen.delete(project);
      this.hooks.jobMissing(project);
      for (const s of all) results[s.index] = { status: 'fulfilled', value: { state: 'missing', ref: s.ref, reason: jobGone(project) } };
      return;
    }
    if (list.lastBuild) this.newestSeen.set(project, list.lastBuild.number);
    else this.newestSeen.delete(project);
    const entries = list.allBuilds ?? [];
    const byNumber = new Map(entries.map((b) => [b.number, b]));
    const byQueueId = new Map(entries.flatMap((b) => (b.queueId !== undefined ? [[b.queueId, b] as const] : [])));

    const work: Array<{ index: number; run: () => Promise<BuildObservation> }> = [];
    for (const t of targets.builds) {
      const entry = byNumber.get(t.number);
      work.push({
        index: t.index,
        run: entry ? () => this.observer.observationOf(t.ref, entry, signal) : () => this.observer.observeBuild({ ...t.ref, buildNumber: t.number }, signal),
      });
    }
    for (const t of targets.lost) {
      const entry = byQueueId.get(t.queueId);
      work.push({
        index: t.index,
        run: entry
          ? () => {
              this.logger.info('Jenkins queue item expired; found its build in the job history', { project, queueId: t.queueId, buildNumber: entry.number });
              return this.observer.observationOf(t.ref, entry, signal);
            }
          : () => this.observer.observeLostItem(t.ref, t.queueId, t.correlation, signal),
      });
    }
    const settled = await settleLimited(work, SINGLE_READS, (w) => w.run());
    settled.forEach((r, i) => (results[work[i]!.index] = r));
  }

  /** `GET /queue/api/json?tree=items[id,why,stuck,task[url]]`: every item still in the queue. */
  private async readQueue(signal?: AbortSignal): Promise<Map<number, QueueStatusJson['items'][number]>> {
    const ctx = this.requests.context('reading the Jenkins queue');
    let body: unknown;
    try {
      body = await this.requests.run(signal, (client) => client.queue.list({ tree: TREE.queueStatus }));
    } catch (error) {
      throw toBridgeError(error, ctx);
    }
    // queue.list resolves with the `items` array of /queue/api/json.
    const { items } = this.requests.parse(QueueStatusJson, { items: body }, ctx);
    return new Map(items.map((i) => [i.id, i]));
  }

  /** `GET {job}/api/json?tree=lastBuild[number],allBuilds[…]{0,K}`; 404 → the job is gone. */
  private async readBuilds(project: string, window: number, signal?: AbortSignal): Promise<JobBuildStatusesJson | 'job-missing'> {
    const ctx = this.requests.context(`reading the build statuses of "${project}"`);
    let body: unknown;
    try {
      body = await this.requests.run(signal, (client) => client.job.get({ name: project, tree: buildStatusesTree(window) }));
    } catch (error) {
      if (statusOf(error) === 404) return 'job-missing';
      throw toBridgeError(error, ctx);
    }
    return this.requests.parse(JobBuildStatusesJson, body, ctx);
  }
}

function targetsOf(projects: Map<string, ProjectTargets>, project: string): ProjectTargets {
  let targets = projects.get(project);
  if (!targets) {
    targets = { builds: [], lost: [] };
    projects.set(project, targets);
  }
  return targets;
}
