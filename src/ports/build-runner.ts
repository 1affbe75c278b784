import type { Readable } from 'node:stream';

/** A build that was requested. `queueId` is known after trigger; `buildNumber` once it started. */
export interface BuildRef {
  project: string;
  queueId?: number;
  buildNumber?: number;
  /** Human-facing URL of the build (or queue item) for logs and summaries. */
  url?: string;
}

export type BuildResult = 'SUCCESS' | 'UNSTABLE' | 'FAILURE' | 'NOT_BUILT' | 'ABORTED';

export type BuildObservation =
  /** Still waiting in the queue; `why` is the runner's own explanation. */
  | { state: 'queued'; ref: BuildRef; why?: string; stuck?: boolean }
  /** Cancelled before it started (no build exists). */
  | { state: 'cancelled'; ref: BuildRef }
  | {
      state: 'running';
      ref: BuildRef & { buildNumber: number };
      startedAt?: number;
      estimatedDurationMs?: number;
    }
  | {
      state: 'completed';
      ref: BuildRef & { buildNumber: number };
      result: BuildResult;
      startedAt?: number;
      durationMs: number;
      /** The result and artifacts are final, but the console log is still being written. */
      logOpen?: boolean;
    }
  /** The build (or queue item) can no longer be found. */
  | { state: 'missing'; ref: BuildRef; reason: string };

export interface ProjectInfo {
  /** Full name as the runner knows it (e.g. `team/app/build`). */
  name: string;
  /** Names of the parameters the project declares. */
  parameters: string[];
  buildable: boolean;
  url?: string;
}

/** One build to look at in a batched observation, with the correlation that finds it without a queue id. */
export interface ObserveRequest {
  ref: BuildRef;
  correlation: { name: string; value: string };
}

export interface BuildArtifactFile {
  /** Path relative to the build's artifact root, `/`-separated. */
  path: string;
  size?: number;
}

/**
 * Port to a build system (Jenkins today, CodeBuild later).
 * Implementations throw `core/errors`: PermanentError('ConfigurationError') for an unknown project,
 * TransientError for resets/5xx (callers retry), never transport types.
 */
export interface BuildRunner {
  /** Throws PermanentError with failureType ConfigurationError when the project does not exist. */
  describeProject(project: string, signal?: AbortSignal): Promise<ProjectInfo>;
  /** Queue a build with parameters. Returns the ref with its queueId; never guesses a build number. */
  trigger(project: string, parameters: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<BuildRef>;
  /**
   * One observation of a build: follows the queue item to its build, then the build to its end.
   * `correlation` (name/value of a unique parameter) lets it find the build when the queue item expired.
   */
  observe(ref: BuildRef, correlation: { name: string; value: string }, signal?: AbortSignal): Promise<BuildObservation>;
  /**
   * Observations of many builds in as few requests as the runner allows, so status checks cost the
   * same for 1 or 1,000 followed builds (Jenkins: one build-list read per job plus one queue read per
   * call, single reads only for items that changed phase; CodeBuild: BatchGetBuilds). Results are in
   * the order of `requests`; one item's failure rejects only that item. Throws (rejecting every item)
   * only when the whole call failed, e.g. the signal aborted.
   */
  observeMany(requests: readonly ObserveRequest[], signal?: AbortSignal): Promise<PromiseSettledResult<BuildObservation>[]>;
  listArtifacts(ref: BuildRef & { buildNumber: number }, signal?: AbortSignal): Promise<BuildArtifactFile[]>;
  openArtifact(ref: BuildRef & { buildNumber: number }, path: string, signal?: AbortSignal): Promise<Readable>;
  /** Last `maxBytes` bytes of the console log, decoded as UTF-8 (lossy), annotations stripped. */
  logTail(ref: BuildRef & { buildNumber: number }, maxBytes: number, signal?: AbortSignal): Promise<string>;
  /** Stop a running build, or cancel its queue item. Idempotent. */
  stop(ref: BuildRef, signal?: AbortSignal): Promise<void>;
  /** Resolves when the runner answered an authenticated request (readiness). */
  ping(signal?: AbortSignal): Promise<void>;
}
