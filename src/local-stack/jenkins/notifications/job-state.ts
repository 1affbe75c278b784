import { encodeSegment } from '../model/sim-job';
import type { SimRun } from '../model/sim-run';
import type { SimNotificationPhase } from './types';

/**
 * The plugin's JobState for one phase (NOTIF Phase#buildJobState), in Gson field order:
 * JobState name, display_name, url, build; BuildState full_url, number, queue_id, timestamp,
 * duration, phase, status, url, scm, parameters, log, artifacts. Left out as Gson leaves out
 * nulls: build.display_name (never set), status before a result exists, notes (none configured),
 * test_summary (no JUnit). scm is always an object; with no git data it holds empty lists.
 */
export function jobState(run: SimRun, phase: SimNotificationPhase, rootUrl: string, now: number): Record<string, unknown> {
  const { job } = run;
  const runPath = `${job.urlPath}${run.number}/`;
  const build: Record<string, unknown> = {
    full_url: `${rootUrl}${runPath}`,
    number: run.number,
    queue_id: run.queueId,
    timestamp: timestampFor(run, phase, now),
    duration: run.state === 'building' ? 0 : run.duration,
    phase,
  };
  if (run.result !== null) build['status'] = run.result;
  build['url'] = runPath;
  build['scm'] = { changes: [], culprits: [] };
  if (run.params) build['parameters'] = parameters(run);
  // Endpoint loglines = 0 (the default): an empty StringBuilder.
  build['log'] = '';
  build['artifacts'] = Object.fromEntries(
    run.artifacts.paths().map((p) => [p, { archive: `${rootUrl}${runPath}artifact/${p.split('/').map(encodeSegment).join('/')}` }]),
  );
  return { name: job.name, display_name: job.name, url: job.urlPath, build };
}

/** JobListener: QUEUED = now − time in queue, STARTED = start, COMPLETED = start + duration, FINALIZED = now. */
function timestampFor(run: SimRun, phase: SimNotificationPhase, now: number): number {
  const t = run.queueTimes;
  switch (phase) {
    case 'QUEUED':
      return run.timestamp - (t.waitingMs + t.blockedMs + t.buildableMs);
    case 'STARTED':
      return run.timestamp;
    case 'COMPLETED':
      return run.timestamp + run.duration;
    case 'FINALIZED':
      return now;
  }
}

/**
 * Non-sensitive parameter values through ParameterValue#buildEnvironment into EnvVars (a
 * case-insensitive sorted map): password parameters never appear, and names differing only in
 * case collapse to the last one.
 */
function parameters(run: SimRun): Record<string, string> {
  const env = new Map<string, { name: string; value: string }>();
  for (const p of run.params ?? []) {
    if (p.type === 'password') continue;
    env.set(p.name.toUpperCase(), { name: env.get(p.name.toUpperCase())?.name ?? p.name, value: p.value });
  }
  const sorted = [...env.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(sorted.map(([, { name, value }]) => [name, value]));
}
