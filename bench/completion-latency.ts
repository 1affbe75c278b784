import type { Benchmark, BenchFigure } from './bench-types';
import { startBenchStack, benchJob } from './bench-stack';
import { percentile, randomBetween, sleep } from './bench-stats';
import { protocolFloor } from './protocol-floor';

const JENKINS_JOB = 'bench-completion';
/** Well past the follow loop's ramp-up (250, 500, 1000 ms, then the status interval). */
const BUILD_MS = { min: 3_000, max: 9_000 };
const QUICK_BUILD_MS = { min: 2_000, max: 5_000 };
const GAP_MS = { min: 50, max: 400 };

/**
 * Issue item 2, without Jenkins notifications: the build's result is set in the Jenkins
 * simulator → PutJobSuccessResult received by the local CodePipeline, default status interval.
 * Build durations are random so the end of a build falls at a random phase of the status checks.
 */
const NOTIFY_TOKEN = 'bench-notification-token';

interface Run {
  latencies: number[];
  statusMs: number;
  maxConcurrentJobs: number;
  notificationsSent: number;
}

/**
 * One run of `jobs` jobs through a fresh local stack + bridge: submit 50–400 ms apart, wait for all
 * results, and return build end → PutJobSuccessResult per job. With `notify`, the Jenkins simulator
 * sends Notification-plugin POSTs (all phases, `?token=`) to the bridge's /webhooks/jenkins.
 */
async function measure(workDir: string, jobs: number, range: { min: number; max: number }, notify: boolean): Promise<Run> {
  const bench = await startBenchStack(
    workDir,
    [
      benchJob(JENKINS_JOB, async (ctx) => {
        await ctx.sleep(randomBetween(range.min, range.max));
        return 'SUCCESS';
      }),
    ],
    notify ? { env: { BRIDGE_WEBHOOK_JENKINS_TOKEN: NOTIFY_TOKEN } } : {},
  );
  const { stack, config, bridge } = bench;
  try {
    if (notify) stack.jenkins.setNotificationEndpoints([{ url: `${bridge.url}/webhooks/jenkins?token=${NOTIFY_TOKEN}`, event: 'all' }]);
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      ids.push(await stack.submitJob({ project: JENKINS_JOB, pipelineName: 'bench-completion' }));
      await sleep(randomBetween(GAP_MS.min, GAP_MS.max));
    }
    await Promise.all(ids.map((id) => stack.codepipeline.waitForCompletion(id, { timeoutMs: 300_000 })));
    const builds = new Map(stack.jenkins.builds(JENKINS_JOB).map((b) => [b.params.CODEPIPELINE_JOB_ID, b]));
    const latencies: number[] = [];
    for (const id of ids) {
      const job = stack.codepipeline.getJob(id);
      const build = builds.get(id);
      if (job?.result?.kind !== 'success' || !build) throw new Error(`job ${id} did not succeed (${job?.status ?? 'missing'})`);
      // startedAt + durationMs: the moment the simulator set the result (Jenkins' own duration).
      latencies.push(job.result.at - (build.startedAt + build.durationMs));
    }
    return { latencies, statusMs: config.worker.statusIntervalMs, maxConcurrentJobs: config.worker.maxConcurrentJobs, notificationsSent: stack.jenkins.notifications.length };
  } finally {
    await bench.close();
  }
}

function summary(latencies: number[]) {
  return { min: Math.min(...latencies), p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: Math.max(...latencies), mean: Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length) };
}

/**
 * Issue item 2: the build's result is set in the Jenkins simulator → PutJobSuccessResult received by
 * the local CodePipeline, default status interval, once without and once with Jenkins notifications
 * (Notification plugin → POST /webhooks/jenkins, which makes the build due for a look at once).
 * Build durations are random so the end of a build falls at a random phase of the status checks.
 */
export const completionLatency: Benchmark = async ({ quick, workDir, log }) => {
  const jobs = quick ? 20 : 40;
  const range = quick ? QUICK_BUILD_MS : BUILD_MS;
  log(`completion: baseline (protocol floor: one status read + PutJobSuccessResult) over ${quick ? 10 : 30} jobs`);
  const floor = (await protocolFloor(quick ? 10 : 30)).report;
  log(`completion: ${jobs} jobs, builds of ${range.min}-${range.max} ms, no notifications`);
  const polled = await measure(workDir, jobs, range, false);
  log(`completion: ${jobs} jobs, builds of ${range.min}-${range.max} ms, Jenkins notifications to /webhooks/jenkins`);
  const notified = await measure(workDir, jobs, range, true);
  const target = `<= ${polled.statusMs + 100}`;
  const figures: BenchFigure[] = [
    { name: 'completion latency p50 (no notifications)', value: percentile(polled.latencies, 50), unit: 'ms', baseline: percentile(floor, 50), target },
    { name: 'completion latency p95 (no notifications)', value: percentile(polled.latencies, 95), unit: 'ms', baseline: percentile(floor, 95), target },
    { name: 'completion latency max (no notifications)', value: Math.max(...polled.latencies), unit: 'ms' },
    { name: 'completion latency p50 (with notifications)', value: percentile(notified.latencies, 50), unit: 'ms', baseline: percentile(floor, 50) },
    { name: 'completion latency p95 (with notifications)', value: percentile(notified.latencies, 95), unit: 'ms', baseline: percentile(floor, 95), target: '<= 100' },
    { name: 'completion latency max (with notifications)', value: Math.max(...notified.latencies), unit: 'ms' },
  ];
  return {
    benchmark: 'completion-latency',
    figures,
    details: {
      jobs,
      buildMs: range,
      statusIntervalMs: polled.statusMs,
      maxConcurrentJobs: polled.maxConcurrentJobs,
      baseline: 'protocol floor: once the build is complete, one status read and PutJobSuccessResult with the bridge adapters, no waits',
      floorMs: { jobs: floor.length, p50: percentile(floor, 50), p95: percentile(floor, 95), max: Math.max(...floor) },
      noNotifications: { latencyMs: summary(polled.latencies), samplesMs: polled.latencies },
      withNotifications: { notificationsSent: notified.notificationsSent, latencyMs: summary(notified.latencies), samplesMs: notified.latencies },
    },
  };
};
