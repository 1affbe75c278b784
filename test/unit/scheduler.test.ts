import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentError, TransientError } from '../../src/core/errors';
import type { BuildRef } from '../../src/ports/build-runner';
import type { PipelineStarter, StartPipelineRequest } from '../../src/ports/pipeline-starter';
import { localIsoTime, Scheduler, scheduleRequestToken, triggerJob, type ScheduledJob, type TriggerSchedule } from '../../src/schedules';
import { systemClock } from '../../src/core/system-clock';
import { FakeScheduleStore } from '../fakes/fake-schedule-store';
import { CaptureLogger } from '../support/capture-logger';

const RETRY = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 };
const EVERY_SECOND = '*/1 * * * * *';

/** Polls `check` every 20 ms until it holds; fails after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

class RecordingRunner {
  readonly triggers: { project: string; parameters: Record<string, string> }[] = [];
  readonly failures: Error[] = [];
  async trigger(project: string, parameters: Readonly<Record<string, string>>): Promise<BuildRef> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.triggers.push({ project, parameters: { ...parameters } });
    return { project, queueId: 100 + this.triggers.length, url: `http://jenkins/queue/item/${100 + this.triggers.length}/` };
  }
}

class RecordingStarter implements PipelineStarter {
  readonly attempts: StartPipelineRequest[] = [];
  readonly failures: Error[] = [];
  async start(request: StartPipelineRequest): Promise<{ executionId: string }> {
    this.attempts.push(structuredClone(request) as StartPipelineRequest);
    const failure = this.failures.shift();
    if (failure) throw failure;
    return { executionId: `exec-for-${request.clientRequestToken}` };
  }
}

describe('Scheduler', () => {
  const schedulers: Scheduler[] = [];
  let logger: CaptureLogger;
  let store: FakeScheduleStore;

  function scheduler(jobs: ScheduledJob[], options: { now?: () => number; maxMissedRecorded?: number } = {}): Scheduler {
    const created = new Scheduler(jobs, {
      store,
      logger,
      stopGraceMs: 200,
      ...(options.now ? { clock: { now: options.now } } : {}),
      ...(options.maxMissedRecorded ? { maxMissedRecorded: options.maxMissedRecorded } : {}),
    });
    schedulers.push(created);
    return created;
  }
  const deps = (runner = new RecordingRunner(), starter: PipelineStarter = new RecordingStarter()) => ({ runner, starter, retry: RETRY, clock: systemClock, logger });
  const schedule = (overrides: Partial<TriggerSchedule>): TriggerSchedule => ({ name: 'nightly', cron: EVERY_SECOND, timezone: 'UTC', catchUp: 'report', ...overrides });

  beforeEach(() => {
    logger = new CaptureLogger();
    store = new FakeScheduleStore();
  });
  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((s) => s.stop()));
  });

  it('triggers the Jenkins job on each tick with the slot filled into the parameters, and records the run', async () => {
    const runner = new RecordingRunner();
    const s = scheduler([
      triggerJob(
        schedule({
          name: 'legacy-nightly',
          timezone: 'America/New_York',
          jenkins: { job: 'legacy/app', parameters: { BUILD_LABEL: 'nightly-{{scheduledDate}}', AT: '{{scheduledTime}}', LOCAL: '{{ scheduledLocalTime }}', BY: '{{schedule}}', PLAIN: 'x' } },
        }),
        deps(runner),
      ),
    ]);
    s.start();
    await until(() => runner.triggers.length >= 1);
    await s.idle();

    const [{ project, parameters }] = runner.triggers as [{ project: string; parameters: Record<string, string> }];
    expect(project).toBe('legacy/app');
    const slot = Date.parse(parameters.AT!);
    expect(slot % 1000).toBe(0); // the cron slot (whole seconds), not the moment the trigger ran
    expect(parameters).toEqual({
      BUILD_LABEL: `nightly-${localIsoTime(slot, 'America/New_York').slice(0, 10)}`,
      AT: new Date(slot).toISOString(),
      LOCAL: localIsoTime(slot, 'America/New_York'),
      BY: 'legacy-nightly',
      PLAIN: 'x',
    });
    expect(parameters.LOCAL).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00$/);
    expect(store.all('legacy-nightly')[0]).toMatchObject({ scheduledFor: slot, outcome: 'succeeded', detail: 'Jenkins job legacy/app queued as queue item 101 (http://jenkins/queue/item/101/)' });
    expect(s.list()[0]).toMatchObject({ name: 'legacy-nightly', kind: 'trigger', target: { jenkins: { job: 'legacy/app', parameters: ['BUILD_LABEL', 'AT', 'LOCAL', 'BY', 'PLAIN'] } }, lastRun: { outcome: expect.any(String) } });
  });

  it('starts the pipeline with a token derived from schedule and slot: a retried start after a transient error reuses it', async () => {
    const starter = new RecordingStarter();
    starter.failures.push(new TransientError('Rate exceeded', 'codepipeline', { throttled: true }));
    const s = scheduler([triggerJob(schedule({ name: 'release.train', pipeline: { name: 'app-release', variables: { RELEASE_TAG: 'train-{{scheduledDate}}' } } }), deps(undefined, starter))]);
    s.start();
    await until(() => store.all('release.train').some((r) => r.outcome === 'succeeded'));
    await s.stop();

    const [first, second] = starter.attempts as [StartPipelineRequest, StartPipelineRequest];
    const run = store.all('release.train').find((r) => r.outcome === 'succeeded')!;
    const token = scheduleRequestToken('release.train', run.scheduledFor);
    expect(token).toMatch(/^release-train-\d{10}-[0-9a-f]{16}$/);
    expect(first).toEqual({ pipeline: 'app-release', clientRequestToken: token, variables: [{ name: 'RELEASE_TAG', value: `train-${new Date(run.scheduledFor).toISOString().slice(0, 10)}` }] });
    expect(second.clientRequestToken).toBe(token);
    expect(run.detail).toBe(`pipeline app-release execution exec-for-${token}`);
    expect(logger.entries.find((e) => e.message === 'pipeline start failed; retrying')?.meta).toMatchObject({ schedule: 'release.train', attempt: 1 });
    // Tokens differ per slot and per schedule.
    expect(scheduleRequestToken('release.train', run.scheduledFor + 1000)).not.toBe(token);
    expect(scheduleRequestToken('release-train', run.scheduledFor)).not.toBe(token);
  });

  it('records a failed run with the reason (permanent errors are not retried)', async () => {
    const runner = new RecordingRunner();
    runner.failures.push(new PermanentError('Jenkins job "gone" not found', 'ConfigurationError'));
    const s = scheduler([triggerJob(schedule({ name: 'broken', jenkins: { job: 'gone', parameters: {} } }), deps(runner))]);
    s.start();
    await until(() => store.all('broken').some((r) => r.outcome === 'failed'));
    expect(store.all('broken').find((r) => r.outcome === 'failed')).toMatchObject({ detail: 'Jenkins job "gone" not found' });
    expect(logger.entries.find((e) => e.message === 'scheduled run failed')).toMatchObject({ level: 'error', meta: { schedule: 'broken' } });
  });

  it('does not overlap: ticks while a run is still in progress are recorded as skipped, not queued', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const s = scheduler([
      { name: 'slow', kind: 'trigger', cron: EVERY_SECOND, timezone: 'UTC', catchUp: 'report', target: {}, run: async () => { started++; await gate; return 'done'; } },
    ]);
    s.start();
    await until(() => store.all('slow').filter((r) => r.outcome === 'skipped').length >= 2, 6_000);
    expect(started).toBe(1);
    expect(s.list()[0]).toMatchObject({ running: true, lastRun: { outcome: 'running' } });
    release();
    await until(() => store.all('slow').some((r) => r.outcome === 'succeeded'));
    const runs = store.all('slow');
    expect(runs[0]).toMatchObject({ outcome: 'succeeded', detail: 'done' });
    expect(runs.filter((r) => r.outcome === 'skipped').every((r) => r.detail === 'the previous run was still in progress')).toBe(true);
    expect(logger.entries.some((e) => e.message === 'scheduled run skipped' && e.meta.schedule === 'slow')).toBe(true);
  });

  it('honours the time zone: the same expression runs at 09:00 New York time and 09:00 UTC', () => {
    const job = (name: string, timezone: string): ScheduledJob => ({ name, kind: 'trigger', cron: '0 0 9 * * *', timezone, catchUp: 'report', target: {}, run: async () => undefined });
    const s = scheduler([job('ny', 'America/New_York'), job('utc', 'UTC')]);
    expect(s.list().map((e) => e.nextRun)).toEqual([null, null]); // not running yet
    s.start();
    const [ny, utc] = s.list() as [ReturnType<Scheduler['list']>[number], ReturnType<Scheduler['list']>[number]];
    expect(utc.nextRun).toMatch(/T09:00:00\.000Z$/);
    expect(utc.nextRunLocal).toMatch(/T09:00:00\+00:00$/);
    expect(ny.nextRunLocal).toMatch(/T09:00:00-0[45]:00$/);
    const nyUtcHour = new Date(ny.nextRun!).getUTCHours();
    expect([13, 14]).toContain(nyUtcHour); // EDT or EST
    expect(Date.parse(ny.nextRun!)).toBeGreaterThan(Date.now());
  });

  describe('missed runs after downtime', () => {
    const DAY = 86_400_000;
    // Last seen alive Mon 2026-03-02 12:00 UTC; back Thu 2026-03-05 12:00 UTC (the cron runs daily at 02:00 New York time).
    const lastSeen = Date.parse('2026-03-02T12:00:00Z');
    const now = lastSeen + 3 * DAY;
    const daily = (name: string, catchUp: ScheduledJob['catchUp'], runs: number[] = []): ScheduledJob => ({
      name,
      kind: 'trigger',
      cron: '0 2 * * *',
      timezone: 'America/New_York',
      catchUp,
      target: {},
      run: async (slot) => {
        runs.push(slot.scheduledFor);
        return `ran ${slot.catchUp ? 'as catch-up' : ''}`;
      },
    });

    it('reports every slot missed since the schedule was last seen alive, without running any', async () => {
      const runs: number[] = [];
      store.markSeen([{ name: 'nightly', signature: '0 2 * * *|America/New_York' }], lastSeen);
      // The slot of Tue was run by the previous process before it died: not missed.
      store.claim('nightly', Date.parse('2026-03-03T07:00:00Z'), Date.parse('2026-03-03T07:00:01Z'));
      store.finish('nightly', Date.parse('2026-03-03T07:00:00Z'), 'succeeded', Date.parse('2026-03-03T07:00:02Z'));
      const s = scheduler([daily('nightly', 'report', runs)], { now: () => now });
      s.start();
      await s.idle();

      expect(runs).toEqual([]);
      const missed = store.all('nightly').filter((r) => r.outcome === 'missed');
      // 02:00 EST = 07:00 UTC on Wed and Thu (Tue ran).
      expect(missed.map((r) => new Date(r.scheduledFor).toISOString())).toEqual(['2026-03-04T07:00:00.000Z', '2026-03-05T07:00:00.000Z']);
      expect(missed[0]!.detail).toBe('the bridge was not running (last seen alive 2026-03-02T12:00:00.000Z)');
      const warning = logger.entries.find((e) => e.message === 'scheduled runs were missed while the bridge was down');
      expect(warning).toMatchObject({
        level: 'warn',
        meta: { schedule: 'nightly', missed: ['2026-03-04T02:00:00-05:00', '2026-03-05T02:00:00-05:00'], lastSeenAlive: '2026-03-02T12:00:00.000Z', catchUp: 'none (report only)' },
      });
      expect(s.list()[0]!.missedRuns.map((r) => r.scheduledFor)).toEqual(['2026-03-05T07:00:00.000Z', '2026-03-04T07:00:00.000Z']);
      expect(store.lastSeen('nightly')).toEqual({ signature: '0 2 * * *|America/New_York', at: now });

      // A second start reports nothing new: the slots are recorded.
      await s.stop();
      logger.entries.length = 0;
      const again = scheduler([daily('nightly', 'report', runs)], { now: () => now + 1000 });
      again.start();
      expect(logger.entries.some((e) => e.message === 'scheduled runs were missed while the bridge was down')).toBe(false);
    });

    it("with catchUp 'run-once' runs only the newest missed slot, once (no burst), and reports the rest", async () => {
      const runs: number[] = [];
      store.markSeen([{ name: 'nightly', signature: '0 2 * * *|America/New_York' }], lastSeen);
      const s = scheduler([daily('nightly', 'run-once', runs)], { now: () => now });
      s.start();
      await s.idle();
      expect(runs).toEqual([Date.parse('2026-03-05T07:00:00Z')]);
      expect(store.all('nightly').map((r) => [new Date(r.scheduledFor).toISOString(), r.outcome, r.detail])).toEqual([
        ['2026-03-03T07:00:00.000Z', 'missed', expect.any(String)],
        ['2026-03-04T07:00:00.000Z', 'missed', expect.any(String)],
        ['2026-03-05T07:00:00.000Z', 'succeeded', 'catch-up run: ran as catch-up'],
      ]);
      expect(logger.entries.find((e) => e.message === 'scheduled runs were missed while the bridge was down')?.meta).toMatchObject({
        catchUp: 'running the slot of 2026-03-05T02:00:00-05:00 once now',
      });
    });

    it('reports nothing for a new schedule or one whose cron or time zone changed, and nothing for housekeeping', async () => {
      store.markSeen([{ name: 'changed', signature: '0 3 * * *|America/New_York' }, { name: 'prune', signature: '0 2 * * *|America/New_York' }], lastSeen);
      const runs: number[] = [];
      const s = scheduler([daily('brand-new', 'report', runs), daily('changed', 'report', runs), { ...daily('prune', 'ignore', runs), kind: 'housekeeping' }], { now: () => now });
      s.start();
      await s.idle();
      expect([...store.rows.values()]).toEqual([]);
      expect(runs).toEqual([]);
      expect(logger.entries.find((e) => e.message.startsWith('schedule changed since it last ran'))?.meta).toMatchObject({ schedule: 'changed' });
    });

    it('caps what a long downtime records (newest slots kept) and says that more were missed', async () => {
      store.markSeen([{ name: 'often', signature: '*/5 * * * *|UTC' }], lastSeen);
      const s = scheduler([{ ...daily('often', 'report'), cron: '*/5 * * * *', timezone: 'UTC' }], { now: () => now, maxMissedRecorded: 10 });
      s.start();
      const missed = store.all('often');
      expect(missed).toHaveLength(10);
      expect(new Date(missed.at(-1)!.scheduledFor).toISOString()).toBe('2026-03-05T12:00:00.000Z');
      expect(logger.entries.find((e) => e.message === 'scheduled runs were missed while the bridge was down')?.meta).toMatchObject({ earlierMissedNotListed: true });
    });

    it('closes runs a dead process left running as interrupted, and does not run them again', async () => {
      const slot = Date.parse('2026-03-02T07:00:00Z');
      store.claim('nightly', slot, slot + 1);
      const s = scheduler([daily('nightly', 'report')], { now: () => now });
      s.start();
      expect(store.all('nightly')[0]).toMatchObject({ outcome: 'interrupted', finishedAt: now });
      expect(logger.entries.find((e) => e.message.startsWith('scheduled run was interrupted'))?.meta).toMatchObject({ schedule: 'nightly', scheduledFor: '2026-03-02T07:00:00.000Z' });
    });
  });

  it('aborts a run still in progress at stop after the grace period and records it as interrupted', async () => {
    const s = scheduler([
      {
        name: 'stuck',
        kind: 'trigger',
        cron: EVERY_SECOND,
        timezone: 'UTC',
        catchUp: 'report',
        target: {},
        run: (slot) => new Promise((_resolve, reject) => slot.signal.addEventListener('abort', () => reject(new Error('aborted by stop')))),
      },
    ]);
    s.start();
    await until(() => store.all('stuck').length > 0);
    await s.stop();
    expect(store.all('stuck')[0]).toMatchObject({ outcome: 'interrupted', detail: 'aborted by stop' });
    expect(s.list()[0]).toMatchObject({ nextRun: null, running: false });
  });

  it('refuses two schedules with one name', () => {
    const job: ScheduledJob = { name: 'twice', kind: 'trigger', cron: EVERY_SECOND, timezone: 'UTC', catchUp: 'report', target: {}, run: async () => undefined };
    expect(() => new Scheduler([job, { ...job }], { store, logger })).toThrow('two schedules are named "twice"');
  });
});
