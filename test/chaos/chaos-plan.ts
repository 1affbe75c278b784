import { seededRandom } from './seeded-random';

/** What a chaos run does, and how hard. Times are ms from the start of the chaos phase. */
export interface ChaosProfile {
  /** Which preset this is (or started from): `npm run chaos` replays `small` with `--small`. */
  name: 'full' | 'small';
  jobs: number;
  /** SIGKILLs of the bridge (each followed by a restart on the same data dir). */
  kills: number;
  /** One SIGTERM (graceful hand-off) and restart during the chaos phase. */
  sigterm: boolean;
  /** Length of the chaos phase; submissions and disruptions all fall inside it. */
  durationMs: number;
  /** Submissions are spread over this first fraction of the chaos phase. */
  submitFraction: number;
  /** Share of jobs that run chaos/fail (and must end Failed with JobFailed). */
  failRatio: number;
  /** Share of jobs that carry an input artifact (the build downloads it from the bridge). */
  inputRatio: number;
  /** One stretch of Jenkins answering 503 to everything; 0 = none. */
  jenkinsDownMs: number;
  /** One burst of ThrottlingException answers from CodePipeline, to this many calls; 0 = none. */
  throttleCalls: number;
  /** Pause between a kill and the restart, [min, max]. */
  restartDelayMs: readonly [number, number];
}

export type JobKind = 'ok' | 'fail';

export interface PlannedSubmission {
  at: number;
  kind: JobKind;
  withInput: boolean;
}

export type ControlEvent = { at: number; type: 'kill'; restartAfterMs: number } | { at: number; type: 'sigterm'; restartAfterMs: number };

export interface ChaosPlan {
  seed: number;
  submissions: PlannedSubmission[];
  /** Kills and the SIGTERM, in time order: run one after the other by one timeline. */
  control: ControlEvent[];
  jenkinsDown?: { at: number; ms: number };
  throttle?: { at: number; calls: number };
}

/**
 * The whole schedule from the seed alone (the run's timing can still vary: replaying a seed
 * replays the schedule, not the exact interleaving of the processes).
 * Control events get one slot each across the busy part of the phase, so kills are spread out
 * and land while jobs are in flight; each falls at a random point of its slot.
 */
export function planChaos(seed: number, profile: ChaosProfile): ChaosPlan {
  const random = seededRandom(seed);
  const d = profile.durationMs;
  const submitWindow = d * profile.submitFraction;
  const submissions: PlannedSubmission[] = [];
  for (let i = 0; i < profile.jobs; i++) {
    submissions.push({ at: Math.round(random.between(0, submitWindow)), kind: random.chance(profile.failRatio) ? 'fail' : 'ok', withInput: random.chance(profile.inputRatio) });
  }
  // Small runs could draw no failing job or no input at all; each kind is worth one job at least.
  if (profile.failRatio > 0 && profile.jobs > 1 && !submissions.some((s) => s.kind === 'fail')) submissions[random.int(0, profile.jobs - 1)]!.kind = 'fail';
  if (profile.inputRatio > 0 && !submissions.some((s) => s.kind === 'ok' && s.withInput)) {
    const ok = submissions.filter((s) => s.kind === 'ok');
    if (ok.length) ok[random.int(0, ok.length - 1)]!.withInput = true;
  }
  submissions.sort((a, b) => a.at - b.at);

  const types: ControlEvent['type'][] = Array.from({ length: profile.kills }, () => 'kill' as const);
  if (profile.sigterm) types.splice(random.int(0, types.length), 0, 'sigterm');
  // Control events fall while jobs arrive and run: from 10 % of the phase to 10 % past the last submission.
  const slotStart = 0.1 * d;
  const slotEnd = Math.min(0.9, profile.submitFraction + 0.1) * d;
  const slot = types.length > 0 ? (slotEnd - slotStart) / types.length : 0;
  const control = types.map((type, i): ControlEvent => ({
    at: Math.round(slotStart + slot * i + random.between(0.1, 0.9) * slot),
    type,
    restartAfterMs: random.int(profile.restartDelayMs[0], profile.restartDelayMs[1]),
  }));

  return {
    seed,
    submissions,
    control,
    ...(profile.jenkinsDownMs > 0 ? { jenkinsDown: { at: Math.round(random.between(0.2, 0.7) * d), ms: profile.jenkinsDownMs } } : {}),
    ...(profile.throttleCalls > 0 ? { throttle: { at: Math.round(random.between(0.1, 0.8) * d), calls: profile.throttleCalls } } : {}),
  };
}
