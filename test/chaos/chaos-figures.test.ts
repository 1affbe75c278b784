import { describe, expect, it } from '@jest/globals';
import type { EmulatedJob, JobStatus } from '../../src/local-stack/codepipeline';
import { computeOutcomeFigures, rootOf, type BuildRecord, type SubmittedJob } from './chaos-figures';
import { planChaos } from './chaos-plan';
import { SMALL_PROFILE } from './chaos-profiles';

/** Just enough of an emulated job for the figures: status, result and the chain links. */
function job(id: string, status: JobStatus, extra: Partial<EmulatedJob> = {}): EmulatedJob {
  return { id, status, dispatches: 1, ...extra } as EmulatedJob;
}
const failed = (type: string, message: string): Partial<EmulatedJob> => ({ result: { kind: 'failure', at: 0, failureDetails: { type, message } } });
const build = (correlation: string | undefined, number: number, job = 'chaos/ok'): BuildRecord => ({ job, number, correlation, result: 'SUCCESS', state: 'completed' });

describe('chaos figures', () => {
  it('sorts each submitted job into exactly one outcome, following continuation chains', () => {
    const submitted: SubmittedJob[] = [
      { id: 'ok-plain', kind: 'ok', withInput: false },
      { id: 'ok-handed-off', kind: 'ok', withInput: true },
      { id: 'fail-ok', kind: 'fail', withInput: false },
      { id: 'fail-wrong-type', kind: 'fail', withInput: false },
      { id: 'ok-failed', kind: 'ok', withInput: false },
      { id: 'ok-in-progress', kind: 'ok', withInput: false },
      { id: 'ok-waiting-continuation', kind: 'ok', withInput: false },
      { id: 'ok-no-build', kind: 'ok', withInput: false },
      { id: 'ok-bad-output', kind: 'ok', withInput: false },
      { id: 'fail-succeeded', kind: 'fail', withInput: false },
    ];
    const jobs = [
      job('ok-plain', 'Succeeded'),
      job('ok-handed-off', 'Succeeded', { continuedAs: 'ok-handed-off.1' }),
      job('ok-handed-off.1', 'Succeeded', { continuationOf: 'ok-handed-off', continuedAs: 'ok-handed-off.2' }),
      job('ok-handed-off.2', 'Succeeded', { continuationOf: 'ok-handed-off.1' }),
      job('fail-ok', 'Failed', failed('JobFailed', 'Jenkins build #3 finished FAILURE')),
      job('fail-wrong-type', 'Failed', failed('SystemUnavailable', 'pipeline-bridge shut down')),
      job('ok-failed', 'Failed', failed('SystemUnavailable', 'Jenkins stayed unreachable')),
      job('ok-in-progress', 'InProgress'),
      job('ok-waiting-continuation', 'Succeeded', { continuedAs: 'ok-waiting-continuation.1' }),
      job('ok-waiting-continuation.1', 'Created', { continuationOf: 'ok-waiting-continuation', dispatches: 0 }),
      job('ok-no-build', 'Succeeded'),
      job('ok-bad-output', 'Succeeded'),
      job('fail-succeeded', 'Succeeded'),
    ];
    const builds = [
      build('ok-plain', 1),
      build('ok-handed-off', 2),
      build('fail-ok', 1, 'chaos/fail'),
      build('fail-wrong-type', 2, 'chaos/fail'),
      build('ok-failed', 3),
      build('ok-in-progress', 4),
      build('ok-waiting-continuation', 5),
      build('ok-bad-output', 6),
      build('fail-succeeded', 3, 'chaos/fail'),
    ];
    const figures = computeOutcomeFigures({ submitted, jobs, builds, outputProblems: new Map([['ok-bad-output', 'the output artifact is missing']]) });

    expect(figures.submitted).toBe(10);
    expect(figures.succeeded).toBe(2); // ok-plain, and ok-handed-off after two hand-offs
    expect(figures.failedAsExpected).toBe(1);
    expect(figures.lost.map((p) => [p.jobId, p.status])).toEqual([
      ['ok-in-progress', 'InProgress'],
      ['ok-waiting-continuation', 'Created'],
    ]);
    expect(figures.lost[1]!.chain).toEqual(['ok-waiting-continuation', 'ok-waiting-continuation.1']);
    expect(figures.wrongOutcome.map((p) => p.jobId)).toEqual(['fail-wrong-type', 'ok-failed', 'ok-no-build', 'ok-bad-output', 'fail-succeeded']);
    expect(figures.wrongOutcome[0]!.detail).toContain('SystemUnavailable: pipeline-bridge shut down');
    expect(figures.wrongOutcome[1]!.detail).toContain('Jenkins stayed unreachable');
    expect(figures.continuations).toBe(3);
    expect(figures.duplicates).toEqual([]);
    expect(figures.strayBuilds).toEqual([]);
  });

  it('counts every build beyond the first of a job as a duplicate, whichever job id of the chain it carries', () => {
    const submitted: SubmittedJob[] = [
      { id: 'a', kind: 'ok', withInput: false },
      { id: 'b', kind: 'fail', withInput: false },
    ];
    const jobs = [
      job('a', 'Succeeded', { continuedAs: 'a.1' }),
      job('a.1', 'Succeeded', { continuationOf: 'a' }),
      job('b', 'Failed', failed('JobFailed', 'FAILURE')),
    ];
    // a: the original build, a second one with the original id, and one with the continuation's id.
    const builds = [build('a', 1), build('a', 2), build('a.1', 3), build('b', 1, 'chaos/fail'), build('unknown-job', 9), build(undefined, 10)];
    const figures = computeOutcomeFigures({ submitted, jobs, builds, outputProblems: new Map() });

    expect(rootOf('a.1', new Map(jobs.map((j) => [j.id, j])))).toBe('a');
    expect(figures.duplicates.map((d) => [d.jobId, d.builds.map((b) => b.number)])).toEqual([['a', [1, 2, 3]]]);
    expect(figures.duplicateBuilds).toBe(2);
    expect(figures.strayBuilds.map((b) => b.number)).toEqual([9, 10]);
    expect(figures.succeeded + figures.failedAsExpected).toBe(2);
  });

  it('reports a submitted job the emulator does not know as lost', () => {
    const figures = computeOutcomeFigures({ submitted: [{ id: 'ghost', kind: 'ok', withInput: false }], jobs: [], builds: [], outputProblems: new Map() });
    expect(figures.lost.map((p) => p.detail)).toEqual(['the local CodePipeline does not know this job']);
  });
});

describe('chaos plan', () => {
  it('is a function of the seed: same seed, same schedule; another seed, another one', () => {
    expect(planChaos(42, SMALL_PROFILE)).toEqual(planChaos(42, SMALL_PROFILE));
    expect(planChaos(43, SMALL_PROFILE).submissions).not.toEqual(planChaos(42, SMALL_PROFILE).submissions);
  });

  it('places every event inside the chaos phase, kills spread out and in time order', () => {
    for (const seed of [1, 2, 3, 99, 123_456, 961_563_104]) {
      const plan = planChaos(seed, SMALL_PROFILE);
      const d = SMALL_PROFILE.durationMs;
      expect(plan.submissions).toHaveLength(SMALL_PROFILE.jobs);
      expect(plan.submissions.every((s) => s.at >= 0 && s.at <= d * SMALL_PROFILE.submitFraction)).toBe(true);
      expect(plan.submissions.some((s) => s.kind === 'fail')).toBe(true);
      expect(plan.submissions.some((s) => s.kind === 'ok' && s.withInput)).toBe(true);
      expect(plan.control.filter((c) => c.type === 'kill')).toHaveLength(SMALL_PROFILE.kills);
      expect(plan.control.filter((c) => c.type === 'sigterm')).toHaveLength(1);
      const times = plan.control.map((c) => c.at);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times.every((t) => t >= 0.1 * d && t <= (SMALL_PROFILE.submitFraction + 0.1) * d)).toBe(true);
      expect(plan.control.every((c) => c.restartAfterMs >= 200 && c.restartAfterMs <= 1_000)).toBe(true);
      expect(plan.jenkinsDown!.at + plan.jenkinsDown!.ms).toBeLessThanOrEqual(d);
      expect(plan.throttle!.calls).toBe(SMALL_PROFILE.throttleCalls);
    }
  });
});
