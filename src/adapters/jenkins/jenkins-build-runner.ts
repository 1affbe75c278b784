import type { Readable } from 'node:stream';
import { PermanentError, TransientError } from '../../core/errors';
import { redactor } from '../../core/redact';
import type { BuildArtifactFile, BuildObservation, BuildRef, BuildRunner, ObserveRequest, ProjectInfo } from '../../ports/build-runner';
import type { Logger } from '../../ports/logger';
import { BatchObserver } from './batch-observer';
import { BuildLocator, type Correlation } from './build-lookup';
import { BuildObserver, type StartedRef } from './build-observer';
import { BuildStopper } from './build-stopper';
import { openArtifactStream, readLogTail } from './build-streams';
import { SYSTEM, errorForStatus, headersOf, statusOf, toBridgeError } from './jenkins-errors';
import { ArtifactsJson, JobJson, RootJson, TREE } from './jenkins-json';
import { compileJenkinsSettings, type JenkinsBuildRunnerOptions } from './jenkins-options';
import { JenkinsRequests } from './jenkins-requests';
import { jobPath, jobSegments } from './job-path';
import { ProjectInfoCache } from './project-cache';
import { queueIdFromLocation } from './queue-location';

/**
 * BuildRunner over the Jenkins REST API with the `jenkins` client, user + API token.
 *
 * Trigger returns the queue id from `Location` (201, or 303 when Jenkins folded the request into an
 * identical queued item). A trigger that failed with a TransientError may or may not have queued a
 * build: the CORE handles that by calling `observe({ project }, correlation)` before retrying, which
 * looks for a queued item or build carrying the correlation parameter (no queue id needed).
 *
 * Observe follows queue item → build (`executable.number`, never a guessed number) → end of build;
 * when the queue item expired (~5 min) it falls back to the job's builds by `queueId`, then by the
 * correlation parameter (build-observer.ts). observeMany does the same for many builds with one
 * list read per job plus one queue read (batch-observer.ts). describeProject answers are reused
 * for a short TTL (project-cache.ts).
 */
export class JenkinsBuildRunner implements BuildRunner {
  private readonly requests: JenkinsRequests;
  private readonly locator: BuildLocator;
  private readonly stopper: BuildStopper;
  private readonly observer: BuildObserver;
  private readonly batch: BatchObserver;
  private readonly projects: ProjectInfoCache;

  constructor(
    options: JenkinsBuildRunnerOptions,
    private readonly logger: Logger,
  ) {
    const settings = compileJenkinsSettings(options);
    // Masked wherever they might surface (error causes, debug metadata).
    redactor.addSecret(options.apiToken);
    redactor.addSecret(settings.authorization.slice('Basic '.length));
    this.requests = new JenkinsRequests(settings, logger);
    this.locator = new BuildLocator(this.requests, logger);
    this.stopper = new BuildStopper(this.requests, this.locator, logger);
    this.observer = new BuildObserver(this.requests, this.locator, logger);
    this.projects = new ProjectInfoCache(settings.projectCacheTtlMs);
    this.batch = new BatchObserver(this.requests, this.observer, logger, {
      checkedName: (project) => this.checkedName(project),
      jobMissing: (project) => this.projects.invalidate(project),
    });
  }

  async describeProject(project: string, signal?: AbortSignal): Promise<ProjectInfo> {
    const name = this.checkedName(project);
    return this.projects.get(name, (shared) => this.readProject(name, shared), signal);
  }

  async trigger(project: string, parameters: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<BuildRef> {
    const name = this.checkedName(project);
    try {
      return await this.queueBuild(name, parameters, signal);
    } catch (error) {
      // The job changed under us (deleted, disabled, parameters removed): describe it afresh.
      if (error instanceof PermanentError && error.failureType === 'ConfigurationError') this.projects.invalidate(name);
      throw error;
    }
  }

  private async queueBuild(name: string, parameters: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<BuildRef> {
    const ctx = this.requests.context(`triggering Jenkins job "${name}"`);
    const withParameters = Object.keys(parameters).length > 0;
    let status: number;
    let location: string | string[] | undefined;
    try {
      const response = await this.requests.run(signal, async (client, call) => {
        // Object form only: job.build(name, {A: '1'}) would drop the parameters (utils.parse).
        await client.job.build(withParameters ? { name, parameters: { ...parameters } } : { name });
        return call.lastResponse;
      });
      status = response?.statusCode ?? 0;
      location = response?.headers.location;
    } catch (error) {
      // 303: the request was folded into an identical queued item (≥ 2.308). The client throws,
      // but the Location names that existing item: it is our build too.
      if (statusOf(error) !== 303) {
        if (statusOf(error) === 404) throw this.jobNotFound(name, error);
        throw toBridgeError(error, ctx);
      }
      status = 303;
      location = headersOf(error).location;
    }
    const queueId = queueIdFromLocation(location);
    if (queueId === undefined) throw this.notQueued(name, status, location, ctx);
    const ref: BuildRef = { project: name, queueId, url: this.requests.url(`queue/item/${queueId}/`).href };
    if (status === 303) {
      this.logger.warn('Jenkins folded the trigger into an identical queued item (303 See Other)', { project: name, queueId });
    } else {
      this.logger.debug('Jenkins build queued', { project: name, queueId, parameters: Object.keys(parameters) });
    }
    return ref;
  }

  async observe(ref: BuildRef, correlation: Correlation, signal?: AbortSignal): Promise<BuildObservation> {
    return this.observer.observe({ ...ref, project: this.checkedName(ref.project) }, correlation, signal);
  }

  async observeMany(requests: readonly ObserveRequest[], signal?: AbortSignal): Promise<PromiseSettledResult<BuildObservation>[]> {
    return this.batch.observeMany(requests, signal);
  }

  async listArtifacts(ref: StartedRef, signal?: AbortSignal): Promise<BuildArtifactFile[]> {
    const project = this.checkedName(ref.project);
    const ctx = this.requests.context(`listing the artifacts of build #${ref.buildNumber} of "${project}"`);
    let body: unknown;
    try {
      body = await this.requests.run(signal, (client) => client.build.get({ name: project, number: ref.buildNumber, tree: TREE.artifacts }));
    } catch (error) {
      if (statusOf(error) === 404) throw new PermanentError(`Jenkins build #${ref.buildNumber} of "${project}" no longer exists`, 'JobFailed', { cause: error });
      throw toBridgeError(error, ctx);
    }
    return (this.requests.parse(ArtifactsJson, body, ctx).artifacts ?? []).map((a) => ({ path: a.relativePath }));
  }

  openArtifact(ref: StartedRef, path: string, signal?: AbortSignal): Promise<Readable> {
    return openArtifactStream(this.requests, this.checkedName(ref.project), ref.buildNumber, path, signal);
  }

  logTail(ref: StartedRef, maxBytes: number, signal?: AbortSignal): Promise<string> {
    return readLogTail(this.requests, this.checkedName(ref.project), ref.buildNumber, maxBytes, signal);
  }

  stop(ref: BuildRef, signal?: AbortSignal): Promise<void> {
    return this.stopper.stop({ ...ref, project: this.checkedName(ref.project) }, signal);
  }

  async ping(signal?: AbortSignal): Promise<void> {
    const ctx = this.requests.context('checking the connection to Jenkins');
    let body: unknown;
    try {
      body = await this.requests.run(signal, (client) => client.info({ tree: TREE.root }));
    } catch (error) {
      throw toBridgeError(error, ctx);
    }
    this.requests.parse(RootJson, body, ctx);
  }

  private async readProject(name: string, signal: AbortSignal): Promise<ProjectInfo> {
    const ctx = this.requests.context(`reading Jenkins job "${name}"`);
    let body: unknown;
    try {
      body = await this.requests.run(signal, (client) => client.job.get({ name, tree: TREE.job }));
    } catch (error) {
      if (statusOf(error) === 404) throw this.jobNotFound(name, error);
      throw toBridgeError(error, ctx);
    }
    const job = this.requests.parse(JobJson, body, ctx);
    if (job.buildable === undefined) {
      throw new PermanentError(
        `Jenkins item "${name}" at ${this.jobUrl(name)} is not a buildable job (${job._class ?? 'a folder'})`,
        'ConfigurationError',
      );
    }
    const parameters = new Set<string>();
    for (const property of job.property ?? []) {
      for (const definition of property?.parameterDefinitions ?? []) parameters.add(definition.name);
    }
    return { name: job.fullName ?? name, parameters: [...parameters], buildable: job.buildable, url: job.url ?? this.jobUrl(name) };
  }

  /** 302 without a queue item: `sendRedirect(".")` to the job when scheduling returned null. */
  private notQueued(project: string, status: number, location: string | string[] | undefined, ctx: { what: string; user: string }): Error {
    const target = typeof location === 'string' ? location : '';
    let toJob = false;
    try {
      toJob = new URL(target, this.requests.settings.base).pathname.endsWith(`/${jobPath(project)}`);
    } catch {
      /* unparsable Location */
    }
    if (status === 302 && !toJob) return errorForStatus(302, { location: target }, undefined, ctx);
    return new TransientError(
      `Jenkins did not queue the build of "${project}": it answered HTTP ${status} ${toJob ? 'to the job page ' : ''}without a queue item ` +
        '(the job is not buildable at this moment, or a queue decision handler vetoed it)',
      SYSTEM,
    );
  }

  private jobNotFound(project: string, cause: unknown): PermanentError {
    return new PermanentError(`Jenkins job "${project}" not found at ${this.jobUrl(project)}`, 'ConfigurationError', { cause });
  }

  private jobUrl(project: string): string {
    return this.requests.url(jobPath(project)).href;
  }

  private checkedName(project: string): string {
    if (jobSegments(project).length === 0) throw new PermanentError(`Invalid Jenkins job name "${project}"`, 'ConfigurationError');
    return jobSegments(project).join('/');
  }
}

export function createJenkinsBuildRunner(options: JenkinsBuildRunnerOptions, logger: Logger): BuildRunner {
  return new JenkinsBuildRunner(options, logger);
}
