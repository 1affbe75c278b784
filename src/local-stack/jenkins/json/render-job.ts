import { parametersDefinitionPropertyJson } from '../model/parameters';
import { SimFolder, type SimItem, type SimJob } from '../model/sim-job';
import type { SimQueue } from '../model/sim-queue';
import type { SimRun } from '../model/sim-run';
import { queueItemJson } from './render-queue';
import { runJson, runRef } from './render-run';

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
}

/** Entry of a `jobs` list: folders have no color. */
export function itemListEntry(item: SimItem, rootUrl: string): Record<string, unknown> {
  if (item instanceof SimFolder) return { _class: FOLDER_CLASS, name: item.name, url: `${rootUrl}${item.urlPath}` };
  return { _class: item.jobClass, name: item.name, url: `${rootUrl}${item.urlPath}`, color: item.color };
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
    jobs: [...root.children.values()].map((c) => itemListEntry(c, opts.rootUrl)),
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
    jobs: [...folder.children.values()].map((c) => itemListEntry(c, opts.rootUrl)),
    primaryView: viewJson(opts.rootUrl, folder.urlPath),
    views: [viewJson(opts.rootUrl, folder.urlPath)],
  };
}

/** `GET {job}/api/json` for WorkflowJob / FreeStyleProject. */
export function jobJson(job: SimJob, queue: SimQueue, opts: RenderOptions): Record<string, unknown> {
  const ref = (run: SimRun | undefined): Record<string, unknown> | null =>
    run ? (opts.expand ? runJson(run, opts.rootUrl) : runRef(run, opts.rootUrl)) : null;
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
    builds: [...job.builds].reverse().slice(0, BUILDS_LIMIT).map((b) => ref(b)),
    // Exported at a deeper visibility: only a tree= selection reaches it (usually with a {from,to} range).
    ...(opts.expand ? { allBuilds: [...job.builds].reverse().map((b) => ref(b)) } : {}),
    color: job.color,
    firstBuild: ref(job.permalink('firstBuild')),
    healthReport: [],
    inQueue: queued.length > 0,
    keepDependencies: false,
    lastBuild: ref(job.permalink('lastBuild')),
    lastCompletedBuild: ref(job.permalink('lastCompletedBuild')),
    lastFailedBuild: ref(job.permalink('lastFailedBuild')),
    lastStableBuild: ref(job.permalink('lastStableBuild')),
    lastSuccessfulBuild: ref(job.permalink('lastSuccessfulBuild')),
    lastUnstableBuild: ref(job.permalink('lastUnstableBuild')),
    lastUnsuccessfulBuild: ref(job.permalink('lastUnsuccessfulBuild')),
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
