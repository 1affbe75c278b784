import type { SimNotificationEndpoint, SimNotificationRecord } from './notifications/types';

export type { SimNotificationEndpoint, SimNotificationEvent, SimNotificationPhase, SimNotificationRecord } from './notifications/types';

/**
 * Public types of the Jenkins simulator: a loopback HTTP server that speaks the real Jenkins REST
 * protocol (see /work/shared/reference/jenkins.md) and runs scripted "builds" in-process.
 */

export type SimResult = 'SUCCESS' | 'UNSTABLE' | 'FAILURE' | 'ABORTED';

export type SimParameterType = 'string' | 'text' | 'boolean' | 'password';

export interface SimParameterDefinition {
  name: string;
  /** Default `string` (hudson.model.StringParameterDefinition). */
  type?: SimParameterType;
  /** Value used when a trigger does not supply the parameter (Jenkins keeps every declared one). */
  default?: string;
  description?: string;
}

/** What a scripted build can do; mirrors what a Jenkinsfile step would. */
export interface SimBuildContext {
  /** Full job name, e.g. `team/app/build`. */
  job: string;
  number: number;
  /** Declared parameters only (undeclared ones never reach a Jenkins build), as strings. */
  params: Record<string, string>;
  /** Aborted by `POST .../stop` (or simulator close). */
  signal: AbortSignal;
  /** Appends one line (or several, split on newlines) to the console log. */
  log(line: string): void;
  /** Resolves after `ms`; rejects with an AbortError as soon as `signal` aborts. */
  sleep(ms: number): Promise<void>;
  /** Archives a file under the build's artifacts (streamed to disk; visible once fully written). */
  archive(relativePath: string, content: string | Buffer | NodeJS.ReadableStream): Promise<void>;
  /** Private temp directory for this build. */
  workspace: string;
}

/** A build's body. Throw → FAILURE with the error in the log; `void` → SUCCESS. */
export type SimBuildScript = (ctx: SimBuildContext) => Promise<SimResult | void>;

export interface SimJobDefinition {
  /** Full name with folders, `/`-separated (`team/app/build`). Folders are created as needed. */
  name: string;
  /** Default `pipeline` (WorkflowJob/WorkflowRun); `freestyle` is FreeStyleProject/FreeStyleBuild. */
  kind?: 'pipeline' | 'freestyle';
  parameters?: SimParameterDefinition[];
  disabled?: boolean;
  /** Overrides the simulator-wide quiet period for this job. */
  quietPeriodMs?: number;
  /**
   * Default true. When false, a queued build waits as a BlockedItem ("Build #N is already in
   * progress") while another build of the job runs, like a freestyle job without "Execute concurrent builds".
   */
  concurrentBuild?: boolean;
  script: SimBuildScript;
}

export interface SimUser {
  user: string;
  /** Basic auth with the API token: CSRF-exempt (ApiCrumbExclusion). */
  apiToken: string;
  /** Basic auth with the password: POSTs need a crumb bound to the session cookie. */
  password?: string;
}

export interface JenkinsSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (free port). */
  port?: number;
  /** Configured root URL used in JSON `url` fields. Default `http://<host>:<port>/`. */
  rootUrl?: string;
  users?: SimUser[];
  /** Executors shared by all builds. Default 2. */
  executors?: number;
  /** Default quiet period (Jenkins' global 5 s, shortened for tests). Default 100 ms. */
  quietPeriodMs?: number;
  /** How long a left queue item stays readable (Jenkins: 5 min). Default 300 000 ms. */
  leftItemRetentionMs?: number;
  /** Time between the result being set (log still open) and completion. Default 50 ms. */
  postProductionMs?: number;
  /**
   * Real Jenkins shows a started item as `LeftItem` with `executable:null` for a moment. When true
   * (default), the first read of each started item's JSON returns that transient state.
   */
  transientLeftItem?: boolean;
  jobs?: SimJobDefinition[];
  /** Notification plugin endpoints (every job, or each endpoint's `jobs`); see `setNotificationEndpoints`. */
  notificationEndpoints?: SimNotificationEndpoint[];
}

/** `building` → `post-production` (result set, log open) → `completed`. */
export type SimBuildState = 'building' | 'post-production' | 'completed';

export interface SimBuildInfo {
  job: string;
  number: number;
  queueId: number;
  params: Record<string, string>;
  result: SimResult | null;
  state: SimBuildState;
  /** Archived relative paths, in Jenkins' listing order. */
  artifacts: string[];
  /** The console log so far (CRLF line endings). */
  log: string;
  startedAt: number;
  durationMs: number;
}

export interface SimRequestRecord {
  /** Arrival time (Date.now()), for request-rate measurements. */
  at: number;
  method: string;
  /** Raw (still percent-encoded) path. */
  path: string;
  query: Record<string, string>;
  /** 0 when the connection was reset by `setDown('reset')`. */
  status: number;
  authUser?: string;
  authKind?: 'token' | 'password';
  /** Value of the `Jenkins-Crumb` header, when sent. */
  crumb?: string;
}

export type SimDownMode = false | 'reset' | '503';

export interface JenkinsSimulator {
  /** Base URL with trailing slash (the root URL). */
  readonly url: string;
  close(): Promise<void>;
  addJob(def: SimJobDefinition): void;
  /** Builds of a job, oldest first, for assertions. */
  builds(job: string): SimBuildInfo[];
  /** Every request received, in arrival order. */
  readonly requests: ReadonlyArray<SimRequestRecord>;
  /** `reset` destroys every connection on arrival; `503` answers Service Unavailable; `false` = up. */
  setDown(mode: SimDownMode | true): void;
  /** Resolves once the queue is empty and no build is running (rejects after `timeoutMs`, default 10 s). */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /** Removes a build (and its files) as if an admin deleted it; a running one is aborted first. */
  deleteBuild(job: string, number: number): void;
  /**
   * Replaces the Notification plugin endpoints (e.g. once the bridge's port is known). Builds
   * already running use the new list from their next phase on. Throws on a non-http(s) URL.
   */
  setNotificationEndpoints(endpoints: SimNotificationEndpoint[]): void;
  /** Every notification delivery made, in order (one record per endpoint, phase and attempt). */
  readonly notifications: ReadonlyArray<SimNotificationRecord>;
  /** Resolves once no notification delivery is in flight (rejects after `timeoutMs`, default 10 s). */
  waitForNotifications(timeoutMs?: number): Promise<void>;
}
