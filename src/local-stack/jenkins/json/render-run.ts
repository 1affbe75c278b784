import { parametersActionJson } from '../model/parameters';
import type { SimRun } from '../model/sim-run';

/** A Run as referenced from elsewhere at depth 0 (`lastBuild`, `builds[]`, `executable`). */
export function runRef(run: SimRun, rootUrl: string): Record<string, unknown> {
  return { _class: run.job.runClass, number: run.number, url: runUrl(run, rootUrl) };
}

export function runUrl(run: SimRun, rootUrl: string): string {
  return `${rootUrl}${run.job.urlPath}${run.number}/`;
}

export function causeActionJson(user: string): Record<string, unknown> {
  return {
    _class: 'hudson.model.CauseAction',
    causes: [{ _class: 'hudson.model.Cause$UserIdCause', shortDescription: `Started by user ${user}`, userId: user, userName: user }],
  };
}

/**
 * `GET {job}/<n>/api/json`, field order as Jenkins exports it (Run fields alphabetically, then the
 * subclass's: WorkflowRun changeSets/culprits/nextBuild/previousBuild, AbstractBuild builtOn/changeSet/culprits).
 */
export function runJson(run: SimRun, rootUrl: string): Record<string, unknown> {
  const { job } = run;
  const building = run.building;
  const t = run.queueTimes;
  const executing = run.state === 'building' ? 0 : run.duration;
  const actions: unknown[] = [];
  if (run.params) actions.push(parametersActionJson(run.params));
  actions.push(causeActionJson(run.user));
  actions.push({
    _class: 'jenkins.metrics.impl.TimeInQueueAction',
    blockedDurationMillis: t.blockedMs,
    blockedTimeMillis: t.blockedMs,
    buildableDurationMillis: t.buildableMs,
    buildableTimeMillis: t.buildableMs,
    buildingDurationMillis: executing,
    executingTimeMillis: executing,
    executorUtilization: 1.0,
    subTaskCount: 0,
    waitingDurationMillis: t.waitingMs,
    waitingTimeMillis: t.waitingMs,
  });
  actions.push({}, {}, { _class: 'org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction' });
  if (job.kind === 'pipeline') actions.push({ _class: 'org.jenkinsci.plugins.workflow.job.views.FlowGraphAction' }, {}, {});
  const json: Record<string, unknown> = {
    _class: job.runClass,
    actions,
    artifacts: run.artifacts.entries().map((a) => ({ displayPath: a.displayPath, fileName: a.fileName, relativePath: a.relativePath })),
    building,
    description: null,
    displayName: `#${run.number}`,
    duration: run.state === 'building' ? 0 : run.duration,
    estimatedDuration: job.estimatedDuration,
    executor: run.inProgress ? { _class: job.kind === 'pipeline' ? 'hudson.model.OneOffExecutor' : 'hudson.model.Executor' } : null,
    fullDisplayName: `${job.fullDisplayName} #${run.number}`,
    id: String(run.number),
    inProgress: run.inProgress,
    keepLog: false,
    number: run.number,
    queueId: run.queueId,
    result: run.result,
    timestamp: run.timestamp,
    url: runUrl(run, rootUrl),
  };
  const index = job.builds.indexOf(run);
  const previous = index > 0 ? job.builds[index - 1] : undefined;
  const next = index >= 0 ? job.builds[index + 1] : undefined;
  if (job.kind === 'pipeline') {
    json['changeSets'] = [];
    json['culprits'] = [];
    json['nextBuild'] = next ? { number: next.number, url: runUrl(next, rootUrl) } : null;
    json['previousBuild'] = previous ? { number: previous.number, url: runUrl(previous, rootUrl) } : null;
  } else {
    json['builtOn'] = '';
    json['changeSet'] = { _class: 'hudson.scm.EmptyChangeLogSet', items: [], kind: null };
    json['culprits'] = [];
  }
  return json;
}
