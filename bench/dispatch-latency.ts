import { randomBytes } from 'node:crypto';
import type { Benchmark, BenchFigure } from './bench-types';
import { startBenchStack, benchJob } from './bench-stack';
import { percentile, randomBetween, sleep, waitUntil } from './bench-stats';
import { protocolFloor } from './protocol-floor';
import { queuedAt } from './jenkins-queue-time';

const JENKINS_JOB = 'bench-dispatch';
const GAP_MS = { min: 50, max: 400 };
/** A pipeline's jobs are usually seconds to minutes apart: each then meets the idle poll cadence. */
const SPARSE_GAP_MS = { min: 1_500, max: 5_000 };

/**
 * Issue item 1. Job created in the local CodePipeline → the Jenkins simulator queues the build
 * carrying that job's CODEPIPELINE_JOB_ID, with the bridge's default poll settings. Jobs arrive
 * after random gaps so arrival is independent of the poll phase. Then the bridge sits idle and
 * its PollForJobs calls are counted.
 * Then the same sparse schedule and idle count once more with EventBridge-triggered polling: the
 * local CodePipeline sends "CodePipeline Action Execution State Change" STARTED events to the
 * bridge's POST /events/codepipeline (as a rule with an API destination would), the bridge polls
 * at once; the default 1 s idle poll stays as the fallback.
 */
export const dispatchLatency: Benchmark = async ({ quick, workDir, log }) => {
  const jobs = quick ? 30 : 200;
  const idleMs = quick ? 10_000 : 12_000; // calls/min is scaled from this window
  log(`dispatch: baseline (protocol floor, no poll wait) over ${quick ? 10 : 50} jobs`);
  const floor = (await protocolFloor(quick ? 10 : 50)).dispatch;
  // A build that finishes at once: only the way in is measured here.
  // The token only opens the events endpoint; nothing is sent to it until the targets are set below.
  const eventsToken = randomBytes(24).toString('hex');
  const bench = await startBenchStack(workDir, [benchJob(JENKINS_JOB, async () => 'SUCCESS')], { env: { BRIDGE_EVENTS_TOKEN: eventsToken } });
  const { stack, bridge, config } = bench;
  const ids: string[] = [];
  /** Submits `count` jobs `gap` apart, waits for them all, returns each one's dispatch latency. */
  const measure = async (count: number, gap: { min: number; max: number }): Promise<number[]> => {
    const batch: string[] = [];
    for (let i = 0; i < count; i++) {
      batch.push(await stack.submitJob({ project: JENKINS_JOB, pipelineName: 'bench-dispatch' }));
      await sleep(randomBetween(gap.min, gap.max));
    }
    ids.push(...batch);
    await Promise.all(batch.map((id) => stack.codepipeline.waitForCompletion(id, { timeoutMs: 120_000 })));
    const builds = new Map(stack.jenkins.builds(JENKINS_JOB).map((b) => [b.params.CODEPIPELINE_JOB_ID, b]));
    const latencies: number[] = [];
    for (const id of batch) {
      const job = stack.codepipeline.getJob(id);
      const build = builds.get(id);
      if (!job || !build) throw new Error(`job ${id}: no ${job ? 'Jenkins build' : 'CodePipeline job'}`);
      latencies.push((await queuedAt(stack, JENKINS_JOB, build.number)) - job.createdAt);
    }
    return latencies;
  };
  try {
    // Let the poll loop settle at its idle cadence first, as a bridge that has waited a while would be.
    await sleep(3_000);
    log(`dispatch: ${jobs} jobs, gaps ${GAP_MS.min}-${GAP_MS.max} ms, poll interval ${config.worker.pollIntervalMs} ms (min ${config.worker.minPollIntervalMs} ms)`);
    const latencies = await measure(jobs, GAP_MS);
    const sparseJobs = quick ? 5 : 8;
    log(`dispatch: ${sparseJobs} sparse jobs, gaps ${SPARSE_GAP_MS.min}-${SPARSE_GAP_MS.max} ms`);
    const sparse = await measure(sparseJobs, SPARSE_GAP_MS);
    const failed = ids.filter((id) => stack.codepipeline.getJob(id)?.status !== 'Succeeded').length;

    /** PollForJobs calls a minute while nothing happens, over `windowMs`. */
    const idlePolls = async (windowMs: number) => {
      await waitUntil('the bridge to go idle', () => (bridge.jobWorker?.activeJobs ?? 0) === 0, 30_000);
      await sleep(2_000);
      const from = Date.now();
      await sleep(windowMs);
      const to = Date.now();
      const count = stack.codepipeline.calls.filter((c) => c.operation === 'PollForJobs' && c.at >= from && c.at < to).length;
      return { count, windowMs: to - from, perMinute: Math.round(((count * 60_000) / (to - from)) * 10) / 10 };
    };
    log(`dispatch: idle for ${idleMs / 1000} s, counting PollForJobs`);
    const { count: polls, windowMs: idleWindowMs, perMinute: pollsPerMinute } = await idlePolls(idleMs);

    // EventBridge-triggered polling: the rule pattern of the README (STARTED of our action type),
    // an API destination with an API_KEY connection (Authorization: Bearer <token>).
    stack.codepipeline.setEventTargets([{ url: `${bridge.url}/events/codepipeline`, authorization: `Bearer ${eventsToken}`, states: ['STARTED'] }]);
    const eventsFrom = stack.codepipeline.eventDeliveries.length;
    const wakesBefore = bridge.jobWorker?.stats.wakes ?? 0;
    log(`dispatch: ${sparseJobs} sparse jobs with EventBridge events, gaps ${SPARSE_GAP_MS.min}-${SPARSE_GAP_MS.max} ms`);
    const sparseEvents = await measure(sparseJobs, SPARSE_GAP_MS);
    await stack.codepipeline.eventsSettled();
    const deliveries = stack.codepipeline.eventDeliveries.slice(eventsFrom);
    const delivered = deliveries.filter((d) => d.status === 'delivered');
    const deliveryMs = delivered.map((d) => d.deliveredAt! - d.emittedAt);
    const eventsIdleMs = idleMs;
    log(`dispatch: idle for ${eventsIdleMs / 1000} s with EventBridge events on, counting PollForJobs`);
    const idleEvents = await idlePolls(eventsIdleMs);
    const failedWithEvents = ids.filter((id) => stack.codepipeline.getJob(id)?.status !== 'Succeeded').length - failed;

    const figures: BenchFigure[] = [
      { name: 'dispatch latency p50', value: percentile(latencies, 50), unit: 'ms', baseline: percentile(floor, 50), target: '<= 300' },
      { name: 'dispatch latency p95', value: percentile(latencies, 95), unit: 'ms', baseline: percentile(floor, 95) },
      { name: 'dispatch latency p99', value: percentile(latencies, 99), unit: 'ms', baseline: percentile(floor, 99), target: '<= 1000' },
      { name: 'dispatch latency max', value: Math.max(...latencies), unit: 'ms' },
      { name: 'dispatch latency p50, sparse arrivals', value: percentile(sparse, 50), unit: 'ms', baseline: percentile(floor, 50), target: '<= 300', note: `jobs ${SPARSE_GAP_MS.min / 1000}-${SPARSE_GAP_MS.max / 1000} s apart meet the idle poll cadence` },
      { name: 'dispatch latency max, sparse arrivals', value: Math.max(...sparse), unit: 'ms', baseline: Math.max(...floor), target: '<= 1000' },
      { name: 'idle PollForJobs calls per minute', value: pollsPerMinute, unit: 'calls/min', target: '<= 60' },
      {
        name: 'dispatch latency p50, sparse arrivals, EventBridge events',
        value: percentile(sparseEvents, 50),
        unit: 'ms',
        baseline: percentile(floor, 50),
        target: '<= 300',
        note: 'same schedule; STARTED event → POST /events/codepipeline → PollForJobs at once',
      },
      { name: 'dispatch latency max, sparse arrivals, EventBridge events', value: Math.max(...sparseEvents), unit: 'ms', baseline: Math.max(...floor), target: '<= 1000' },
      { name: 'idle PollForJobs calls per minute, EventBridge events on', value: idleEvents.perMinute, unit: 'calls/min', target: '<= 60' },
    ];
    return {
      benchmark: 'dispatch-latency',
      figures,
      details: {
        jobs,
        sparseJobs,
        sparseGapMs: SPARSE_GAP_MS,
        sparseSamplesMs: sparse,
        failedJobs: failed,
        gapMs: GAP_MS,
        pollIntervalMs: config.worker.pollIntervalMs,
        minPollIntervalMs: config.worker.minPollIntervalMs,
        idleWindowMs,
        idlePolls: polls,
        events: {
          sparseSamplesMs: sparseEvents,
          failedJobs: failedWithEvents,
          deliveries: deliveries.length,
          delivered: delivered.length,
          // Emulator emits (job created) → the bridge answered 202: what the event adds before the poll.
          deliveryMs: { p50: percentile(deliveryMs, 50), max: deliveryMs.length ? Math.max(...deliveryMs) : Number.NaN },
          wakes: (bridge.jobWorker?.stats.wakes ?? 0) - wakesBefore,
          idleWindowMs: idleEvents.windowMs,
          idlePolls: idleEvents.count,
        },
        baseline: 'protocol floor: PollForJobs right after the job is created, AcknowledgeJob, GET job, buildWithParameters, with the bridge adapters and no waits',
        floorMs: { jobs: floor.length, p50: percentile(floor, 50), p95: percentile(floor, 95), p99: percentile(floor, 99), max: Math.max(...floor) },
        // In submission order, for a closer look (e.g. the first job after an idle spell).
        samplesMs: latencies,
        latencyMs: { min: Math.min(...latencies), mean: Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length) },
      },
    };
  } finally {
    await bench.close();
  }
};
