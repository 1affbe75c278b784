import path from 'node:path';
import { loadConfig } from '../src/config/load-config';
import { startLocalStack, type LocalStack } from '../src/local-stack/start-local-stack';
import { benchJob } from './bench-stack';
import { sleep } from './bench-stats';
import type { Benchmark, BenchFigure } from './bench-types';
import { BridgeChild, formatLogSummary } from './bridge-child';
import { BuildGate } from './build-gate';
import { CompletionTracker } from './offered-load';
import { ownCpuMs, watchLoopDelay } from './proc-stats';

const JENKINS_JOB = 'bench-inflight';
const MAX_CONCURRENT_JOBS = 1_000;
/** Builds run until released; this only bounds a build the benchmark forgot. */
const BUILD_MAX_MS = 15 * 60_000;
const RSS_SAMPLE_MS = 500;
/** A phase whose counts have not moved for this long is measured as it stands (and the gap reported). */
const STALL_MS = 30_000;
const MB = 2 ** 20;
const REPO_ROOT = path.resolve(__dirname, '..', '..');

interface WindowStats {
  inFlight: number;
  windowMs: number;
  jenkinsRequests: number;
  jenkinsPerSecond: number;
  /** Bridge requests to Jenkins in the window by method and path (numbers as N). */
  jenkinsByKind: Record<string, number>;
  codepipelineCalls: number;
  codepipelinePerSecond: number;
  codepipelineByOperation: Record<string, number>;
  bridgeCpuPercent: number;
  stackCpuPercent: number;
  maxRssMB: number;
  peakRssMB: number;
  buildsRunning: number;
}

/**
 * Issue item 4: many long-running builds followed by ONE bridge process (BRIDGE_MAX_CONCURRENT_JOBS
 * = 1000, default status interval). With every job acknowledged and every build running, a steady
 * window measures the bridge's RSS, CPU and the requests it sends to Jenkins (simulator request
 * records, the bridge's user only) and to CodePipeline (emulator call records) — first with a
 * small number of builds, then with the full number, so the ratio shows whether Jenkins load
 * grows with the number of builds. Then every build is released and every job must succeed.
 */
export const inflightScale: Benchmark = async ({ quick, workDir, log, resultsDir }) => {
  const total = quick ? 200 : 1_000;
  const small = quick ? 50 : 100;
  const windowMs = quick ? 10_000 : 15_000;
  const gate = new BuildGate();
  const stack = await startLocalStack({ jenkinsJobs: [benchJob(JENKINS_JOB, gate.script(BUILD_MAX_MS))], jenkinsExecutors: total + 50 });
  let bridge: BridgeChild | undefined;
  try {
    const env = { ...stack.env, BRIDGE_MAX_CONCURRENT_JOBS: String(MAX_CONCURRENT_JOBS) };
    // The settings the child runs with (defaults + env), for the log and the settle time.
    const config = loadConfig(env, { configDir: path.join(REPO_ROOT, 'config') });
    const statusMs = config.worker.statusIntervalMs;
    bridge = await BridgeChild.start({ env, workDir });
    const child = bridge;
    log(
      `inflight: bridge pid ${child.pid}, BRIDGE_MAX_CONCURRENT_JOBS=${MAX_CONCURRENT_JOBS}, status interval ${statusMs} ms, poll interval ${config.worker.pollIntervalMs} ms (defaults); ` +
        `Jenkins simulator: ${total + 50} executors; ${small} then ${total} builds that run until released`,
    );
    const tracker = new CompletionTracker(stack.codepipeline);
    const ids: string[] = [];
    const windows: WindowStats[] = [];
    const phases: { count: number; acknowledged: number; running: number; ms: number; bridgeCpuPercent: number; stackCpuPercent: number; stackLoopDelayMs: { p99Ms: number; maxMs: number } }[] = [];
    // After the last build starts, the bridge's status checks ramp up to the status interval.
    const settleMs = 2 * statusMs + 2_000;

    for (const count of [small, total]) {
      const t0 = Date.now();
      const cpu0 = child.cpuMs();
      const own0 = ownCpuMs();
      const loop = watchLoopDelay();
      for (let i = ids.length; i < count; i++) ids.push(await stack.submitJob({ project: JENKINS_JOB, pipelineName: 'bench-inflight' }));
      const up = await waitRunning(stack, ids, quick ? 120_000 : 300_000);
      const rampMs = Date.now() - t0;
      const phase = {
        count,
        ...up,
        ms: rampMs,
        bridgeCpuPercent: round1(((child.cpuMs() - cpu0) / rampMs) * 100),
        stackCpuPercent: round1(((ownCpuMs() - own0) / rampMs) * 100),
        stackLoopDelayMs: loop.stop(),
      };
      phases.push(phase);
      const all = up.acknowledged === count && up.running === count;
      log(
        `inflight: ${all ? `${count} jobs acknowledged and their builds running` : `ONLY ${up.acknowledged}/${count} jobs acknowledged and ${up.running} builds running (stalled; see the bridge log)`} ` +
          `after ${(rampMs / 1000).toFixed(1)} s (bridge CPU ${phase.bridgeCpuPercent} %, local stack CPU ${phase.stackCpuPercent} % and event-loop delay p99 ${phase.stackLoopDelayMs.p99Ms} / max ${phase.stackLoopDelayMs.maxMs} ms meanwhile); settling ${settleMs / 1000} s, then measuring ${windowMs / 1000} s`,
      );
      await sleep(settleMs);
      const w = await measureWindow(stack, child, count, windowMs);
      windows.push(w);
      log(
        `inflight ${count}: Jenkins ${w.jenkinsPerSecond} req/s (${w.jenkinsRequests} in ${w.windowMs} ms: ${formatKinds(w.jenkinsByKind)}), ` +
          `CodePipeline ${w.codepipelinePerSecond} req/s (${formatKinds(w.codepipelineByOperation)}), bridge CPU ${w.bridgeCpuPercent} %, ` +
          `RSS max ${w.maxRssMB} MB / VmHWM ${w.peakRssMB} MB, local stack CPU ${w.stackCpuPercent} %, builds running ${w.buildsRunning}`,
      );
    }

    log(`inflight: releasing ${total} builds`);
    const released = Date.now();
    gate.release();
    // A job whose build never started cannot finish: wait for those with a build, then briefly for the rest.
    const withBuild = new Set(stack.jenkins.builds(JENKINS_JOB).map((b) => b.params.CODEPIPELINE_JOB_ID));
    await tracker.waitFor(ids.filter((id) => withBuild.has(id)), quick ? 60_000 : 180_000);
    const drainMs = Date.now() - released;
    const done = await tracker.waitFor(ids, 2 * statusMs);
    const statuses: Record<string, number> = {};
    for (const id of ids) {
      const status = stack.codepipeline.getJob(id)?.status ?? 'missing';
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    const succeeded = statuses.Succeeded ?? 0;
    const endMemory = child.memory();
    log(`inflight: ${done}/${total} results ${(drainMs / 1000).toFixed(1)} s after the release; job status counts ${JSON.stringify(statuses)}; bridge VmHWM ${round1(endMemory.peakRss / MB)} MB`);
    const stopped = await child.stop();
    bridge = undefined;
    const bridgeLog = child.logSummary(resultsDir, `inflight-scale-${new Date().toISOString().replace(/:/g, '-')}-bridge.log`);
    for (const line of formatLogSummary(bridgeLog)) log(line);

    const [few, many] = windows as [WindowStats, WindowStats];
    const growth = few.jenkinsPerSecond > 0 ? many.jenkinsPerSecond / few.jenkinsPerSecond : Number.NaN;
    const figures: BenchFigure[] = [
      { name: `Jenkins requests/s, ${total} builds in flight`, value: many.jenkinsPerSecond, unit: 'req/s', baseline: few.jenkinsPerSecond, note: `baseline: ${small} builds in flight` },
      {
        name: `Jenkins requests/s growth, ${total} vs ${small} builds`,
        value: round2(growth),
        unit: 'x',
        target: '<= 1.5',
        note: `builds grew ${total / small}x; independent of the number of builds is ~1x, one status request per build per interval is ~${total / small}x`,
      },
      {
        name: `CodePipeline requests/s, ${total} in flight`,
        value: many.codepipelinePerSecond,
        unit: 'req/s',
        baseline: few.codepipelinePerSecond,
        ...(total >= MAX_CONCURRENT_JOBS ? { note: `${total} = BRIDGE_MAX_CONCURRENT_JOBS: a full bridge does not poll` } : {}),
      },
      {
        name: `bridge peak RSS, ${total} builds start to finish`,
        value: round1(endMemory.peakRss / MB),
        unit: 'MB',
        baseline: few.peakRssMB,
        target: '<= 250',
        note: `VmHWM after every result was reported (dispatch, steady window and release included); ${many.peakRssMB} MB at the end of the steady window. Baseline: VmHWM after the ${small}-build window`,
      },
      { name: `bridge RSS in the steady window, ${total} in flight`, value: many.maxRssMB, unit: 'MB', baseline: few.maxRssMB, note: `highest VmRSS sampled every ${RSS_SAMPLE_MS} ms` },
      { name: `bridge CPU, ${total} in flight`, value: many.bridgeCpuPercent, unit: '% core', baseline: few.bridgeCpuPercent },
      { name: `local stack CPU, ${total} in flight`, value: many.stackCpuPercent, unit: '% core', baseline: few.stackCpuPercent, note: 'this process: emulator, simulator, s3rver' },
      { name: `builds running in the ${total} window`, value: many.buildsRunning, unit: 'builds', target: `>= ${total}`, note: 'every job acknowledged and its build running while measured' },
      { name: 'jobs Succeeded after release', value: succeeded, unit: 'jobs', target: `>= ${total}`, note: JSON.stringify(statuses) },
      { name: 'release → all results', value: round1(drainMs / 1000), unit: 's', note: `status interval ${statusMs} ms` },
    ];
    return {
      benchmark: 'inflight-scale',
      figures,
      details: {
        total,
        small,
        windowMs,
        settleMs,
        maxConcurrentJobs: MAX_CONCURRENT_JOBS,
        statusIntervalMs: statusMs,
        jenkinsExecutors: total + 50,
        phases,
        windows,
        bridgeLog,
        release: { results: done, drainMs, statuses, peakRssEndMB: round1(endMemory.peakRss / MB) },
        bridgeExit: stopped,
      },
    };
  } finally {
    gate.release();
    await bridge?.stop(5_000);
    await stack.close();
  }
};

/**
 * Waits until every job is acknowledged (emulator: InProgress) and its build runs in the
 * simulator — or until the counts stop moving for STALL_MS (a job the bridge dropped), or the
 * deadline. Throws only when nothing at all runs.
 */
async function waitRunning(stack: LocalStack, ids: readonly string[], timeoutMs: number): Promise<{ acknowledged: number; running: number }> {
  const deadline = Date.now() + timeoutMs;
  const wanted = new Set(ids);
  let last = '';
  let lastChange = Date.now();
  for (;;) {
    const running = stack.jenkins.builds(JENKINS_JOB).filter((b) => b.state === 'building' && wanted.has(b.params.CODEPIPELINE_JOB_ID ?? '')).length;
    const acknowledged = ids.filter((id) => stack.codepipeline.getJob(id)?.status === 'InProgress').length;
    if (running === ids.length && acknowledged === ids.length) return { acknowledged, running };
    const now = Date.now();
    if (`${acknowledged}/${running}` !== last) {
      last = `${acknowledged}/${running}`;
      lastChange = now;
    }
    if (now > deadline || now - lastChange > STALL_MS) {
      if (running === 0) throw new Error(`after ${timeoutMs} ms no build runs (${acknowledged}/${ids.length} jobs acknowledged)`);
      return { acknowledged, running };
    }
    await sleep(500);
  }
}

async function measureWindow(stack: LocalStack, bridge: BridgeChild, inFlight: number, windowMs: number): Promise<WindowStats> {
  const requests = stack.jenkins.requests;
  const from = requests.length;
  const t0 = Date.now();
  const cpu0 = bridge.cpuMs();
  const own0 = ownCpuMs();
  let maxRss = bridge.memory().rss;
  while (Date.now() - t0 < windowMs) {
    await sleep(Math.min(RSS_SAMPLE_MS, windowMs - (Date.now() - t0)));
    maxRss = Math.max(maxRss, bridge.memory().rss);
  }
  const to = requests.length;
  const t1 = Date.now();
  const cpu = bridge.cpuMs() - cpu0;
  const own = ownCpuMs() - own0;
  const memory = bridge.memory();
  const ms = t1 - t0;
  // Only the bridge talks to the simulator as this user; the benchmark reads the simulator in-process.
  const jenkinsByKind: Record<string, number> = {};
  let jenkinsRequests = 0;
  for (const r of requests.slice(from, to)) {
    if (r.authUser !== stack.jenkinsUser) continue;
    jenkinsRequests++;
    const kind = `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, '/N')}`;
    jenkinsByKind[kind] = (jenkinsByKind[kind] ?? 0) + 1;
  }
  const codepipelineByOperation: Record<string, number> = {};
  let codepipelineCalls = 0;
  for (const c of stack.codepipeline.calls) {
    if (c.at < t0 || c.at >= t1) continue;
    codepipelineCalls++;
    codepipelineByOperation[c.operation] = (codepipelineByOperation[c.operation] ?? 0) + 1;
  }
  const buildsRunning = stack.jenkins.builds(JENKINS_JOB).filter((b) => b.state === 'building').length;
  return {
    inFlight,
    windowMs: ms,
    jenkinsRequests,
    jenkinsPerSecond: round1((jenkinsRequests * 1000) / ms),
    jenkinsByKind,
    codepipelineCalls,
    codepipelinePerSecond: round1((codepipelineCalls * 1000) / ms),
    codepipelineByOperation,
    bridgeCpuPercent: round1((cpu / ms) * 100),
    stackCpuPercent: round1((own / ms) * 100),
    maxRssMB: round1(maxRss / MB),
    peakRssMB: round1(memory.peakRss / MB),
    buildsRunning,
  };
}

function formatKinds(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ') || 'none';
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
