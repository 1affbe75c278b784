import type { LocalCodePipeline } from '../src/local-stack/codepipeline';
import type { LocalStack } from '../src/local-stack/start-local-stack';
import { percentile, sleep } from './bench-stats';

export interface OfferedLoad {
  ids: string[];
  /** When the first and the last job were created (epoch ms). */
  firstAt: number;
  lastAt: number;
  /** Jobs per second actually offered (the generator shares the CPU with the stack). */
  achievedRate: number;
  /** How far behind its schedule the generator fell at worst, ms. */
  maxLagMs: number;
}

/**
 * Creates `rate × windowMs / 1000` jobs on a fixed schedule (job i due at start + i / rate): a
 * tick that wakes late creates every job already due, so the offered rate holds even when timers
 * are coarse or the process is busy; the lag is reported.
 */
export async function offerJobs(stack: LocalStack, project: string, rate: number, windowMs: number, pipelineName: string): Promise<OfferedLoad> {
  const count = Math.max(1, Math.round((rate * windowMs) / 1000));
  const gapMs = 1000 / rate;
  const ids: string[] = [];
  const start = Date.now();
  let maxLagMs = 0;
  let firstAt = 0;
  while (ids.length < count) {
    const now = Date.now();
    const dueCount = Math.min(count, Math.floor((now - start) / gapMs) + 1);
    if (ids.length < dueCount) {
      maxLagMs = Math.max(maxLagMs, now - (start + ids.length * gapMs));
      while (ids.length < dueCount) {
        ids.push(await stack.submitJob({ project, pipelineName }));
        if (ids.length === 1) firstAt = Date.now();
      }
      continue;
    }
    await sleep(Math.max(1, Math.floor(start + ids.length * gapMs - now)));
  }
  const lastAt = Date.now();
  const achievedRate = ids.length > 1 ? ((ids.length - 1) * 1000) / Math.max(1, lastAt - firstAt) : rate;
  return { ids, firstAt, lastAt, achievedRate, maxLagMs: Math.round(maxLagMs) };
}

/**
 * Which jobs have a result, and when the emulator received it: read incrementally from the
 * emulator's call records (one pass over new calls), not by polling each job (which would cost
 * the stack a structuredClone per job per check).
 */
export class CompletionTracker {
  private cursor = 0;
  private readonly results = new Map<string, { at: number; success: boolean }>();
  private readonly acks = new Map<string, number>();

  constructor(private readonly codepipeline: LocalCodePipeline) {}

  private update(): void {
    const calls = this.codepipeline.calls;
    for (; this.cursor < calls.length; this.cursor++) {
      const call = calls[this.cursor]!;
      const jobId = call.input.jobId;
      if (call.status !== 200 || typeof jobId !== 'string') continue;
      if (call.operation === 'AcknowledgeJob') {
        if (!this.acks.has(jobId)) this.acks.set(jobId, call.at);
      } else if (call.operation === 'PutJobSuccessResult' || call.operation === 'PutJobFailureResult') {
        if (!this.results.has(jobId)) this.results.set(jobId, { at: call.at, success: call.operation === 'PutJobSuccessResult' });
      }
    }
  }

  result(id: string): { at: number; success: boolean } | undefined {
    this.update();
    return this.results.get(id);
  }

  /** When the emulator answered the job's first successful AcknowledgeJob. */
  acknowledgedAt(id: string): number | undefined {
    this.update();
    return this.acks.get(id);
  }

  done(ids: readonly string[]): number {
    this.update();
    return ids.filter((id) => this.results.has(id)).length;
  }

  /** Waits until every job has a result or `timeoutMs` passes; returns how many have one. */
  async waitFor(ids: readonly string[], timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = this.done(ids);
      if (done === ids.length || Date.now() >= deadline) return done;
      await sleep(50);
    }
  }
}

export interface LoadOutcome {
  offered: number;
  completed: number;
  succeeded: number;
  /** Jobs whose result arrived no later than `allowanceMs` after the last job was offered. */
  completedInTime: number;
  /** Job created (emulator `createdAt`) → result received, ms, per completed job. */
  latencies: number[];
  /** Percentiles over the jobs offered after the first `rampMs` (see loadOutcome). */
  p50: number;
  p95: number;
  /** Over every completed job, the first ones after an idle spell included. */
  p95All: number;
  max: number;
}

/**
 * Latencies and counts of one offered load, once its jobs have had their chance to finish. p50 /
 * p95 leave out the jobs offered in the first `rampMs`: they meet the bridge's idle poll cadence
 * (up to 1 s between polls, dispatch-latency's subject), not the load.
 */
export function loadOutcome(stack: LocalStack, tracker: CompletionTracker, load: OfferedLoad, allowanceMs: number, rampMs = 1_000): LoadOutcome {
  const latencies: number[] = [];
  const steady: number[] = [];
  let succeeded = 0;
  let completedInTime = 0;
  for (const id of load.ids) {
    const result = tracker.result(id);
    if (!result) continue;
    const job = stack.codepipeline.getJob(id);
    if (!job) continue;
    latencies.push(result.at - job.createdAt);
    if (job.createdAt >= load.firstAt + rampMs) steady.push(result.at - job.createdAt);
    if (result.success) succeeded++;
    if (result.at <= load.lastAt + allowanceMs) completedInTime++;
  }
  return {
    offered: load.ids.length,
    completed: latencies.length,
    succeeded,
    completedInTime,
    latencies,
    p50: percentile(steady, 50),
    p95: percentile(steady, 95),
    p95All: percentile(latencies, 95),
    max: latencies.length ? Math.max(...latencies) : Number.NaN,
  };
}

/** p50 / p95 of each leg of a job's way through, ms. */
export type LatencyBreakdown = Record<'createdToAcknowledged' | 'acknowledgedToBuildStarted' | 'buildStartedToFinished' | 'buildFinishedToResult', { p50: number; p95: number }>;

/**
 * Where a job's end-to-end time goes: created → AcknowledgeJob answered (poll cadence + dispatch),
 * → the simulator started the build (Jenkins job check, trigger, quiet period), → the build set its
 * result, → the emulator received the result (status-check cadence + report).
 */
export function latencyBreakdown(stack: LocalStack, tracker: CompletionTracker, ids: readonly string[], jenkinsJob: string): LatencyBreakdown {
  const builds = new Map(stack.jenkins.builds(jenkinsJob).map((b) => [b.params.CODEPIPELINE_JOB_ID, b]));
  const legs = { createdToAcknowledged: [] as number[], acknowledgedToBuildStarted: [] as number[], buildStartedToFinished: [] as number[], buildFinishedToResult: [] as number[] };
  for (const id of ids) {
    const job = stack.codepipeline.getJob(id);
    const ackAt = tracker.acknowledgedAt(id);
    const result = tracker.result(id);
    const build = builds.get(id);
    if (!job || ackAt === undefined || !result || !build) continue;
    legs.createdToAcknowledged.push(ackAt - job.createdAt);
    legs.acknowledgedToBuildStarted.push(build.startedAt - ackAt);
    legs.buildStartedToFinished.push(build.durationMs);
    legs.buildFinishedToResult.push(result.at - (build.startedAt + build.durationMs));
  }
  const summary = (samples: number[]) => ({ p50: percentile(samples, 50), p95: percentile(samples, 95) });
  return {
    createdToAcknowledged: summary(legs.createdToAcknowledged),
    acknowledgedToBuildStarted: summary(legs.acknowledgedToBuildStarted),
    buildStartedToFinished: summary(legs.buildStartedToFinished),
    buildFinishedToResult: summary(legs.buildFinishedToResult),
  };
}

export function formatBreakdown(b: LatencyBreakdown): string {
  return `created→ack ${b.createdToAcknowledged.p50}/${b.createdToAcknowledged.p95}, ack→build started ${b.acknowledgedToBuildStarted.p50}/${b.acknowledgedToBuildStarted.p95}, build ${b.buildStartedToFinished.p50}/${b.buildStartedToFinished.p95}, build done→result ${b.buildFinishedToResult.p50}/${b.buildFinishedToResult.p95} ms (p50/p95)`;
}
