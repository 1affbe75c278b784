import type { ChaosProfile } from './chaos-plan';

/**
 * `npm run chaos`: ≥ 100 jobs and ≥ 5 SIGKILLs in a one-minute chaos phase. Submissions (70 % of
 * the phase) roughly match what 10 concurrent jobs of ~2 s clear, so kills find jobs in every
 * phase: queued in CodePipeline, acknowledged, building, uploading, reporting.
 */
export const FULL_PROFILE: ChaosProfile = {
  name: 'full',
  jobs: 120,
  kills: 6,
  sigterm: true,
  durationMs: 60_000,
  submitFraction: 0.7,
  failRatio: 0.15,
  inputRatio: 0.3,
  jenkinsDownMs: 3_000,
  throttleCalls: 20,
  restartDelayMs: [200, 1_000],
};
export const FULL_DRAIN_MS = 120_000;

/** The variant inside `npm test`: same kinds of chaos, small enough for about a minute in all. */
export const SMALL_PROFILE: ChaosProfile = {
  name: 'small',
  jobs: 12,
  kills: 2,
  sigterm: true,
  durationMs: 12_000,
  submitFraction: 0.6,
  failRatio: 0.15,
  inputRatio: 0.3,
  jenkinsDownMs: 1_500,
  throttleCalls: 10,
  restartDelayMs: [200, 1_000],
};
export const SMALL_DRAIN_MS = 15_000;
