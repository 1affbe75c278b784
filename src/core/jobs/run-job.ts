import pLimit from 'p-limit';
import type { ArtifactStore } from '../../ports/artifact-store';
import type { BuildObservation, BuildRef, BuildRunner } from '../../ports/build-runner';
import type { Clock } from '../../ports/clock';
import type { JobLedger, LedgerEntry, LedgerPatch, LedgerState } from '../../ports/job-ledger';
import type { JobSource } from '../../ports/job-source';
import type { Logger } from '../../ports/logger';
import type { JobFailure, JobSuccess, PipelineJob } from '../../ports/pipeline-job';
import { createZipStream } from '../artifacts/zip-stream';
import { isAbortError, JobNoLongerActiveError, networkErrorCode, OutageError, PermanentError, TransientError } from '../errors';
import type { Redactor } from '../redact';
import { withRetry, type RetryPolicy } from '../retry';
import type { ActiveJobs } from './active-jobs';
import type { ArtifactTokens } from './artifact-tokens';
import { BuildWatch } from './build-watch';
import { buildParameters, CORRELATION_PARAMETER, PROJECT_NAME_KEY, REQUIRED_PARAMETERS } from './build-parameters';
import { decodeContinuationToken, encodeContinuationToken, type ContinuationState } from './continuation-token';
import { JobCredentials } from './job-credentials';
import { OUTPUT_VARIABLES_FILE, planOutputs, type OutputPlan } from './output-mapping';
import { parseOutputVariables } from './output-variables';
import { formatBytes, formatDuration, keepTail, percentComplete, truncate } from './progress';

export interface JobRunnerSettings {
  statusIntervalMs: number;
  queueTimeoutMs: number;
  credentialsRefreshMs: number;
  /** A job whose build runs longer than this is handed over to a continuation job. */
  maxJobDurationMs: number;
  logTailBytes: number;
  retry: RetryPolicy;
  /** Base URL under which builds reach this bridge, without trailing slash. */
  publicUrl: string;
  /** Jobs publishing outputs at once (see JobRunner.finishing; config artifacts.maxConcurrentUploads); default 4. */
  maxConcurrentPublishes?: number;
}

export interface JobRunnerDeps {
  source: JobSource;
  runner: BuildRunner;
  store: ArtifactStore;
  ledger: JobLedger;
  clock: Clock;
  logger: Logger;
  active: ActiveJobs;
  tokens: ArtifactTokens;
  redactor: Redactor;
  settings: JobRunnerSettings;
  /** Shared status rounds for all jobs (and the sink of build notices); one per runner when absent. */
  watch?: BuildWatch;
}

/**
 * `handoff`: hand the job back to CodePipeline (continuation token) at its next safe point.
 * `abort`: stop now; the job still hands itself off (or reports) on a short timer of its own.
 */
export interface JobSignals {
  abort: AbortSignal;
  handoff: AbortSignal;
}

export type JobOutcome =
  | { kind: 'succeeded'; buildNumber: number }
  | { kind: 'failed'; failure: JobFailure }
  /** Returned to CodePipeline with a continuation token; a continuation job goes on with the build. */
  | { kind: 'handedOff'; buildNumber?: number }
  /** CodePipeline no longer accepts a result (timed out, stopped, superseded). */
  | { kind: 'abandoned'; reason: string }
  /** The result could not be delivered (CodePipeline unreachable); the ledger keeps the job for resume. */
  | { kind: 'unreported'; reason: string };

type CompletedBuild = Extract<BuildObservation, { state: 'completed' }>;
type Step = { kind: 'success'; result: JobSuccess } | { kind: 'handoff'; reason: string };

/** One job's run: what it knows so far, kept in step with its ledger entry. */
interface Run {
  job: PipelineJob;
  entry: LedgerEntry;
  log: Logger;
  access: JobCredentials;
  signals: JobSignals;
  /**
   * Fires on hand-off or abort: what the phases before the upload listen to, so a shutdown never
   * waits on (or starts) Jenkins work. Made once per job (not per request) to keep listeners few.
   */
  stop: AbortSignal;
  continuation?: ContinuationState;
  originalJobId: string;
  project?: string;
  ref?: BuildRef;
  chainStartedAt: number;
  startedAt: number;
}

const MAX_OUTPUT_VARIABLES_FILE = 256 * 1024;
const FOLLOW_FIRST_DELAY_MS = 250;
const DEFAULT_CONCURRENT_PUBLISHES = 4;
/** Longest wait for a failed build's console log to close before quoting its tail anyway. */
const LOG_CLOSE_WAIT_MS = 10_000;
const FAILURE_MESSAGE_MAX = 5000;
const SUMMARY_MAX = 2048;
/**
 * A result report has a life of its own: once the work is done (or has failed), a shutdown abort
 * of the job must not swallow the report. Bounded so a dead CodePipeline cannot hold shutdown.
 */
const REPORT_TIMEOUT_MS = 30_000;

/**
 * Runs one acknowledged CodePipeline job as a Jenkins build, from parameter checks to the result
 * report, recording each step in the ledger BEFORE the side effect it protects, so a restarted
 * bridge resumes exactly where this one stopped (never a second build, never a lost job).
 * Every failure path ends in PutJobFailureResult; a shutdown ends in a hand-off.
 */
export class JobRunner {
  private readonly watch: BuildWatch;
  /**
   * Publishing (artifact listing, zip → S3 upload, output variables) of at most this many jobs at
   * once. Builds that end together (one status round can complete 1,000 of them) would otherwise
   * all open Jenkins and S3 streams at the same moment: each upload holds up to
   * partSize × queueSize of part buffers, so memory is bounded by this limit, not by the burst.
   */
  private readonly finishing: pLimit.Limit;

  constructor(private readonly deps: JobRunnerDeps) {
    this.finishing = pLimit(deps.settings.maxConcurrentPublishes ?? DEFAULT_CONCURRENT_PUBLISHES);
    this.watch = deps.watch ?? new BuildWatch(deps.runner, deps.clock, { statusIntervalMs: deps.settings.statusIntervalMs }, deps.logger.child({ component: 'build-watch' }));
  }

  async run(job: PipelineJob, signals: JobSignals, entry: LedgerEntry): Promise<JobOutcome> {
    const { active, clock, source, settings, redactor } = this.deps;
    const log = this.deps.logger.child({
      jobId: job.id,
      pipeline: job.pipeline.pipelineName,
      executionId: job.pipeline.pipelineExecutionId,
      stage: job.pipeline.stage,
      action: job.pipeline.action,
    });
    const access = new JobCredentials(job, source, clock, settings.credentialsRefreshMs, redactor, signals.abort);
    const run: Run = {
      job,
      entry,
      log,
      access,
      signals,
      stop: AbortSignal.any([signals.abort, signals.handoff]),
      originalJobId: job.id,
      chainStartedAt: entry.createdAt,
      startedAt: clock.now(),
      ...(entry.project ? { project: entry.project } : {}),
      ...(entry.queueId !== undefined || entry.buildNumber !== undefined
        ? { ref: { project: entry.project ?? '', ...(entry.queueId !== undefined ? { queueId: entry.queueId } : {}), ...(entry.buildNumber !== undefined ? { buildNumber: entry.buildNumber } : {}) } }
        : {}),
    };
    try {
      if (job.continuationToken) this.adoptContinuation(run, decodeContinuationToken(job.continuationToken));
    } catch (error) {
      try {
        return await this.fail(run, error);
      } finally {
        access.dispose();
      }
    }
    active.add({ job, access, aliases: [run.originalJobId], phase: 'acknowledged', startedAt: run.startedAt, ...(run.project ? { project: run.project } : {}) });
    try {
      let step: Step;
      try {
        step = await this.execute(run);
      } catch (error) {
        if (isAbortError(error) && signals.abort.aborted && run.project) return await this.handOff(run, 'bridge shutting down');
        return await this.fail(run, error);
      }
      if (step.kind === 'handoff') return await this.handOff(run, step.reason);
      return await this.succeed(run, step.result);
    } finally {
      active.remove(job.id);
      access.dispose();
    }
  }

  /** A continuation job goes on with the build its first job started; the token says which. */
  private adoptContinuation(run: Run, state: ContinuationState): void {
    run.continuation = state;
    run.originalJobId = state.originalJobId;
    run.project = state.project;
    run.chainStartedAt = state.startedAt;
    if (!run.ref && (state.queueId !== undefined || state.buildNumber !== undefined)) {
      run.ref = { project: state.project, ...(state.queueId !== undefined ? { queueId: state.queueId } : {}), ...(state.buildNumber !== undefined ? { buildNumber: state.buildNumber } : {}) };
    }
    run.log = run.log.child({ continuationOf: state.originalJobId, hops: state.hops });
    run.log.info('continuation job: resuming the build of the first job', { project: state.project, queueId: state.queueId, buildNumber: state.buildNumber });
  }

  private async execute(run: Run): Promise<Step> {
    const { active } = this.deps;
    // A success decided before a crash (outputs already in S3): report it again, do nothing twice.
    if (run.entry.state === 'artifacts-uploaded' && run.entry.outcome?.kind === 'success' && run.entry.outcome.detail) {
      return { kind: 'success', result: JSON.parse(run.entry.outcome.detail) as JobSuccess };
    }
    let build: CompletedBuild | 'handoff';
    try {
      let fresh = false;
      if (!run.ref) {
        if (run.signals.handoff.aborted && run.project) return { kind: 'handoff', reason: 'bridge shutting down' };
        const started = await this.findOrStartBuild(run);
        run.ref = started.ref;
        fresh = started.fresh;
      } else if (run.entry.state !== 'build-known') {
        this.mark(run, 'build-known', this.refPatch(run.ref));
      }
      active.update(run.job.id, { project: run.ref.project });
      build = await this.follow(run, fresh);
    } catch (error) {
      // A hand-off interrupted a Jenkins call or a retry wait: hand over now. A trigger that may have
      // reached Jenkins is found by its correlation parameter by whoever continues.
      if (isAbortError(error) && run.signals.handoff.aborted && !run.signals.abort.aborted && run.project) {
        return { kind: 'handoff', reason: 'bridge shutting down' };
      }
      throw error;
    }
    if (build === 'handoff') return { kind: 'handoff', reason: run.signals.handoff.aborted ? 'bridge shutting down' : `build ran longer than ${formatDuration(this.deps.settings.maxJobDurationMs)} in one job` };
    const label = `Jenkins build #${build.ref.buildNumber} of ${build.ref.project}`;
    if (build.result !== 'SUCCESS') throw new PermanentError(await this.failureMessage(await this.logClosed(build, run), label, run), 'JobFailed');

    const result = await this.finishing(() => this.publish(run, build, label));
    this.mark(run, 'artifacts-uploaded', { outcome: { kind: 'success', detail: JSON.stringify(result) } });
    return { kind: 'success', result };
  }

  /**
   * Finds the build a previous run (or a lost trigger response) may have started, else checks the
   * Jenkins job and starts one. `build-requested` is recorded before the trigger is sent.
   */
  private async findOrStartBuild(run: Run): Promise<{ ref: BuildRef; fresh: boolean }> {
    const { runner, active, tokens, settings } = this.deps;
    const project = run.project ?? run.job.configuration[PROJECT_NAME_KEY]?.trim();
    if (!project) {
      throw new PermanentError(`The action configuration has no "${PROJECT_NAME_KEY}": set it to the Jenkins job to run (folders as "team/app/build").`, 'ConfigurationError');
    }
    run.project = project;
    const correlation = this.correlation(run);
    const mayExist = run.continuation !== undefined || run.entry.state === 'build-requested' || run.entry.state === 'build-known';
    if (mayExist) {
      const found = await this.retry(() => runner.observe({ project }, correlation, run.stop), run, run.stop);
      if (found.state !== 'missing') {
        run.log.info('found the build started before', { queueId: found.ref.queueId, buildNumber: found.ref.buildNumber });
        this.mark(run, 'build-known', { project, ...this.refPatch(found.ref) });
        return { ref: found.ref, fresh: false };
      }
    }

    active.update(run.job.id, { project, phase: 'triggering' });
    const info = await this.retry(() => runner.describeProject(project, run.stop), run, run.stop);
    if (!info.buildable) throw new PermanentError(`Jenkins job "${project}" cannot be built (disabled, or a folder).`, 'ConfigurationError');
    const missing = REQUIRED_PARAMETERS.filter((name) => !info.parameters.includes(name));
    if (missing.length > 0) {
      throw new PermanentError(
        `Jenkins job "${project}" does not declare the parameter(s) ${missing.join(', ')}. ` +
          'Jenkins drops undeclared parameters, so the build could not see its inputs; add them as string parameters (see jenkinsfiles/).',
        'ConfigurationError',
      );
    }
    // The build's identity and URLs are the first job's: a continuation job that had to start the
    // build (hand-off before the trigger) keeps the chain on one id.
    const token = tokens.issue(run.originalJobId);
    const parameters = buildParameters(
      { ...run.job, id: run.originalJobId },
      (name) => `${settings.publicUrl}/artifacts/${encodeURIComponent(run.originalJobId)}/${encodeURIComponent(name)}?token=${token}`,
    );
    this.mark(run, 'build-requested', { project });
    await this.durable(run);
    const ref = await this.trigger(project, parameters, correlation, run);
    this.mark(run, 'build-known', { project, ...this.refPatch(ref) });
    run.log.info('build requested', { project, queueId: ref.queueId, url: ref.url });
    return { ref, fresh: true };
  }

  /**
   * Queues the build. A trigger that failed transiently may still have queued it: before each retry
   * look for a build carrying this job's id; an identical still-queued request is folded by Jenkins
   * into the existing item (same queue id), so a retry never starts a second build.
   */
  private async trigger(project: string, parameters: Record<string, string>, correlation: { name: string; value: string }, run: Run): Promise<BuildRef> {
    const { runner } = this.deps;
    const signal = run.stop;
    return this.retry(async (attempt) => {
      if (attempt > 0) {
        const found = await runner.observe({ project }, correlation, signal);
        if (found.state !== 'missing') return found.ref;
      }
      return runner.trigger(project, parameters, signal);
    }, run, signal);
  }

  /**
   * Follows the build to its end, or returns 'handoff' at a safe point (shutdown, duration bound).
   * Looks go through the shared BuildWatch (batched rounds, notices); a fresh trigger is first looked
   * at after FOLLOW_FIRST_DELAY_MS, a resumed build at once.
   */
  private async follow(run: Run, fresh: boolean): Promise<CompletedBuild | 'handoff'> {
    const { runner, clock, active, settings } = this.deps;
    const correlation = this.correlation(run);
    const queuedSince = run.chainStartedAt;
    let ref = run.ref!;
    let announced = false;
    let lastState: BuildObservation['state'] | undefined;
    // Look again soon after each change (short builds finish within a second), then settle at the
    // status interval: 250, 500, 1000, 2000 ms … so long builds cost their share of one round per interval.
    const first = Math.min(FOLLOW_FIRST_DELAY_MS, settings.statusIntervalMs);
    let delay = fresh ? first : 0;
    for (;;) {
      let observation: BuildObservation;
      try {
        observation = await this.retry(() => this.watch.next(ref, correlation, delay, run.stop), run, run.stop);
      } catch (error) {
        if (isAbortError(error) && run.signals.handoff.aborted && !run.signals.abort.aborted) return 'handoff';
        throw error;
      }
      ref = observation.ref;
      run.ref = ref;
      if (observation.ref.buildNumber !== undefined && run.entry.buildNumber !== observation.ref.buildNumber) {
        this.mark(run, 'build-known', this.refPatch(observation.ref));
      }
      delay = observation.state !== lastState ? first : Math.min(Math.max(delay, 1) * 2, settings.statusIntervalMs);
      lastState = observation.state;
      switch (observation.state) {
        case 'completed':
          active.update(run.job.id, { percentComplete: 100 });
          run.log.info('build finished', { buildNumber: observation.ref.buildNumber, result: observation.result, durationMs: observation.durationMs });
          return observation;
        case 'running': {
          if (!announced) {
            announced = true;
            run.log = run.log.child({ buildNumber: observation.ref.buildNumber, buildUrl: observation.ref.url });
            run.log.info('build running');
          }
          const percent = percentComplete(observation.startedAt, observation.estimatedDurationMs, clock.now());
          active.update(run.job.id, { phase: 'running', buildNumber: observation.ref.buildNumber, buildUrl: observation.ref.url, percentComplete: percent });
          break;
        }
        case 'queued':
          active.update(run.job.id, { phase: 'queued' });
          if (clock.now() - queuedSince > settings.queueTimeoutMs) {
            await runner.stop(ref, run.signals.abort).catch((error: unknown) => run.log.warn('could not cancel the queued build', { error }));
            throw new PermanentError(
              `The Jenkins build of "${ref.project}" stayed queued for ${formatDuration(clock.now() - queuedSince)} and was cancelled` + (observation.why ? `: ${observation.why}` : '.'),
            );
          }
          break;
        case 'cancelled':
          throw new PermanentError(`The Jenkins queue item #${ref.queueId ?? '?'} of "${ref.project}" was cancelled before the build started.`);
        case 'missing':
          throw new PermanentError(`The Jenkins build of "${ref.project}" vanished: ${observation.reason}`);
      }
      if (run.signals.handoff.aborted || clock.now() - run.startedAt > settings.maxJobDurationMs) return 'handoff';
    }
  }

  /** Output artifacts and variables of a successful build; the success result to report. */
  private async publish(run: Run, build: CompletedBuild, label: string): Promise<JobSuccess> {
    const { runner, active } = this.deps;
    active.update(run.job.id, { phase: 'uploading' });
    const archived = await this.retry(() => runner.listArtifacts(build.ref, run.signals.abort), run);
    const outputVariables = archived.some((f) => f.path === OUTPUT_VARIABLES_FILE) ? await this.readOutputVariables(build.ref, run) : undefined;
    const plans = planOutputs(run.job.outputArtifacts, archived, label);
    let totalBytes = 0;
    for (const plan of plans) {
      const bytes = await this.retry(() => this.upload(plan, build.ref, run), run);
      totalBytes += bytes;
      run.log.info('output artifact uploaded', { artifact: plan.artifact.name, bucket: plan.artifact.location.bucket, key: plan.artifact.location.key, files: plan.files.length, bytes });
    }
    const summary =
      `Jenkins build #${build.ref.buildNumber} ${build.result} in ${formatDuration(build.durationMs)}` +
      (plans.length ? `; ${plans.length} output artifact(s), ${formatBytes(totalBytes)}` : '') +
      (outputVariables ? `; ${Object.keys(outputVariables).length} output variable(s)` : '');
    return {
      executionDetails: { summary: truncate(summary, SUMMARY_MAX), externalExecutionId: String(build.ref.buildNumber), percentComplete: 100 },
      ...(outputVariables && Object.keys(outputVariables).length ? { outputVariables } : {}),
    };
  }

  private async upload(plan: OutputPlan, build: BuildRef & { buildNumber: number }, run: Run): Promise<number> {
    const { runner, store } = this.deps;
    const signal = run.signals.abort;
    async function* entries() {
      for (const file of plan.files) yield { path: file.path, size: file.size, open: () => runner.openArtifact(build, file.source, signal) };
    }
    const zip = createZipStream(entries(), { signal });
    const [put, done] = await Promise.allSettled([store.put(plan.artifact.location, zip.stream, { contentType: 'application/zip' }, run.access, signal), zip.done]);
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

  private async readOutputVariables(build: BuildRef & { buildNumber: number }, run: Run): Promise<Record<string, string>> {
    const text = await this.retry(async () => {
      const stream = await this.deps.runner.openArtifact(build, OUTPUT_VARIABLES_FILE, run.signals.abort);
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
    }, run);
    return parseOutputVariables(text);
  }

  /**
   * A failed build whose console log is still open (POST_PRODUCTION, between Jenkins' COMPLETED and
   * FINALIZED): look again until it closes, for at most LOG_CLOSE_WAIT_MS, so the quoted tail is the
   * real end of the log. A success never waits: its result and artifacts are already final.
   */
  private async logClosed(build: CompletedBuild, run: Run): Promise<CompletedBuild> {
    const { clock, settings } = this.deps;
    const deadline = clock.now() + LOG_CLOSE_WAIT_MS;
    let current = build;
    let delay = Math.min(FOLLOW_FIRST_DELAY_MS, settings.statusIntervalMs);
    while (current.logOpen && clock.now() < deadline) {
      const next = await this.retry(() => this.watch.next(current.ref, this.correlation(run), delay, run.signals.abort), run);
      if (next.state !== 'completed') break;
      current = next;
      delay = Math.min(delay * 2, settings.statusIntervalMs);
    }
    return current;
  }

  private async failureMessage(build: CompletedBuild, label: string, run: Run): Promise<string> {
    const head = `${label} finished ${build.result} after ${formatDuration(build.durationMs)}.${build.ref.url ? ` ${build.ref.url}` : ''}`;
    let tail = '';
    try {
      tail = await this.retry(() => this.deps.runner.logTail(build.ref, this.deps.settings.logTailBytes, run.signals.abort), run);
    } catch (error) {
      if (isAbortError(error)) throw error;
      run.log.warn('could not read the console log tail', { error });
    }
    if (!tail.trim()) return truncate(head, FAILURE_MESSAGE_MAX);
    const prefix = `${head}\nLast lines of the console log:\n`;
    return prefix + keepTail(tail.trimEnd(), FAILURE_MESSAGE_MAX - prefix.length);
  }

  private async succeed(run: Run, result: JobSuccess): Promise<JobOutcome> {
    this.deps.active.update(run.job.id, { phase: 'reporting', percentComplete: 100 });
    await this.durable(run); // the outcome (outputs in S3) is on disk before CodePipeline hears it
    const reported = await this.report(run, (s) => this.deps.source.putSuccess(run.job.id, result, s));
    if (reported === true) {
      this.mark(run, 'reported', { outcome: { kind: 'success', detail: JSON.stringify(result) } });
      run.log.info('job succeeded', { summary: result.executionDetails?.summary });
      return { kind: 'succeeded', buildNumber: Number(result.executionDetails?.externalExecutionId) };
    }
    return reported === false ? { kind: 'unreported', reason: 'PutJobSuccessResult failed' } : { kind: 'abandoned', reason: 'job no longer active' };
  }

  /**
   * Returns the job to CodePipeline as "still working" with a continuation token naming the build.
   * CodePipeline then offers a continuation job, which this or any other bridge picks up and which
   * goes on following the same build.
   */
  private async handOff(run: Run, reason: string): Promise<JobOutcome> {
    const { active } = this.deps;
    const ref = run.ref;
    const token = encodeContinuationToken({
      originalJobId: run.originalJobId,
      project: run.project!,
      ...(ref?.queueId !== undefined ? { queueId: ref.queueId } : {}),
      ...(ref?.buildNumber !== undefined ? { buildNumber: ref.buildNumber } : {}),
      startedAt: run.chainStartedAt,
      hops: (run.continuation?.hops ?? 0) + 1,
    });
    const percent = active.get(run.job.id)?.percentComplete ?? 0;
    const where = ref?.buildNumber !== undefined ? `Jenkins build #${ref.buildNumber} of ${run.project}` : `the Jenkins build of ${run.project}`;
    const result: JobSuccess = {
      continuationToken: token,
      executionDetails: {
        summary: truncate(`${where} is still running; handed over to a continuation job (${reason}).`, SUMMARY_MAX),
        ...(ref?.buildNumber !== undefined ? { externalExecutionId: String(ref.buildNumber) } : {}),
        percentComplete: Math.min(99, percent),
      },
    };
    const reported = await this.report(run, (s) => this.deps.source.putSuccess(run.job.id, result, s));
    if (reported === true) {
      this.mark(run, 'handed-off', { outcome: { kind: 'handed-off', detail: reason } });
      run.log.info('job handed over to a continuation job', { reason, queueId: ref?.queueId, buildNumber: ref?.buildNumber });
      return { kind: 'handedOff', ...(ref?.buildNumber !== undefined ? { buildNumber: ref.buildNumber } : {}) };
    }
    return reported === false ? { kind: 'unreported', reason: 'hand-off could not be reported' } : { kind: 'abandoned', reason: 'job no longer active' };
  }

  private async fail(run: Run, error: unknown): Promise<JobOutcome> {
    const raw = toFailure(error, run.ref);
    // The message leaves the bridge: scrub it like a log line (an internal error may quote a URL).
    const failure = { ...raw, message: this.deps.redactor.redactString(raw.message) };
    if (error instanceof JobNoLongerActiveError) {
      run.log.warn('job is no longer active in CodePipeline', { reason: error.message });
      this.mark(run, 'abandoned', { outcome: { kind: 'abandoned', detail: error.message } });
      return { kind: 'abandoned', reason: error.message };
    }
    // Permanent failures are the build's or the configuration's: the message says it all. Anything
    // else (outage, bug) gets the full error with its stack.
    if (error instanceof PermanentError) run.log.warn('job failed', { failureType: failure.type, message: failure.message });
    else run.log.error('job failed', { failureType: failure.type, error });
    const reported = await this.report(run, (s) => this.deps.source.putFailure(run.job.id, failure, s));
    if (reported === undefined) return { kind: 'abandoned', reason: 'job no longer active' };
    if (!reported) return { kind: 'unreported', reason: 'PutJobFailureResult failed' };
    this.mark(run, 'reported', { outcome: { kind: 'failure', detail: `${failure.type}: ${truncate(failure.message, 500)}` } });
    return { kind: 'failed', failure };
  }

  /** true: reported; undefined: CodePipeline refused because the job is no longer active; false: could not report. */
  private async report(run: Run, put: (signal: AbortSignal) => Promise<void>): Promise<boolean | undefined> {
    const signal = AbortSignal.timeout(REPORT_TIMEOUT_MS);
    try {
      await withRetry(() => put(signal), { policy: this.deps.settings.retry, clock: this.deps.clock, signal });
      return true;
    } catch (error) {
      if (error instanceof JobNoLongerActiveError) {
        run.log.warn('CodePipeline no longer accepts a result for this job', { reason: error.message });
        this.mark(run, 'abandoned', { outcome: { kind: 'abandoned', detail: error.message } });
        // A continuation chain may still be following the build under another job: only stop it
        // when this job owns the build alone.
        if (run.ref && !run.continuation) {
          await this.deps.runner.stop(run.ref).catch((stopError: unknown) => run.log.warn('could not stop the Jenkins build', { error: stopError }));
        }
        return undefined;
      }
      run.log.error('could not report the job result; it stays in the ledger for the next start', { error });
      return false;
    }
  }

  /** Ledger write. A failing ledger is logged, not fatal: the job still finishes in this process. */
  /**
   * Power-loss barrier before a side effect a ledger write protects (shared disk flush, see
   * JobLedger.sync). A failed flush is logged like a failed write: the job goes on, as it would
   * have with the write alone.
   */
  private async durable(run: Run): Promise<void> {
    try {
      await this.deps.ledger.sync();
    } catch (error) {
      run.log.error('could not flush the job ledger to disk', { error });
    }
  }

  private mark(run: Run, state: LedgerState, patch: LedgerPatch): void {
    try {
      run.entry = this.deps.ledger.advance(run.job.id, state, patch, this.deps.clock.now());
    } catch (error) {
      run.log.error('could not write the job ledger', { state, error });
    }
  }

  private refPatch(ref: BuildRef): LedgerPatch {
    return {
      project: ref.project,
      ...(ref.queueId !== undefined ? { queueId: ref.queueId } : {}),
      ...(ref.buildNumber !== undefined ? { buildNumber: ref.buildNumber } : {}),
      ...(ref.url ? { buildUrl: ref.url } : {}),
    };
  }

  private correlation(run: Run): { name: string; value: string } {
    return { name: CORRELATION_PARAMETER, value: run.originalJobId };
  }

  private retry<T>(fn: (attempt: number) => Promise<T>, run: Run, signal: AbortSignal = run.signals.abort): Promise<T> {
    return withRetry(fn, {
      policy: this.deps.settings.retry,
      clock: this.deps.clock,
      signal,
      onRetry: (error, delayMs, attempt) => run.log.warn('transient failure, retrying', { system: error.system, message: error.message, delayMs, attempt: attempt + 1 }),
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
