import { setMaxListeners } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { TransientError } from '../../src/core/errors';
import { BuildWatch, dueTime } from '../../src/core/jobs/build-watch';
import { systemClock } from '../../src/core/system-clock';
import type { BuildObservation, BuildRunner, ObserveRequest } from '../../src/ports/build-runner';
import { CaptureLogger } from '../support/capture-logger';
import { rejection } from '../support/rejection';

const correlation = { name: 'CODEPIPELINE_JOB_ID', value: 'x' };

/** A runner whose observeMany records each round and answers `running` unless told otherwise. */
function recordingRunner(answer: (r: ObserveRequest) => BuildObservation | Error = (r) => ({ state: 'running', ref: { ...r.ref, buildNumber: r.ref.buildNumber ?? 1 } })) {
  const rounds: ObserveRequest[][] = [];
  let failWhole: Error | undefined;
  const runner = {
    async observeMany(requests: readonly ObserveRequest[]) {
      rounds.push([...requests]);
      if (failWhole) throw failWhole;
      return requests.map((r): PromiseSettledResult<BuildObservation> => {
        const a = answer(r);
        return a instanceof Error ? { status: 'rejected', reason: a } : { status: 'fulfilled', value: a };
      });
    },
  } as unknown as BuildRunner;
  return { runner, rounds, failNextRounds: (e: Error) => (failWhole = e) };
}

function watch(runner: BuildRunner, statusIntervalMs = 200) {
  return new BuildWatch(runner, systemClock, { statusIntervalMs }, new CaptureLogger());
}

describe('dueTime', () => {
  it('puts builds at the status interval on one shared grid, exactly one interval apart', () => {
    expect(dueTime(6_000, 2_000, 2_000)).toBe(8_000);
    expect(dueTime(6_050, 2_000, 2_000)).toBe(8_000); // a late round stays on the grid
    expect(dueTime(5_050, 2_000, 2_000)).toBe(6_000); // joining the grid: never more than the interval
    expect(dueTime(1_249, 250, 2_000)).toBe(1_500); // a grid point 1 ms away is too soon: the next one
    expect(dueTime(1_234, 0, 2_000)).toBe(1_234);
  });

  it('waits at least a quarter step and at most the delay plus a quarter step', () => {
    for (let now = 0; now < 5_000; now += 37) {
      for (const delay of [250, 500, 1_000, 2_000, 4_000]) {
        const wait = dueTime(now, delay, 2_000) - now;
        const step = Math.min(delay, 2_000);
        expect(wait).toBeGreaterThanOrEqual(step / 4);
        expect(wait).toBeLessThanOrEqual(delay + step / 4);
      }
    }
  });
});

describe('BuildWatch', () => {
  it('looks at 300 builds due together in one observeMany round, each getting its own observation', async () => {
    const { runner, rounds } = recordingRunner();
    const w = watch(runner);
    const signal = new AbortController().signal;
    setMaxListeners(0, signal);
    const observations = await Promise.all(
      Array.from({ length: 300 }, (_, i) => w.next({ project: `p${i % 3}`, buildNumber: i + 1 }, correlation, 0, signal)),
    );
    expect(rounds).toHaveLength(1);
    expect(rounds[0]).toHaveLength(300);
    expect(observations.map((o) => o.ref.buildNumber)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(w.size).toBe(0);
  });

  it('builds that settled at the status interval share rounds: rounds stay at about one per interval', async () => {
    const { runner, rounds } = recordingRunner();
    const w = watch(runner, 100);
    const signal = new AbortController().signal;
    setMaxListeners(0, signal);
    // 50 followers joining at different moments, each looking every interval for ~1 s.
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await systemClock.sleep(i * 7);
        while (Date.now() - started < 1_000) await w.next({ project: 'p', buildNumber: i + 1 }, correlation, 100, signal);
      }),
    );
    // Unbatched this would be ~500 looks; on one grid it is ~10–12 rounds (one per 100 ms).
    expect(rounds.length).toBeLessThanOrEqual(14);
    expect(rounds.flat().length).toBeGreaterThan(300);
  });

  it('a notice makes the named build due at once, and only that one', async () => {
    const { runner, rounds } = recordingRunner();
    const w = watch(runner, 60_000);
    const signal = new AbortController().signal;
    const named = w.next({ project: 'team/app', buildNumber: 7 }, correlation, 60_000, signal);
    const other = w.next({ project: 'team/app', buildNumber: 8 }, correlation, 60_000, signal);
    const t0 = Date.now();
    w.notice({ project: 'team/app', buildNumber: 7, phase: 'completed' });
    await named;
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(rounds).toEqual([[{ ref: { project: 'team/app', buildNumber: 7 }, correlation }]]);
    expect(w.size).toBe(1);
    w.close();
    expect((await rejection(other)).name).toBe('AbortError');
  });

  it('matches a queued build by its queue id', async () => {
    const { runner, rounds } = recordingRunner();
    const w = watch(runner, 60_000);
    const look = w.next({ project: 'app', queueId: 42 }, correlation, 60_000, new AbortController().signal);
    w.notice({ project: 'app', queueId: 42, buildNumber: 3, phase: 'started' });
    await look;
    expect(rounds).toHaveLength(1);
  });

  it('keeps a notice that arrives between two looks for the next look', async () => {
    const { runner, rounds } = recordingRunner();
    const w = watch(runner, 60_000);
    w.notice({ project: 'app', buildNumber: 5, phase: 'finalized' });
    w.notice({ project: 'other', buildNumber: 5, phase: 'finalized' }); // not ours: ignored
    const t0 = Date.now();
    await w.next({ project: 'app', buildNumber: 5 }, correlation, 60_000, new AbortController().signal);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(rounds).toHaveLength(1);
    // Consumed: the next look waits its delay again.
    const later = w.next({ project: 'app', buildNumber: 5 }, correlation, 60_000, new AbortController().signal);
    await systemClock.sleep(50);
    expect(rounds).toHaveLength(1);
    w.close();
    await rejection(later);
  });

  it('one build failing to be read rejects only that build; a failed round rejects all in it', async () => {
    const { runner, failNextRounds } = recordingRunner((r) =>
      r.ref.buildNumber === 2 ? new TransientError('HTTP 503', 'jenkins') : { state: 'running', ref: { ...r.ref, buildNumber: r.ref.buildNumber! } },
    );
    const w = watch(runner);
    const signal = new AbortController().signal;
    const [a, b] = await Promise.allSettled([w.next({ project: 'p', buildNumber: 1 }, correlation, 0, signal), w.next({ project: 'p', buildNumber: 2 }, correlation, 0, signal)]);
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'rejected' && b.reason).toBeInstanceOf(TransientError);
    failNextRounds(new TransientError('connection reset', 'jenkins'));
    const both = await Promise.allSettled([w.next({ project: 'p', buildNumber: 1 }, correlation, 0, signal), w.next({ project: 'q', buildNumber: 3 }, correlation, 0, signal)]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('an aborted wait rejects with an AbortError and leaves the watch', async () => {
    const { runner, rounds } = recordingRunner();
    const w = watch(runner, 60_000);
    const controller = new AbortController();
    const look = w.next({ project: 'p', buildNumber: 1 }, correlation, 60_000, controller.signal);
    controller.abort(new Error('hand-off'));
    expect((await rejection(look)).name).toBe('AbortError');
    expect(w.size).toBe(0);
    expect(rounds).toHaveLength(0);
    expect((await rejection(w.next({ project: 'p', buildNumber: 1 }, correlation, 0, controller.signal))).name).toBe('AbortError');
  });
});
