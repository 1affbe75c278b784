import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { SqliteDeliveryStore, SqliteJobLedger } from '../../src/adapters/sqlite';
import type { DeliveryReceipt, DeliveryStore, NewDeliveryTarget } from '../../src/ports/delivery-store';
import { FakeDeliveryStore } from '../fakes/fake-delivery-store';
import { CaptureLogger } from '../support/capture-logger';

const dir = mkdtempSync(path.join(tmpdir(), 'delivery-store-'));
let files = 0;
const freshFile = () => path.join(dir, `ledger-${++files}.sqlite3`);

const receipt = (deliveryId: string, receivedAt: number, source = 'github'): DeliveryReceipt => ({
  dedupeKey: `${source}:${deliveryId}`,
  source,
  deliveryId,
  deliveryIdFrom: 'X-GitHub-Delivery',
  senderEvent: 'push',
  receivedAt,
});
const jenkins = (key: string, job = 'legacy/app'): NewDeliveryTarget => ({ key, target: { kind: 'jenkins', job, parameters: { GIT_COMMIT: 'abc' } }, routes: ['legacy-app'] });
const pipeline = (key: string): NewDeliveryTarget => ({
  key,
  target: { kind: 'pipeline', name: 'app-release', sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: 'abc' }], variables: [{ name: 'TAG', value: 'v1' }] },
  routes: ['release'],
});

const opened: DeliveryStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The same rules for the SQLite adapter and the in-memory fake the unit tests use. */
describe.each([
  ['SqliteDeliveryStore', (maxRejected?: number) => new SqliteDeliveryStore({ file: freshFile(), ...(maxRejected ? { maxRejected } : {}) }, new CaptureLogger())],
  ['FakeDeliveryStore', (maxRejected?: number) => new FakeDeliveryStore(maxRejected)],
] as const)('%s', (_name, make) => {
  const open = (maxRejected?: number): DeliveryStore => {
    const store = make(maxRejected);
    opened.push(store);
    return store;
  };

  it('records an accepted delivery with pending targets; the same dedupe key again is a duplicate that creates nothing', () => {
    const store = open();
    const first = store.accept(receipt('d1', 1000), [jenkins('k1'), pipeline('k2')], { httpStatus: 202, notes: ['paths not checked: x'] });
    expect(first.outcome).toBe('accepted');
    expect(first.record).toMatchObject({ status: 'accepted', httpStatus: 202, notes: ['paths not checked: x'], deliveryId: 'd1', senderEvent: 'push' });
    expect(first.record.targets.map((t) => [t.key, t.state, t.attempts, t.target.kind])).toEqual([
      ['k1', 'pending', 0, 'jenkins'],
      ['k2', 'pending', 0, 'pipeline'],
    ]);
    const again = store.accept(receipt('d1', 2000), [jenkins('k1')], { httpStatus: 202, notes: [] });
    expect(again).toMatchObject({ outcome: 'duplicate', retry: [], owner: { seq: first.record.seq, status: 'accepted' }, record: { status: 'duplicate', duplicateOf: first.record.seq, targets: [] } });
    expect(store.pendingTargets().map((t) => t.key)).toEqual(['k1', 'k2']);
    expect(store.recent({ limit: 10 }).map((r) => r.status)).toEqual(['duplicate', 'accepted']);
  });

  it('moves the owner to triggered when every target is, to failed (with the reason) when none is pending and one failed', () => {
    const store = open();
    store.accept(receipt('d2', 1000), [jenkins('a'), pipeline('b')], { httpStatus: 202, notes: [] });
    expect(store.markAttempt('github:d2', 'a', 1001)).toBe(1);
    expect(store.markAttempt('github:d2', 'a', 1002)).toBe(2);
    store.noteError('github:d2', 'a', 'Jenkins is unreachable', 1002);
    store.markTriggered('github:d2', 'a', { queueId: 17, url: 'http://jenkins/queue/item/17/' }, 1003);
    expect(store.recent({ limit: 1 })[0]).toMatchObject({ status: 'accepted' });
    store.markAttempt('github:d2', 'b', 1004);
    store.markFailed('github:d2', 'b', 'PipelineNotFoundException', 1005);
    const [record] = store.recent({ limit: 1 });
    expect(record).toMatchObject({ status: 'failed', reason: '1 of 2 target(s) failed: PipelineNotFoundException', updatedAt: 1005 });
    expect(record!.targets[0]).toEqual(
      expect.objectContaining({ state: 'triggered', attempts: 2, queueId: 17, url: 'http://jenkins/queue/item/17/', createdAt: 1000, updatedAt: 1003 }),
    );
    expect(record!.targets[0]).not.toHaveProperty('lastError');
    expect(store.pendingTargets()).toEqual([]);
    expect(() => store.markAttempt('github:d2', 'a', 1006)).toThrow(/no pending target/);
  });

  it('a redelivery of a failed owner puts only the failed targets back to pending', () => {
    const store = open();
    store.accept(receipt('d3', 1000), [jenkins('ok'), jenkins('bad', 'legacy/other')], { httpStatus: 202, notes: [] });
    store.markTriggered('github:d3', 'ok', { queueId: 1 }, 1001);
    store.markFailed('github:d3', 'bad', 'not found', 1002);
    const again = store.accept(receipt('d3', 2000), [], { httpStatus: 202, notes: [] });
    expect(again.outcome).toBe('duplicate');
    if (again.outcome !== 'duplicate') return;
    expect(again.retry.map((t) => [t.key, t.state])).toEqual([['bad', 'pending']]);
    expect(again.owner.status).toBe('accepted');
    expect(again.record.reason).toMatch(/retrying 1 failed target/);
    expect(store.pendingTargets().map((t) => t.key)).toEqual(['bad']);
  });

  it('ignored and rejected records do not block a later delivery with the same id (a fixed secret or route, then a redelivery)', () => {
    const store = open();
    store.record(receipt('d4', 1000), 'rejected', { httpStatus: 401, reason: 'X-Hub-Signature-256 does not match' });
    store.record(receipt('d4', 1001), 'ignored', { httpStatus: 202, reason: 'no route matched', notes: ['route "x": branch'] });
    const accepted = store.accept(receipt('d4', 1002), [jenkins('k')], { httpStatus: 202, notes: [] });
    expect(accepted.outcome).toBe('accepted');
    expect(store.recent({ limit: 5 }).map((r) => [r.status, r.httpStatus, r.reason ?? null])).toEqual([
      ['accepted', 202, null],
      ['ignored', 202, 'no route matched'],
      ['rejected', 401, 'X-Hub-Signature-256 does not match'],
    ]);
    expect(store.recent({ limit: 5 })[1]).toMatchObject({ notes: ['route "x": branch'], targets: [] });
  });

  it('keeps only the newest maxRejected rejections', () => {
    const store = open(3);
    for (let i = 1; i <= 5; i++) store.record(receipt(`r${i}`, 1000 + i), 'rejected', { httpStatus: 401, reason: 'bad' });
    store.record(receipt('i1', 2000), 'ignored', { httpStatus: 202, reason: 'ping' });
    expect(store.recent({ limit: 10 }).map((r) => r.deliveryId)).toEqual(['i1', 'r5', 'r4', 'r3']);
  });

  it('lists newest first, by source, limited; pending targets oldest first across deliveries', () => {
    const store = open();
    store.accept(receipt('g1', 1000), [jenkins('x')], { httpStatus: 202, notes: [] });
    store.accept(receipt('l1', 1001, 'gitlab'), [jenkins('y')], { httpStatus: 202, notes: [] });
    store.accept(receipt('g2', 1002), [jenkins('z')], { httpStatus: 202, notes: [] });
    expect(store.recent({ limit: 10, source: 'github' }).map((r) => r.deliveryId)).toEqual(['g2', 'g1']);
    expect(store.recent({ limit: 1 }).map((r) => r.deliveryId)).toEqual(['g2']);
    expect(store.pendingTargets().map((t) => [t.deliveryId, t.source, t.key])).toEqual([
      ['g1', 'github', 'x'],
      ['l1', 'gitlab', 'y'],
      ['g2', 'github', 'z'],
    ]);
  });

  it('prunes by age and count but never an owner with a pending target; a pruned owner no longer dedupes', () => {
    const store = open();
    store.accept(receipt('old-done', 1000), [jenkins('a')], { httpStatus: 202, notes: [] });
    store.markTriggered('github:old-done', 'a', { queueId: 1 }, 1001);
    store.accept(receipt('old-pending', 1002), [jenkins('b')], { httpStatus: 202, notes: [] });
    store.record(receipt('old-rejected', 1003), 'rejected', { httpStatus: 401, reason: 'bad' });
    store.record(receipt('new-ignored', 5000), 'ignored', { httpStatus: 202, reason: 'x' });
    store.record(receipt('newest-ignored', 5001), 'ignored', { httpStatus: 202, reason: 'x' });
    expect(store.prune({ olderThan: 4000, keep: 1 })).toBe(3);
    expect(store.recent({ limit: 10 }).map((r) => r.deliveryId)).toEqual(['newest-ignored', 'old-pending']);
    expect(store.pendingTargets().map((t) => t.key)).toEqual(['b']);
    expect(store.accept(receipt('old-done', 6000), [jenkins('a')], { httpStatus: 202, notes: [] }).outcome).toBe('accepted');
  });
});

describe('SqliteDeliveryStore on the ledger file', () => {
  it('shares the file with the job ledger (one migration chain) and keeps pending targets across a reopen', () => {
    const file = freshFile();
    const logger = new CaptureLogger();
    const ledger = new SqliteJobLedger({ file }, logger);
    const store = new SqliteDeliveryStore({ file }, logger);
    store.accept(receipt('crash-1', 1000), [jenkins('k')], { httpStatus: 202, notes: [] });
    store.markAttempt('github:crash-1', 'k', 1001);
    store.close();
    ledger.close();

    const reopened = new SqliteDeliveryStore({ file }, logger);
    opened.push(reopened);
    expect(reopened.pendingTargets()).toEqual([expect.objectContaining({ dedupeKey: 'github:crash-1', key: 'k', attempts: 1, state: 'pending', target: jenkins('k').target })]);
    expect(reopened.accept(receipt('crash-1', 2000), [jenkins('k')], { httpStatus: 202, notes: [] }).outcome).toBe('duplicate');
  });

  it('lets only one of two connections own a dedupe key', () => {
    const file = freshFile();
    const a = new SqliteDeliveryStore({ file }, new CaptureLogger());
    const b = new SqliteDeliveryStore({ file }, new CaptureLogger());
    opened.push(a, b);
    const outcomes = [a.accept(receipt('race-1', 1000), [jenkins('k')], { httpStatus: 202, notes: [] }), b.accept(receipt('race-1', 1001), [jenkins('k')], { httpStatus: 202, notes: [] })];
    expect(outcomes.map((o) => o.outcome)).toEqual(['accepted', 'duplicate']);
    expect(a.pendingTargets()).toHaveLength(1);
  });
});
