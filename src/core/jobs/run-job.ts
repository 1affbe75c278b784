import type { ArtifactStore } from '../../ports/artifact-store';
import type { BuildObservation, BuildRef, BuildRunner } from '../../ports/build-runner';
import type { Clock } from '../../ports/clock';
import type { JobSource } from '../../ports/job-source';
import type { Logger } from '../../ports/logger';
import type { JobFailure, JobSuccess, PipelineJob } from '../../ports/pipeline-job';
import { createZipStream } from '../artifacts/zip-stream';
import { isAbortError, JobNoLongerActiveError, networkErrorCode, OutageError, PermanentError, TransientError } from '../errors';
import type { Redactor } from '../redact';
import { withRetry, type RetryPolicy } from '../retry';
import type { ActiveJobs } from './active-jobs';
import type { ArtifactTokens } from './artifact-tokens';
import { buildParameters, CORRELATION_PARAMETER, PROJECT_NAME_KEY, REQUIRED_PARAMETERS } from './build-parameters';
import { JobCredentials } from './job-credentials';
import { OUTPUT_VARIABLES_FILE, planOutputs, type OutputPlan } from './output-mapping';
import { parseOutputVariables } from './output-variables';
import { formatBytes, formatDuration, keepTail, percentComplete, truncate } from './progress';

export interface JobRunnerSettings {
  statusIntervalMs: number;
  queueTimeoutMs: number;
  credentialsRefreshMs: number;
  logTailBytes: number;
  retry: RetryPolicy;
  /** Base URL under which builds reach this bridge, without trailing slash. */
  publicUrl: string;
}

export interface JobRunnerDeps {
  source: JobSource;
  runner: BuildRunner;
  store: ArtifactStore;
  clock: Clock;
  logger: Logger;
  active: ActiveJobs;
  tokens: ArtifactTokens;
  redactor: Redactor;
  settings: JobRunnerSettings;
}

export type JobOutcome =
  | { kind: 'succeeded'; buildNumber: number }
  | { kind: 'failed'; failure: JobFailure }
  /** CodePipeline no longer accepts a result (timed out, stopped, superseded). */
  | { kind: 'abandoned'; reason: string }
  /** The result could not be delivered (CodePipeline unreachable); the job will time out there. */
  | { kind: 'unreported'; reason: string };

type CompletedBuild = Extract<BuildObservation, { state: 'completed' }>;

const MAX_OUTPUT_VARIABLES_FILE = 256 * 1024;
const FOLLOW_FIRST_DELAY_MS = 250;
const FAILURE_MESSAGE_MAX = 5000;
const SUMMARY_MAX = 2048;
/**
 * A result report has a life of its own: once the work is done (or has failed), a shutdown abort
 * of the job must not swallow the report. Bounded so a dead CodePipeline cannot hold shutdown.
 */
const REPORT_TIMEOUT_MS = 30_000;

/**
 * Runs one acknowledged CodePipeline job as a Jenkins build, from parameter checks to the result
 * report. Every failure path ends in PutJobFailureResult (never silence); only a job CodePipeline
 * no longer accepts, or a report CodePipeline cannot take, ends without one.
 */
export class JobRunner {
  constructor(private readonly deps: JobRunnerDeps) {}

  async run(job: PipelineJob, signal: AbortSignal): Promise<JobOutcome> {
    const { active, clock, source, settings, redactor } = this.deps;
    const log = this.deps.logger.child({
      jobId: job.id,
      pipeline: job.pipeline.pipelineName,
      executionId: job.pipeline.pipelineExecutionId,
      stage: job.pipeline.stage,
      action: job.pipeline.action,
    });
    const access = new JobCredentials(job, source, clock, settings.credentialsRefreshMs, redactor, signal);
    const state = { log, buildRef: undefined as BuildRef | undefined };
    active.add({ job, access, phase: 'acknowledged', startedAt: clock.now() });
    try {
      let result: JobSuccess;
      try {
        result = await this.execute(job, access, state, signal);
      } catch (error) {
        return await this.fail(job, error, state);
      }
      active.update(job.id, { phase: 'reporting', percentComplete: 100 });
      const reported = await this.report(job, state, (s) => source.putSuccess(job.id, result, s), AbortSignal.timeout(REPORT_TIMEOUT_MS));
      if (reported) {
        state.log.info('job succeeded', { summary: result.executionDetails?.summary });
        return { kind: 'succeeded', buildNumber: Number(result.executionDetails?.externalExecutionId) };
      }
      return reported === false ? { kind: 'unreported', reason: 'PutJobSuccessResult failed' } : { kind: 'abandoned', reason: 'job no longer active' };
    } finally {
      active.remove(job.id);
      access.dispose();
    }
  }

  private async execute(
    job: PipelineJob,
    access: JobCredentials,
    state: { log: Logger; buildRef: BuildRef | undefined },
    signal: AbortSignal,
  ): Promise<JobSuccess> {
    const { runner, active, tokens, settings } = this.deps;
    const project = job.configuration[PROJECT_NAME_KEY]?.trim();
    if (!project) {
      throw new PermanentError(`The action configuration has no "${PROJECT_NAME_KEY}": set it to the Jenkins job to run (folders as "team/app/build").`, 'ConfigurationError');
    }
    active.update(job.id, { project, phase: 'triggering' });
    const info = await this.retry(() => runner.describeProject(project, signal), signal, state.log);
    if (!info.buildable) {
      throw new PermanentError(`Jenkins job "${project}" cannot be built (disabled, or a folder).`, 'ConfigurationError');
    }
    const missing = REQUIRED_PARAMETERS.filter((name) => !info.parameters.includes(name));
    if (missing.length > 0) {
      throw new PermanentError(
        `Jenkins job "${project}" does not declare the parameter(s) ${missing.join(', ')}. ` +
          'Jenkins drops undeclared parameters, so the build could not see its inputs; add them as string parameters (see jenkinsfiles/).',
        'ConfigurationError',
      );
    }

    const token = tokens.issue(job.id);
    const parameters = buildParameters(
      job,
      (name) => `${settings.publicUrl}/artifacts/${encodeURIComponent(job.id)}/${encodeURIComponent(name)}?token=${token}`,
    );
    const correlation = { name: CORRELATION_PARAMETER, value: job.id };
    const queued = await this.trigger(project, parameters, correlation, state.log, signal);
    state.buildRef = queued;
    state.log.info('build requested', { project, queueId: queued.queueId, url: queued.url });

    const build = await this.follow(job, queued, correlation, state, signal);
    const label = `Jenkins build #${build.ref.buildNumber} of ${project}`;
    if (build.result !== 'SUCCESS') {
      throw new PermanentError(await this.failureMessage(build, label, signal, state.log), 'JobFailed');
    }

    active.update(job.id, { phase: 'uploading' });
    const archived = await this.retry(() => runner.listArtifacts(build.ref, signal), signal, state.log);
    const outputVariables = archived.some((f) => f.path === OUTPUT_VARIABLES_FILE)
      ? await this.readOutputVariables(build.ref, signal, state.log)
      : undefined;
    const plans = planOutputs(job.outputArtifacts, archived, label);
    let totalBytes = 0;
    for (const plan of plans) {
      const bytes = await this.retry(() => this.upload(plan, build.ref, access, signal), signal, state.log);
      totalBytes += bytes;
      state.log.info('output artifact uploaded', {
        artifact: plan.artifact.name,
        bucket: plan.artifact.location.bucket,
        key: plan.artifact.location.key,
        files: plan.files.length,
        bytes,
      });
    }
    const summary =
      `Jenkins build #${build.ref.buildNumber} ${build.result} in ${formatDuration(build.durationMs)}` +
      (plans.length ? `; ${plans.length} output artifact(s), ${formatBytes(totalBytes)}` : '') +
      (outputVariables ? `; ${Object.keys(outputVariables).length} output variable(s)` : '');
    return {
      executionDetails: {
        summary: truncate(summary, SUMMARY_MAX),
        externalExecutionId: String(build.ref.buildNumber),
        percentComplete: 100,
      },
      ...(outputVariables && Object.keys(outputVariables).length ? { outputVariables } : {}),
    };
  }

  /**
   * Queues the build. A trigger that failed transiently may still have queued it: before each retry
   * look for a build carrying this job's id; an identical still-queued request is folded by Jenkins
   * into the existing item (same queue id), so a retry never starts a second build.
   */
  private async trigger(
    project: string,
    parameters: Record<string, string>,
    correlation: { name: string; value: string },
    log: Logger,
    signal: AbortSignal,
  ): Promise<BuildRef> {
    const { runner } = this.deps;
    return this.retry(
      async (attempt) => {
        if (attempt > 0) {
          const found = await runner.observe({ project }, correlation, signal);
          if (found.state !== 'missing') return found.ref;
        }
        return runner.trigger(project, parameters, signal);
      },
      signal,
      log,
    );
  }

  private async follow(
    job: PipelineJob,
    initial: BuildRef,
    correlation: { name: string; value: string },
    state: { log: Logger; buildRef: BuildRef | undefined },
    signal: AbortSignal,
  ): Promise<CompletedBuild> {
    const { runner, clock, active, settings } = this.deps;
    const queuedAt = clock.now();
    let ref = initial;
    let announced = false;
    let lastState: BuildObservation['state'] | undefined;
    let delay = FOLLOW_FIRST_DELAY_MS;
    for (;;) {
      const observation = await this.retry(() => runner.observe(ref, correlation, signal), signal, state.log);
      ref = observation.ref;
      state.buildRef = ref;
      // Look again soon after each change (short builds finish within a second), then settle at the
      // status interval: 250, 500, 1000, 2000 ms … so long builds cost one request per interval.
      if (observation.state !== lastState) delay = FOLLOW_FIRST_DELAY_MS;
      lastState = observation.state;
      switch (observation.state) {
        case 'completed':
          active.update(job.id, { percentComplete: 100 });
          state.log.info('build finished', { buildNumber: observation.ref.buildNumber, result: observation.result, durationMs: observation.durationMs });
          return observation;
        case 'running': {
          if (!announced) {
            announced = true;
            state.log = state.log.child({ buildNumber: observation.ref.buildNumber, buildUrl: observation.ref.url });
            state.log.info('build started');
          }
          const percent = percentComplete(observation.startedAt, observation.estimatedDurationMs, clock.now());
          active.update(job.id, { phase: 'running', buildNumber: observation.ref.buildNumber, buildUrl: observation.ref.url, percentComplete: percent });
          break;
        }
        case 'queued':
          active.update(job.id, { phase: 'queued' });
          if (clock.now() - queuedAt > settings.queueTimeoutMs) {
            await runner.stop(ref, signal).catch((error: unknown) => state.log.warn('could not cancel the queued build', { error }));
            throw new PermanentError(
              `The Jenkins build of "${ref.project}" stayed queued for ${formatDuration(clock.now() - queuedAt)} and was cancelled` +
                (observation.why ? `: ${observation.why}` : '.'),
            );
          }
          break;
        case 'cancelled':
          throw new PermanentError(`The Jenkins queue item #${ref.queueId ?? '?'} of "${ref.project}" was cancelled before the build started.`);
        case 'missing':
          throw new PermanentError(`The Jenkins build of "${ref.project}" vanished: ${observation.reason}`);
      }
      await clock.sleep(Math.min(delay, settings.statusIntervalMs), signal);
      delay *= 2;
    }
  }

  private async upload(plan: OutputPlan, build: BuildRef & { buildNumber: number }, access: JobCredentials, signal: AbortSignal): Promise<number> {
    const { runner, store } = this.deps;
    async function* entries() {
      for (const file of plan.files) {
        yield { path: file.path, size: file.size, open: () => runner.openArtifact(build, file.source, signal) };
      }
    }
    const zip = createZipStream(entries(), { signal });
    const [put, done] = await Promise.allSettled([
      store.put(plan.artifact.location, zip.stream, { contentType: 'application/zip' }, access, signal),
      zip.done,
    ]);
    // The zip side's error is the cause when both failed (the upload only saw a broken stream).
    const error = done.status === 'rejected' ? done.reason : put.status === 'rejected' ? put.reason : undefined;
    if (error !== undefined) {
      if (!(error instanceof TransientError) && networkErrorCode(error)) {
        throw new TransientError(`artifact transfer interrupted: ${(error as Error).message}`, 'jenkins', { cause: error });
      }
      throw error;
    }
    return put.status === 'fulfilled' ? put.value.bytes : 0;
  }

  private async readOutputVariables(build: BuildRef & { buildNumber: number }, signal: AbortSignal, log: Logger): Promise<Record<string, string>> {
    const text = await this.retry(
      async () => {
        const stream = await this.deps.runner.openArtifact(build, OUTPUT_VARIABLES_FILE, signal);
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of stream) {
          size += (chunk as Buffer).length;
          if (size > MAX_OUTPUT_VARIABLES_FILE) {
            stream.destroy();
            throw new PermanentError(`${OUTPUT_VARIABLES_FILE} is larger than ${formatBytes(MAX_OUTPUT_VARIABLES_FILE)}`);
          }
          chunks.push(chunk as Buffer);
        }
        return Buffer.concat(chunks).toString('utf8');
      },
      signal,
      log,
    );
    return parseOutputVariables(text);
  }

  private async failureMessage(build: CompletedBuild, label: string, signal: AbortSignal, log: Logger): Promise<string> {
    const head = `${label} finished ${build.result} after ${formatDuration(build.durationMs)}.${build.ref.url ? ` ${build.ref.url}` : ''}`;
    let tail = '';
    try {
      tail = await this.retry(() => this.deps.runner.logTail(build.ref, this.deps.settings.logTailBytes, signal), signal, log);
    } catch (error) {
      if (isAbortError(error)) throw error;
      log.warn('could not read the console log tail', { error });
    }
    if (!tail.trim()) return truncate(head, FAILURE_MESSAGE_MAX);
    const prefix = `${head}\nLast lines of the console log:\n`;
    return prefix + keepTail(tail.trimEnd(), FAILURE_MESSAGE_MAX - prefix.length);
  }

  private async fail(job: PipelineJob, error: unknown, state: { log: Logger; buildRef: BuildRef | undefined }): Promise<JobOutcome> {
    const raw = toFailure(error, state.buildRef);
    // The message leaves the bridge: scrub it like a log line (an internal error may quote a URL).
    const failure = { ...raw, message: this.deps.redactor.redactString(raw.message) };
    if (error instanceof JobNoLongerActiveError) {
      state.log.warn('job is no longer active in CodePipeline', { reason: error.message });
      return { kind: 'abandoned', reason: error.message };
    }
    // Permanent failures are the build's or the configuration's: the message says it all. Anything
    // else (outage, bug) gets the full error with its stack.
    if (error instanceof PermanentError) state.log.warn('job failed', { failureType: failure.type, message: failure.message });
    else state.log.error('job failed', { failureType: failure.type, error });
    const reported = await this.report(job, state, (s) => this.deps.source.putFailure(job.id, failure, s), AbortSignal.timeout(REPORT_TIMEOUT_MS));
    if (reported === undefined) return { kind: 'abandoned', reason: 'job no longer active' };
    return reported ? { kind: 'failed', failure } : { kind: 'unreported', reason: 'PutJobFailureResult failed' };
  }

  /** true: reported; undefined: CodePipeline refused because the job is no longer active; false: could not report. */
  private async report(
    job: PipelineJob,
    state: { log: Logger; buildRef: BuildRef | undefined },
    put: (signal: AbortSignal) => Promise<void>,
    signal: AbortSignal,
  ): Promise<boolean | undefined> {
    try {
      await this.retry(() => put(signal), signal, state.log);
      return true;
    } catch (error) {
      if (error instanceof JobNoLongerActiveError) {
        state.log.warn('CodePipeline no longer accepts a result for this job', { reason: error.message });
        if (state.buildRef?.buildNumber !== undefined || state.buildRef?.queueId !== undefined) {
          await this.deps.runner.stop(state.buildRef).catch((stopError: unknown) => state.log.warn('could not stop the Jenkins build', { error: stopError }));
        }
        return undefined;
      }
      state.log.error('could not report the job result', { error, jobId: job.id });
      return false;
    }
  }

  private retry<T>(fn: (attempt: number) => Promise<T>, signal: AbortSignal, log: Logger): Promise<T> {
    return withRetry(fn, {
      policy: this.deps.settings.retry,
      clock: this.deps.clock,
      signal,
      onRetry: (error, delayMs, attempt) => log.warn('transient failure, retrying', { system: error.system, message: error.message, delayMs, attempt: attempt + 1 }),
    });
  }
}

/** Maps any error to the failure CodePipeline is told about. Unexpected errors still become a report. */
export function toFailure(error: unknown, buildRef: BuildRef | undefined): JobFailure {
  const externalExecutionId = buildRef?.buildNumber !== undefined ? String(buildRef.buildNumber) : undefined;
  const withId = (f: JobFailure): JobFailure => (externalExecutionId ? { ...f, externalExecutionId } : f);
  if (error instanceof PermanentError) return withId({ type: error.failureType, message: truncate(error.message, FAILURE_MESSAGE_MAX) });
  if (error instanceof OutageError) {
    return withId({ type: 'SystemUnavailable', message: truncate(`${error.system === 'jenkins' ? 'Jenkins' : error.system} stayed unreachable: ${error.message}`, FAILURE_MESSAGE_MAX) });
  }
  if (isAbortError(error)) {
    return withId({
      type: 'SystemUnavailable',
      message: `pipeline-bridge shut down before the job finished${externalExecutionId ? ` (Jenkins build #${externalExecutionId} may still be running)` : ''}; retry the action.`,
    });
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return withId({ type: 'JobFailed', message: truncate(`Internal error in pipeline-bridge: ${message}`, FAILURE_MESSAGE_MAX) });
}
