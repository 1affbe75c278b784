import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EmulatedJob } from '../../src/local-stack/codepipeline';
import { startLocalStack, type LocalStack } from '../../src/local-stack/start-local-stack';
import { readZip } from '../support/read-zip';
import { buildBridge, findRepoRoot, type BuiltBridge } from './bridge-build';
import { BridgeProcess, freePort, type ExitRecord } from './bridge-process';
import { computeOutcomeFigures, rootOf, type BuildRecord, type OutcomeFigures, type SubmittedJob } from './chaos-figures';
import { CHAOS_FAIL_JOB, CHAOS_OK_JOB, CHAOS_RESULT_FILE, chaosJenkinsJobs } from './chaos-jenkins-jobs';
import { planChaos, type ChaosPlan, type ChaosProfile } from './chaos-plan';
import { derivedSeed, seededRandom } from './seeded-random';

/** Grace the bridge gets on SIGTERM (BRIDGE_SHUTDOWN_GRACE_MS); the harness waits this plus slack. */
const SHUTDOWN_GRACE_MS = 3_000;
const SIGTERM_SLACK_MS = 7_000;
/**
 * The drain stops early when no open chain changed for this long while the bridge says it runs
 * no job: nothing will finish those chains any more (they are lost), so waiting on is pointless.
 */
const STALL_MS = 15_000;
/** The SIGTERM waits at most this long for the bridge to be running a job. */
const SIGTERM_WAIT_FOR_WORK_MS = 4_000;
/** A bridge that dies on its own is restarted (after this pause), at most this many times. */
const CRASH_RESTART_PAUSE_MS = 500;
const MAX_CRASH_RESTARTS = 5;

export interface ChaosRunOptions {
  profile: ChaosProfile;
  /** Default: a random seed (printed in the figures, replay it with the same profile). */
  seed?: number;
  /** Bound on waiting, after the chaos phase, for every job chain to end. */
  drainTimeoutMs: number;
  /** A bridge compiled beforehand; otherwise one is built here and removed at the end. */
  bridge?: BuiltBridge;
  repoRoot?: string;
  /** Progress lines, as they happen. */
  log?: (line: string) => void;
  /** The temp dir (bridge data dir and logs) is removed after a clean run unless `always`. */
  keepTempDir?: 'always' | 'on-failure';
  /**
   * What the bridge inherits besides its configuration (the caller's PATH and HOME, say). Nothing
   * else reaches it: the bridge is configured by the environment this harness builds.
   */
  baseEnv?: Record<string, string | undefined>;
  /** More bridge environment (e.g. BRIDGE_MAX_CONCURRENT_JOBS). */
  extraEnv?: Record<string, string>;
  signal?: AbortSignal;
}

export interface SigtermRecord {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  timedOut: boolean;
  logPath: string;
}

export interface ChaosFigures extends OutcomeFigures {
  seed: number;
  profile: ChaosProfile;
  kills: number;
  /** Jobs the bridge was running when it was SIGKILLed, by phase (as GET /jobs told just before). */
  killedInPhase: Record<string, number>;
  sigterms: SigtermRecord[];
  /** Starts after the first one (after kills, the SIGTERM, and crashes). */
  restarts: number;
  unexpectedExits: ExitRecord[];
  /** The SIGTERM that ends the run, once every chain ended (or the drain bound passed). */
  finalStop: SigtermRecord | undefined;
  jenkinsDownMs: number;
  throttleCalls: number;
  /** Builds still running when the run ended (e.g. left behind by lost jobs). */
  buildsStillRunning: number;
  wallTimeMs: number;
  chaosPhaseMs: number;
  drainMs: number;
  /** Why the run fails; empty for a clean run. */
  failures: string[];
  tempDir: string;
  tempDirKept: boolean;
  logPaths: string[];
  events: string[];
}

/**
 * One chaos run: the local stack in this process, the compiled bridge as a child process on one
 * data dir, jobs submitted on a seeded schedule while the bridge is SIGKILLed and restarted,
 * SIGTERMed once, Jenkins goes down for a stretch and CodePipeline throttles. Afterwards one
 * bridge runs until every job chain has ended, and the figures say what became of each job.
 */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosFigures> {
  const started = Date.now();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const plan = planChaos(seed, options.profile);
  // Aborted when the run ends early (an error, or the caller's signal), so no timeline outlives it.
  const abort = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  const events: string[] = [];
  const log = (line: string) => {
    const text = `[+${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`;
    events.push(text);
    options.log?.(text);
  };
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const tempDir = mkdtempSync(path.join(tmpdir(), 'chaos-'));
  const dataDir = path.join(tempDir, 'data');
  const logDir = path.join(tempDir, 'logs');
  mkdirSync(dataDir);
  mkdirSync(logDir);
  log(`seed ${seed}; ${plan.submissions.length} jobs, ${options.profile.kills} SIGKILL(s)${options.profile.sigterm ? ', 1 SIGTERM' : ''}; logs in ${logDir}`);

  let built: BuiltBridge | undefined;
  let stack: LocalStack | undefined;
  let bridge: BridgeProcess | undefined;
  let stopping = false;
  let figures: ChaosFigures | undefined;
  try {
    const bridgeBuild = options.bridge ?? (built = await buildBridge(repoRoot));
    log(options.bridge ? 'using the prebuilt bridge' : `bridge built in ${bridgeBuild.dir}`);
    stack = await startLocalStack({
      jenkinsJobs: chaosJenkinsJobs(seededRandom(derivedSeed(seed, 1))),
      ackTimeoutMs: 1_500,
      continuationDelayMs: 300,
      jenkinsQuietPeriodMs: 50,
      jenkinsExecutors: 16,
    });
    const port = await freePort();
    bridge = new BridgeProcess({
      mainJs: bridgeBuild.mainJs,
      cwd: repoRoot,
      port,
      logDir,
      env: {
        ...options.baseEnv,
        ...stack.env,
        BRIDGE_HTTP_HOST: '127.0.0.1',
        BRIDGE_HTTP_PORT: String(port),
        BRIDGE_DATA_DIR: dataDir,
        BRIDGE_POLL_INTERVAL_MS: '200',
        BRIDGE_STATUS_INTERVAL_MS: '300',
        BRIDGE_SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BRIDGE_LOG_LEVEL: 'info',
        ...options.extraEnv,
      },
    });
    bridge.start();
    await bridge.waitHealthy(20_000);
    log(`bridge #1 up (pid ${bridge.pid}, port ${port})`);

    const submitted: SubmittedJob[] = [];
    const sigterms: SigtermRecord[] = [];
    let kills = 0;
    const killedInPhase: Record<string, number> = {};
    const phaseStart = Date.now();
    const until = (at: number) => sleep(phaseStart + at - Date.now(), signal);
    const openChains = () => countOpen(stack!, submitted);
    const b = bridge;
    const s = stack;

    const submissions = (async () => {
      for (const [i, planned] of plan.submissions.entries()) {
        await until(planned.at);
        const id = await s.submitJob({
          project: planned.kind === 'ok' ? CHAOS_OK_JOB : CHAOS_FAIL_JOB,
          pipelineName: `chaos-${i % 7}`,
          outputs: ['BuildOutput'],
          ...(planned.withInput ? { inputs: [{ name: 'Source', files: { 'src/input.txt': `input of chaos job ${i}, seed ${seed}\n` } }] } : {}),
        });
        submitted.push({ id, kind: planned.kind, withInput: planned.withInput });
      }
      log(`all ${submitted.length} jobs submitted`);
    })();

    const control = (async () => {
      for (const event of plan.control) {
        await until(event.at);
        if (!b.isRunning) b.start();
        if (event.type === 'kill') {
          const pid = b.pid;
          // Asked just before the kill: which phases the kill interrupts (for the figures only).
          const phases = await b.activePhases(200);
          const exit = await b.kill();
          if (exit) kills++;
          for (const phase of phases ?? []) killedInPhase[phase] = (killedInPhase[phase] ?? 0) + 1;
          log(`SIGKILL bridge (pid ${pid}) running ${describePhases(phases)}; ${openChains()} job chain(s) open; restart in ${event.restartAfterMs} ms`);
        } else {
          const pid = b.pid;
          // A SIGTERM with nothing in flight proves nothing about the hand-off: wait (bounded) for work.
          let phases = await b.activePhases();
          for (const end = Date.now() + SIGTERM_WAIT_FOR_WORK_MS; (phases?.length ?? 0) === 0 && Date.now() < end; ) {
            await sleep(100, signal);
            phases = await b.activePhases();
          }
          log(`SIGTERM bridge (pid ${pid}) running ${describePhases(phases)}; ${openChains()} job chain(s) open`);
          const result = await b.terminate(SHUTDOWN_GRACE_MS + SIGTERM_SLACK_MS);
          if (result) {
            sigterms.push(sigtermRecord(result));
            log(`bridge (pid ${pid}) exited after SIGTERM: code ${result.exit.code}, ${result.ms} ms${result.timedOut ? ' (timed out: SIGKILLed)' : ''}`);
          }
        }
        await sleep(event.restartAfterMs, signal);
        if (!b.isRunning) b.start();
        log(`bridge restarted (pid ${b.pid})`);
      }
    })();

    const disruptions = (async () => {
      const steps: Promise<void>[] = [];
      if (plan.jenkinsDown) {
        const { at, ms } = plan.jenkinsDown;
        steps.push(
          (async () => {
            await until(at);
            s.jenkins.setDown('503');
            log(`Jenkins down (503) for ${ms} ms`);
            try {
              await sleep(ms, signal);
            } finally {
              s.jenkins.setDown(false);
            }
            log('Jenkins up again');
          })(),
        );
      }
      if (plan.throttle) {
        const { at, calls } = plan.throttle;
        steps.push(
          (async () => {
            await until(at);
            s.codepipeline.injectFault({ type: 'ThrottlingException', times: calls });
            log(`CodePipeline throttles the next ${calls} call(s)`);
          })(),
        );
      }
      await Promise.all(steps);
    })();

    // A bridge that dies without being killed is a finding; restart it so the run can go on.
    let crashRestarts = 0;
    let seenExits = 0;
    const watcher = (async () => {
      while (!stopping && !signal.aborted) {
        await sleep(200).catch(() => undefined);
        for (; seenExits < b.exits.length; seenExits++) {
          const exit = b.exits[seenExits]!;
          if (exit.expected) continue;
          log(`bridge (pid ${exit.pid}) exited on its own: code ${exit.code}, signal ${exit.signal}; see ${exit.logPath}`);
          if (crashRestarts >= MAX_CRASH_RESTARTS) continue;
          crashRestarts++;
          await sleep(CRASH_RESTART_PAUSE_MS).catch(() => undefined);
          if (!stopping && !b.isRunning) {
            try {
              b.start();
              log(`bridge restarted after the crash (pid ${b.pid})`);
            } catch (error) {
              log(`could not restart the bridge: ${(error as Error).message}`);
            }
          }
        }
      }
    })();

    await Promise.all([submissions, control, disruptions, until(options.profile.durationMs)]);
    const chaosPhaseMs = Date.now() - phaseStart;
    if (!b.isRunning) b.start();
    log(`chaos phase over after ${chaosPhaseMs} ms; ${openChains()} job chain(s) open; waiting up to ${options.drainTimeoutMs} ms for all to end`);

    const drainStart = Date.now();
    const drain = await drainChains(s, b, submitted, drainStart + options.drainTimeoutMs, signal);
    const drainMs = Date.now() - drainStart;
    log(`drain over after ${drainMs} ms${drain.stalled ? ` (stalled: nothing changed for ${STALL_MS} ms and the bridge runs no job)` : ''}; ${drain.open} job chain(s) open`);

    stopping = true;
    const stop = await b.terminate(SHUTDOWN_GRACE_MS + SIGTERM_SLACK_MS);
    const finalStop = stop ? sigtermRecord(stop) : undefined;
    if (stop) log(`final SIGTERM: exit code ${stop.exit.code} after ${stop.ms} ms${stop.timedOut ? ' (timed out: SIGKILLed)' : ''}`);
    await watcher;

    const jobs = s.codepipeline.listJobs();
    const jenkinsBuilds = [...s.jenkins.builds(CHAOS_OK_JOB), ...s.jenkins.builds(CHAOS_FAIL_JOB)];
    const builds: BuildRecord[] = jenkinsBuilds.map((build) => ({
      job: build.job,
      number: build.number,
      correlation: build.params.CODEPIPELINE_JOB_ID || undefined,
      result: build.result,
      state: build.state,
    }));
    const outputProblems = await checkOutputs(s, submitted, jobs);
    const outcome = computeOutcomeFigures({ submitted, jobs, builds, outputProblems });

    const unexpectedExits = b.unexpectedExits;
    const failures: string[] = [];
    if (submitted.length !== plan.submissions.length) failures.push(`only ${submitted.length} of ${plan.submissions.length} jobs were submitted`);
    if (outcome.lost.length) failures.push(`${outcome.lost.length} lost job(s)`);
    if (outcome.duplicates.length) failures.push(`${outcome.duplicates.length} job(s) with duplicate builds (${outcome.duplicateBuilds} extra build(s))`);
    if (outcome.wrongOutcome.length) failures.push(`${outcome.wrongOutcome.length} job(s) with the wrong outcome`);
    if (outcome.strayBuilds.length) failures.push(`${outcome.strayBuilds.length} build(s) that belong to no submitted job`);
    if (unexpectedExits.length) failures.push(`${unexpectedExits.length} bridge exit(s) the harness did not cause`);
    for (const t of [...sigterms, ...(finalStop ? [finalStop] : [])]) {
      if (t.timedOut || t.exitCode !== 0) failures.push(`a SIGTERM ended with ${t.timedOut ? 'a timeout (SIGKILLed)' : `exit code ${t.exitCode}`}; see ${t.logPath}`);
    }

    const keep = options.keepTempDir === 'always' || failures.length > 0;
    figures = {
      ...outcome,
      seed,
      profile: options.profile,
      kills,
      killedInPhase,
      sigterms,
      restarts: b.startCount - 1,
      unexpectedExits,
      finalStop,
      jenkinsDownMs: plan.jenkinsDown?.ms ?? 0,
      throttleCalls: plan.throttle?.calls ?? 0,
      buildsStillRunning: jenkinsBuilds.filter((build) => build.state !== 'completed').length,
      wallTimeMs: Date.now() - started,
      chaosPhaseMs,
      drainMs,
      failures,
      tempDir,
      tempDirKept: keep,
      logPaths: [...b.logPaths],
      events,
    };
    annotateWithLogs(figures);
    return figures;
  } finally {
    stopping = true;
    abort.abort(new Error('chaos run over'));
    await bridge?.close();
    await stack?.close();
    built?.remove();
    if (!figures?.tempDirKept) rmSync(tempDir, { recursive: true, force: true });
  }
}

function sigtermRecord(result: { exit: ExitRecord; ms: number; timedOut: boolean }): SigtermRecord {
  return { exitCode: result.exit.code, signal: result.exit.signal, ms: result.ms, timedOut: result.timedOut, logPath: result.exit.logPath };
}

/**
 * Waits until every submitted chain has ended, the deadline passes, or the run stalls. Looks at
 * all jobs at once every 250 ms (one listJobs) rather than one waitForCompletion per job.
 */
async function drainChains(
  stack: LocalStack,
  bridge: BridgeProcess,
  submitted: readonly SubmittedJob[],
  deadline: number,
  signal: AbortSignal,
): Promise<{ open: number; stalled: boolean }> {
  let lastSignature = '';
  let lastChange = Date.now();
  for (;;) {
    const byId = new Map(stack.codepipeline.listJobs().map((j) => [j.id, j]));
    const open: string[] = [];
    for (const { id } of submitted) {
      let job = byId.get(id);
      while (job?.continuedAs) job = byId.get(job.continuedAs);
      if (!job || !TERMINAL_STATUSES.includes(job.status)) open.push(`${job?.id}:${job?.status}:${job?.dispatches}`);
    }
    if (open.length === 0 || Date.now() >= deadline) return { open: open.length, stalled: false };
    const signature = open.join(',');
    if (signature !== lastSignature) {
      lastSignature = signature;
      lastChange = Date.now();
    } else if (Date.now() - lastChange >= STALL_MS && (await bridge.activePhases())?.length === 0) {
      return { open: open.length, stalled: true };
    }
    await sleep(250, signal);
  }
}

const TERMINAL_STATUSES: readonly string[] = ['Succeeded', 'Failed', 'TimedOut'];

function describePhases(phases: string[] | undefined): string {
  if (phases === undefined) return '? jobs (GET /jobs did not answer)';
  const counts = new Map<string, number>();
  for (const p of phases) counts.set(p, (counts.get(p) ?? 0) + 1);
  return `${phases.length} job(s)${phases.length ? ` (${[...counts].map(([p, n]) => `${n} ${p}`).join(', ')})` : ''}`;
}

function countOpen(stack: LocalStack, submitted: readonly SubmittedJob[]): number {
  const byId = new Map(stack.codepipeline.listJobs().map((j) => [j.id, j]));
  let open = 0;
  for (const { id } of submitted) {
    let job = byId.get(id);
    while (job?.continuedAs) job = byId.get(job.continuedAs);
    if (!job || !TERMINAL_STATUSES.includes(job.status)) open++;
  }
  return open;
}

/**
 * For each ok job whose chain succeeded: the output artifact is in S3, is a zip, and holds the
 * result file of a build of this very job; an input, when there was one, reached the build intact.
 */
async function checkOutputs(stack: LocalStack, submitted: readonly SubmittedJob[], jobs: readonly EmulatedJob[]): Promise<Map<string, string>> {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const problems = new Map<string, string>();
  for (const job of submitted) {
    if (job.kind !== 'ok') continue;
    let last = byId.get(job.id);
    while (last?.continuedAs) last = byId.get(last.continuedAs);
    if (last?.status !== 'Succeeded') continue;
    const root = byId.get(job.id)!;
    const output = root.data.outputArtifacts[0]?.location.s3Location;
    if (!output) {
      problems.set(job.id, 'the job has no output artifact');
      continue;
    }
    try {
      const info = await stack.s3.headObject(output.bucketName, output.objectKey);
      if (!info) {
        problems.set(job.id, `the output artifact s3://${output.bucketName}/${output.objectKey} is missing`);
        continue;
      }
      const entries = await readZip(await stack.s3.getObject(output.bucketName, output.objectKey));
      const result = entries.get(CHAOS_RESULT_FILE)?.data.toString('utf8');
      if (result === undefined) {
        problems.set(job.id, `the output artifact has no ${CHAOS_RESULT_FILE} (entries: ${[...entries.keys()].join(', ') || 'none'})`);
        continue;
      }
      const correlation = /^job=(.*)$/m.exec(result)?.[1] ?? '';
      if (rootOf(correlation, byId) !== job.id) {
        problems.set(job.id, `the output artifact holds the result of another job (${correlation || 'none'})`);
        continue;
      }
      const input = root.data.inputArtifacts[0]?.location.s3Location;
      if (input) {
        const sha = createHash('sha256').update(await stack.s3.getObject(input.bucketName, input.objectKey)).digest('hex');
        if (!result.includes(`sha256=${sha}`)) problems.set(job.id, `the build did not receive the input artifact intact (${result.trim().replace(/\n/g, '; ')})`);
      }
    } catch (error) {
      problems.set(job.id, `the output artifact could not be read: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Adds the bridge's last log line about each problem job, which usually says where it stopped. */
function annotateWithLogs(figures: ChaosFigures): void {
  const problems = [...figures.lost, ...figures.wrongOutcome];
  if (problems.length === 0) return;
  const lines = figures.logPaths.flatMap((p, i) => readLines(p).map((line) => ({ start: i + 1, line })));
  for (const problem of problems) {
    const ids = new Set(problem.chain);
    let last: { start: number; line: string } | undefined;
    for (const entry of lines) {
      for (const id of ids) {
        if (entry.line.includes(id)) {
          last = entry;
          break;
        }
      }
    }
    if (last) problem.detail += `\n      last bridge log line (bridge-${last.start}.log): ${last.line.slice(0, 400)}`;
  }
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export type { ChaosPlan, ChaosProfile };
