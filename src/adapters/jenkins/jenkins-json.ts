import { z } from 'zod';

/**
 * Guards for the Jenkins JSON the adapter reads, matching the `tree=` each call asks for. Unknown
 * keys are dropped; every field that Jenkins omits in some version or state is optional.
 */

/** The fields of a Run that make one observation (single read and batched list read alike). */
const BUILD_STATUS_FIELDS = 'number,url,building,inProgress,result,duration,estimatedDuration,timestamp,queueId';

/** `tree=` expressions: the fewest fields each step needs (batch-friendly polling). */
export const TREE = {
  job: 'name,fullName,url,buildable,property[parameterDefinitions[name]]',
  queueItem: 'id,why,stuck,cancelled,executable[number,url],task[url]',
  queue: 'items[id,task[url],actions[parameters[name,value]]]',
  /** The whole queue as a status board: every waiting/blocked/buildable item, no parameters. */
  queueStatus: 'items[id,why,stuck,task[url]]',
  build: BUILD_STATUS_FIELDS,
  jobBuildsByQueueId: 'builds[number,queueId,url]',
  /**
   * `builds` stops at the newest 100; a busy job can have started more since the build we look
   * for, so the correlation scan reads `allBuilds`, bounded to the newest 500.
   */
  jobBuildsWithParameters: 'allBuilds[number,queueId,url,actions[parameters[name,value]]]{0,500}',
  artifacts: 'artifacts[relativePath,fileName]',
  root: 'mode',
} as const;

/**
 * The newest `count` builds of a job with their status, plus the newest build number (to size the
 * next window). `allBuilds` (exported at visibility -2, only reachable through `tree=`) honours the
 * Stapler range `{0,N}` lazily on Jenkins' RunList, so the cost is N builds, not the job's history;
 * `builds` would stop at the newest 100.
 */
export function buildStatusesTree(count: number): string {
  return `lastBuild[number],allBuilds[${BUILD_STATUS_FIELDS}]{0,${Math.max(1, Math.floor(count))}}`;
}

const parameterValues = z
  .array(
    z.object({
      parameters: z.array(z.object({ name: z.string(), value: z.unknown().optional() })).optional(),
    }),
  )
  .optional();

export const JobJson = z.object({
  _class: z.string().optional(),
  name: z.string().optional(),
  fullName: z.string().optional(),
  url: z.string().optional(),
  /** Present on jobs only: a folder (or multibranch / organization folder) has no `buildable`. */
  buildable: z.boolean().optional(),
  property: z
    .array(z.object({ parameterDefinitions: z.array(z.object({ name: z.string() })).optional() }).nullable())
    .optional(),
});
export type JobJson = z.infer<typeof JobJson>;

export const QueueItemJson = z.object({
  _class: z.string().optional(),
  id: z.number().int(),
  why: z.string().nullable().optional(),
  stuck: z.boolean().optional(),
  /** LeftItem only. */
  cancelled: z.boolean().optional(),
  /** LeftItem only; null while the Run is being created, or after a cancel. */
  executable: z.object({ number: z.number().int(), url: z.string().optional() }).nullable().optional(),
  task: z.object({ url: z.string().optional() }).optional(),
});
export type QueueItemJson = z.infer<typeof QueueItemJson>;

export const QueueJson = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      task: z.object({ url: z.string().optional() }).optional(),
      actions: parameterValues,
    }),
  ),
});

export const BuildJson = z.object({
  number: z.number().int(),
  url: z.string().optional(),
  building: z.boolean().optional(),
  /** Exported since Jenkins 2.369; true through POST_PRODUCTION, when `building` is already false. */
  inProgress: z.boolean().optional(),
  result: z.string().nullable().optional(),
  duration: z.number().optional(),
  estimatedDuration: z.number().optional(),
  timestamp: z.number().optional(),
  queueId: z.number().int().optional(),
});
export type BuildJson = z.infer<typeof BuildJson>;

/** `GET {job}/api/json?tree=` {@link buildStatusesTree}: newest first. `lastBuild` is null for a job without builds. */
export const JobBuildStatusesJson = z.object({
  lastBuild: z.object({ number: z.number().int() }).nullable().optional(),
  allBuilds: z.array(BuildJson).optional(),
});
export type JobBuildStatusesJson = z.infer<typeof JobBuildStatusesJson>;

/** `GET /queue/api/json?tree=` {@link TREE.queueStatus} (as the client's `queue.list` returns it: the items). */
export const QueueStatusJson = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      why: z.string().nullable().optional(),
      stuck: z.boolean().optional(),
      task: z.object({ url: z.string().optional() }).optional(),
    }),
  ),
});
export type QueueStatusJson = z.infer<typeof QueueStatusJson>;

const buildEntries = z
  .array(
    z.object({
      number: z.number().int(),
      queueId: z.number().int().optional(),
      url: z.string().optional(),
      actions: parameterValues,
    }),
  )
  .optional();

export const JobBuildsJson = z.object({ builds: buildEntries, allBuilds: buildEntries });
export type JobBuildsJson = z.infer<typeof JobBuildsJson>;

export const ArtifactsJson = z.object({
  /** `displayPath` is null beyond 20 artifacts (Run.ArtifactList): only `relativePath` is reliable. */
  artifacts: z.array(z.object({ relativePath: z.string(), fileName: z.string().optional() })).optional(),
});

export const RootJson = z.object({ mode: z.string().optional() });

export const CrumbJson = z.object({
  _class: z.string().optional(),
  crumb: z.string().min(1),
  crumbRequestField: z.string().min(1),
});

/** Does a ParametersAction list carry `name=value`? (Values of password parameters are not exported.) */
export function hasParameter(actions: z.infer<typeof parameterValues>, name: string, value: string): boolean {
  return (actions ?? []).some((action) => (action.parameters ?? []).some((p) => p.name === name && p.value === value));
}
