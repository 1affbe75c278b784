import { describe, expect, it } from '@jest/globals';
import type { BuildRef, BuildRunner } from '../../src/ports/build-runner';
import type { NewDeliveryTarget } from '../../src/ports/delivery-store';
import { TransientError } from '../../src/core/errors';
import { systemClock } from '../../src/core/system-clock';
import { TriggerDispatcher } from '../../src/webhooks/delivery';
import { FakeBuildRunner } from '../fakes/fake-build-runner';
import { FakeDeliveryStore } from '../fakes/fake-delivery-store';
import { CaptureLogger } from '../support/capture-logger';

const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

const target = (key: string, job = 'legacy/app'): NewDeliveryTarget => ({ key, target: { kind: 'jenkins', job, parameters: { N: key } }, routes: ['r'] });

function accepted(store: FakeDeliveryStore, deliveryId: string, targets: NewDeliveryTarget[]) {
  const result = store.accept({ dedupeKey: `github:${deliveryId}`, source: 'github', deliveryId, deliveryIdFrom: 'X-GitHub-Delivery', receivedAt: Date.now() }, targets, { httpStatus: 202, notes: [] });
  if (result.outcome !== 'accepted') throw new Error('expected accepted');
  return result.targets;
}

function dispatcher(store: FakeDeliveryStore, runner: Pick<BuildRunner, 'trigger'>, options: { retry?: typeof FAST; concurrency?: number; logger?: CaptureLogger } = {}) {
  return new TriggerDispatcher({
    store,
    ports: { runner },
    clock: systemClock,
    logger: options.logger ?? new CaptureLogger(),
    retry: options.retry ?? FAST,
    concurrency: options.concurrency ?? 2,
  });
}

/** Polls `check` every 5 ms; fails after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('TriggerDispatcher', () => {
  it('resumes targets a previous run left pending (a crash between record and trigger) and triggers each once', async () => {
    const store = new FakeDeliveryStore();
    const [interrupted] = accepted(store, 'crash-1', [target('a')]);
    store.markAttempt(interrupted!.dedupeKey, interrupted!.key, Date.now());
    accepted(store, 'crash-2', [target('b')]);
    const runner = new FakeBuildRunner().define('legacy/app');
    const logger = new CaptureLogger();
    const d = dispatcher(store, runner, { logger });

    expect(d.resume()).toBe(2);
    await d.idle();
    expect(runner.builds.map((b) => b.parameters['N'])).toEqual(['a', 'b']);
    expect(store.pendingTargets()).toEqual([]);
    expect(store.recent({ limit: 2 }).map((r) => r.targets[0]!.attempts)).toEqual([1, 2]);
    expect(logger.entries.find((e) => e.message === 'webhook deliveries: resuming pending targets')?.meta).toMatchObject({ targets: 2, deliveries: 2, interrupted: 1 });
  });

  it('on close, ends a backoff wait at once and leaves the target pending; the next start triggers it', async () => {
    const store = new FakeDeliveryStore();
    const targets = accepted(store, 'outage-1', [target('a')]);
    const down = { trigger: async (): Promise<BuildRef> => Promise.reject(new TransientError('Jenkins is unreachable (ECONNREFUSED)', 'jenkins')) };
    const logger = new CaptureLogger();
    const first = dispatcher(store, down, { retry: { maxAttempts: 10, baseDelayMs: 60_000, maxDelayMs: 60_000 }, logger });
    first.enqueue(targets);
    await until(() => (store.pendingTargets()[0]?.lastError ?? '') !== '');
    await first.close();
    expect(store.pendingTargets()).toEqual([expect.objectContaining({ key: 'a', state: 'pending', attempts: 1, lastError: 'Jenkins is unreachable (ECONNREFUSED)' })]);
    expect(logger.entries.some((e) => e.message.startsWith('webhook target left pending by shutdown'))).toBe(true);
    first.enqueue(targets);
    expect(store.pendingTargets()[0]!.attempts).toBe(1);

    const runner = new FakeBuildRunner().define('legacy/app');
    const second = dispatcher(store, runner);
    second.resume();
    await second.idle();
    expect(runner.builds).toHaveLength(1);
    expect(store.recent({ limit: 1 })[0]).toMatchObject({ status: 'triggered' });
  });

  it('fails a target once Jenkins stays down for every attempt, naming the outage', async () => {
    const store = new FakeDeliveryStore();
    const runner = new FakeBuildRunner().define('legacy/app');
    runner.failures.trigger = Array.from({ length: 3 }, () => new TransientError('HTTP 503 Service Unavailable', 'jenkins'));
    const d = dispatcher(store, runner);
    d.enqueue(accepted(store, 'down-1', [target('a')]));
    await d.idle();
    expect(runner.builds).toHaveLength(0);
    expect(store.recent({ limit: 1 })[0]).toMatchObject({
      status: 'failed',
      targets: [expect.objectContaining({ state: 'failed', attempts: 3, lastError: expect.stringContaining('jenkins unavailable after 3 attempts') })],
    });
  });

  it('keeps at most `concurrency` trigger calls in flight', async () => {
    const store = new FakeDeliveryStore();
    let inFlight = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const slow = {
      trigger: async (project: string): Promise<BuildRef> => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise<void>((resolve) => gates.push(resolve));
        inFlight--;
        return { project, queueId: 1 };
      },
    };
    const d = dispatcher(store, slow, { concurrency: 2 });
    d.enqueue(accepted(store, 'many-1', ['a', 'b', 'c', 'd', 'e'].map((k) => target(k))));
    for (let released = 0; released < 5; released++) {
      await until(() => gates.length > 0);
      expect(inFlight).toBeLessThanOrEqual(2);
      gates.shift()!();
    }
    await d.idle();
    expect(most).toBe(2);
    expect(store.recent({ limit: 1 })[0]!.status).toBe('triggered');
  });

  it('fails a pipeline target when no PipelineStarter is configured, and survives a store that cannot record', async () => {
    const store = new FakeDeliveryStore();
    const logger = new CaptureLogger();
    const d = dispatcher(store, new FakeBuildRunner().define('legacy/app'), { logger });
    const targets = accepted(store, 'mixed-1', [
      target('a'),
      { key: 'p', target: { kind: 'pipeline', name: 'app-release', sourceRevisions: [], variables: [] }, routes: ['r'] },
    ]);
    store.failures.markTriggered = [new Error('SQLITE_IOERR: disk I/O error')];
    d.enqueue(targets);
    await d.idle();
    const [record] = store.recent({ limit: 1 });
    expect(record!.targets.find((t) => t.key === 'p')).toMatchObject({ state: 'failed', lastError: expect.stringContaining('no PipelineStarter is configured') });
    // The failed write is logged; the target stays pending for the next start.
    expect(record!.targets.find((t) => t.key === 'a')).toMatchObject({ state: 'pending' });
    expect(logger.entries.find((e) => e.message === 'webhook deliveries: could not record a trigger step')?.meta).toMatchObject({ deliveryId: 'mixed-1' });
  });
});
