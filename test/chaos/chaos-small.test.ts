import { describe, expect, it } from '@jest/globals';
import { runChaos } from './chaos-harness';
import { SMALL_DRAIN_MS, SMALL_PROFILE } from './chaos-profiles';
import { formatChaosFigures } from './chaos-report';

/**
 * The chaos suite in small (`npm run chaos` is the full one): the compiled bridge as a child
 * process, SIGKILLed twice and SIGTERMed once while it runs 12 jobs, with Jenkins down for a
 * stretch and CodePipeline throttling. A new random seed each run; a failure prints it, and
 * `npm run chaos -- --small --seed N` replays the schedule.
 */
describe('chaos (small): kills, a SIGTERM, a Jenkins outage and throttling', () => {
  it('loses no job, builds no job twice, and every job ends as its build did', async () => {
    const figures = await runChaos({
      profile: SMALL_PROFILE,
      drainTimeoutMs: SMALL_DRAIN_MS,
      baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    const report = formatChaosFigures(figures);

    // The chaos really happened, else "nothing lost" would prove nothing.
    expect({ submitted: figures.submitted, kills: figures.kills, sigterms: figures.sigterms.length }).toEqual({
      submitted: SMALL_PROFILE.jobs,
      kills: SMALL_PROFILE.kills,
      sigterms: 1,
    });
    // On failure the diff shows the whole report: seed, lost and wrong jobs, duplicate builds, log paths.
    expect(figures.failures.length === 0 ? 'no failures' : report).toBe('no failures');
    expect(figures.succeeded + figures.failedAsExpected).toBe(figures.submitted);
  }, 75_000);
});
