import { parametersDefinitionPropertyJson } from '../model/parameters';
import { SimFolder, type SimItem, type SimJob } from '../model/sim-job';
import type { SimQueue } from '../model/sim-queue';
import type { SimRun } from '../model/sim-run';
import { queueItemJson } from './render-queue';
import { runJson, runRef } from './render-run';
import { Lazy, LazyList } from './tree-filter';

const FOLDER_CLASS = 'com.cloudbees.hudson.plugins.folder.Folder';

/** Jenkins' `builds` export: newest first, at most 100 (`allBuilds` has the rest). */
export const BUILDS_LIMIT = 100;

export interface RenderOptions {
  rootUrl: string;
  /**
   * With a `tree=` filter Jenkins can reach any exported field of a referenced object (e.g.
   * `builds[number,queueId,url]`), so references are rendered in full and the filter prunes them.
   */
  expand: boolean;
  /** Lets an expanded `jobs` list render each job in full (`jobs[name,lastBuild[number]]`). */
  queue?: SimQueue;
}

/** Entry of a `jobs` list: folders have no color. */
export function itemListEntry(item: SimItem, rootUrl: string): Record<string, unknown> {
  if (item instanceof SimFolder) return { _class: FOLDER_CLASS, name: item.name, url: `${rootUrl}${item.urlPath}` };
  return { _class: item.jobClass, name: item.name, url: `${rootUrl}${item.urlPath}`, color: item.color };
}

/**
 * A folder's (or the root's) `jobs`. Plain: the depth-0 entries. Expanded: each item in full, lazily,
 * so a tree like `jobs[name,allBuilds[number]{0,5}]` reaches every job's fields as on Jenkins.
 */
function itemList(folder: SimFolder, opts: RenderOptions): unknown[] {
  const { queue } = opts;
  return [...folder.children.values()].map((c) =>
    opts.expand && queue ? new Lazy(() => (c instanceof SimFolder ? folderJson(c, opts) : jobJson(c, queue, opts))) : itemListEntry(c, opts.rootUrl),
  );
}

function viewJson(rootUrl: string, ownerPath: string): Record<string, unknown> {
  return { _class: 'hudson.model.AllView', name: 'all', url: `${rootUrl}${ownerPath}` };
}

/** `GET /api/json` (hudson.model.Hudson). */
export function rootJson(root: SimFolder, opts: RenderOptions & { executors: number }): Record<string, unknown> {
  return {
    _class: 'hudson.model.Hudson',
    assignedLabels: [{ name: 'built-in' }],
    mode: 'NORMAL',
    nodeDescription: "the Jenkins controller's built-in node",
    nodeName: '',
    numExecutors: opts.executors,
    description: null,
    jobs: itemList(root, opts),
    overallLoad: {},
    primaryView: viewJson(opts.rootUrl, ''),
    quietDownReason: null,
    quietingDown: false,
    slaveAgentPort: -1,
    unlabeledLoad: { _class: 'jenkins.model.UnlabeledLoadStatistics' },
    url: opts.rootUrl,
    useCrumbs: true,
    useSecurity: true,
    views: [viewJson(opts.rootUrl, '')],
  };
}

export function folderJson(folder: SimFolder, opts: RenderOptions): Record<string, unknown> {
  return {
    _class: FOLDER_CLASS,
    actions: [{}, {}, { _class: 'com.cloudbees.plugins.credentials.ViewCredentialsAction' }],
    description: null,
    displayName: folder.name,
    displayNameOrNull: null,
    fullDisplayName: folder.path.join(' » '),
    fullName: folder.fullName,
    name: folder.name,
    url: `${opts.rootUrl}${folder.urlPath}`,
    healthReport: [],
    jobs: itemList(folder, opts),
    primaryView: viewJson(opts.rootUrl, folder.urlPath),
    views: [viewJson(opts.rootUrl, folder.urlPath)],
  };
}

/** Runs of a job newest first, positions [from, to) only (job.builds is oldest first). */
function newestRuns(job: SimJob, from: number, to: number): SimRun[] {
  const out: SimRun[] = [];
  const n = job.builds.length;
  for (let i = from; i < Math.min(to, n); i++) out.push(job.builds[n - 1 - i]!);
  return out;
}

/**
 * `GET {job}/api/json` for WorkflowJob / FreeStyleProject. With a `tree=` (expand) the run lists and
 * permalinks are lazy: like Jenkins (RunList + Stapler Range, getters called only when selected), a
 * `allBuilds[...]{0,K}` read costs K runs whatever the job's history.
 */
export function jobJson(job: SimJob, queue: SimQueue, opts: RenderOptions): Record<string, unknown> {
  const ref = (run: SimRun | undefined): Record<string, unknown> | null =>
    run ? (opts.expand ? runJson(run, opts.rootUrl) : runRef(run, opts.rootUrl)) : null;
  const permalink = (name: string): unknown => (opts.expand ? new Lazy(() => ref(job.permalink(name))) : ref(job.permalink(name)));
  const runs = (limit: number): unknown => {
    const length = Math.min(limit, job.builds.length);
    return opts.expand ? new LazyList(length, (from, to) => newestRuns(job, from, to).map(ref)) : newestRuns(job, 0, length).map(ref);
  };
  const queued = queue.pendingItems().filter((i) => i.job === job);
  const paramsProperty = job.parameterized ? [parametersDefinitionPropertyJson(job.parameters)] : [];
  const json: Record<string, unknown> = {
    _class: job.jobClass,
    actions: [...paramsProperty, {}, {}, { _class: 'org.jenkinsci.plugins.displayurlapi.actions.JobDisplayAction' }],
    description: null,
    displayName: job.name,
    displayNameOrNull: null,
    fullDisplayName: job.fullDisplayName,
    fullName: job.fullName,
    name: job.name,
    url: `${opts.rootUrl}${job.urlPath}`,
    buildable: !job.disabled,
    // Job#getNewBuilds: getBuilds().limit(100).
    builds: runs(BUILDS_LIMIT),
    // Job#getBuilds, @Exported(name="allBuilds", visibility=-2): only a tree= selection reaches it.
    ...(opts.expand ? { allBuilds: runs(Number.MAX_SAFE_INTEGER) } : {}),
    color: job.color,
    firstBuild: permalink('firstBuild'),
    healthReport: [],
    inQueue: queued.length > 0,
    keepDependencies: false,
    lastBuild: permalink('lastBuild'),
    lastCompletedBuild: permalink('lastCompletedBuild'),
    lastFailedBuild: permalink('lastFailedBuild'),
    lastStableBuild: permalink('lastStableBuild'),
    lastSuccessfulBuild: permalink('lastSuccessfulBuild'),
    lastUnstableBuild: permalink('lastUnstableBuild'),
    lastUnsuccessfulBuild: permalink('lastUnsuccessfulBuild'),
    nextBuildNumber: job.nextBuildNumber,
    property: paramsProperty,
    queueItem: queued[0] ? queueItemJson(queued[0], opts.rootUrl) : null,
    concurrentBuild: job.concurrentBuild,
    disabled: job.disabled,
  };
  if (job.kind === 'pipeline') {
    json['resumeBlocked'] = false;
  } else {
    json['downstreamProjects'] = [];
    json['labelExpression'] = null;
    json['scm'] = { _class: 'hudson.scm.NullSCM' };
    json['upstreamProjects'] = [];
  }
  return json;
}
