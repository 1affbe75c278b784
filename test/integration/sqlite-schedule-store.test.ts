import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LEDGER_SCHEMA_VERSION, SqliteJobLedger, SqliteScheduleStore } from '../../src/adapters/sqlite';
import type { PipelineJob } from '../../src/ports/pipeline-job';
import { ledgerPruneJob, LEDGER_PRUNE_JOB } from '../../src/schedules';
import { CaptureLogger } from '../support/capture-logger';

describe('SqliteScheduleStore', () => {
  let dir: string;
  let file: string;
  const logger = new CaptureLogger();
  const open: { close(): void }[] = [];
  const openStore = () => {
    const store = new SqliteScheduleStore({ file }, logger);
    open.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'schedule-store-'));
    file = path.join(dir, 'data', 'ledger.sqlite3');
  });
  afterEach(() => {
    for (const handle of open.splice(0)) handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lives in the ledger file: either connection migrates it to the same schema version, with its own tables', () => {
    const store = openStore();
    const ledger = new SqliteJobLedger({ file }, logger);
    open.push(ledger);
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = raw.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['jobs', 'schedule_heartbeats', 'schedule_runs']));
    } finally {
      raw.close();
    }
    expect(store.claim('a', 1000, 1)).toBe(true);
  });

  it('claims a slot once: a second claim, or a missed/skipped record, does not overwrite it', () => {
    const store = openStore();
    expect(store.claim('nightly', 60_000, 60_010)).toBe(true);
    expect(store.claim('nightly', 60_000, 60_020)).toBe(false);
    expect(store.recordNotRun('nightly', 60_000, 'missed', 60_030, 'down')).toBe(false);
    store.finish('nightly', 60_000, 'succeeded', 60_500, 'queued as 7');
    expect(store.runs('nightly', { limit: 10 })).toEqual([{ name: 'nightly', scheduledFor: 60_000, outcome: 'succeeded', startedAt: 60_010, finishedAt: 60_500, detail: 'queued as 7', recordedAt: 60_010 }]);

    expect(store.recordNotRun('nightly', 120_000, 'skipped', 120_001, 'busy')).toBe(true);
    expect(store.claim('nightly', 120_000, 120_002)).toBe(false);
    expect(store.claim('other', 120_000, 120_002)).toBe(true); // slots are per schedule
  });

  it('lists runs newest slot first, filtered by outcome, and survives a reopen', () => {
    const store = openStore();
    store.recordNotRun('s', 1000, 'missed', 5000, 'the bridge was not running');
    store.claim('s', 2000, 2001);
    store.finish('s', 2000, 'failed', 2002, 'Jenkins said 500');
    store.recordNotRun('s', 3000, 'missed', 5000);
    store.claim('s', 4000, 4001);
    store.close();

    const reopened = openStore();
    expect(reopened.runs('s', { limit: 10 }).map((r) => [r.scheduledFor, r.outcome])).toEqual([
      [4000, 'running'],
      [3000, 'missed'],
      [2000, 'failed'],
      [1000, 'missed'],
    ]);
    expect(reopened.runs('s', { limit: 1, outcomes: ['missed'] })).toEqual([{ name: 's', scheduledFor: 3000, outcome: 'missed', recordedAt: 5000 }]);
    expect(reopened.runs('s', { limit: 5, outcomes: ['running', 'failed'] }).map((r) => r.scheduledFor)).toEqual([4000, 2000]);
  });

  it('closes runs left running by a dead process as interrupted', () => {
    const store = openStore();
    store.claim('a', 1000, 1001);
    store.claim('b', 500, 501);
    store.claim('c', 700, 701);
    store.finish('c', 700, 'succeeded', 702);
    store.close();
    const reopened = openStore();
    expect(reopened.closeInterrupted(9000).map((r) => [r.name, r.scheduledFor, r.outcome, r.finishedAt])).toEqual([
      ['b', 500, 'interrupted', 9000],
      ['a', 1000, 'interrupted', 9000],
    ]);
    expect(reopened.closeInterrupted(9500)).toEqual([]);
  });

  it('keeps per-schedule liveness with the definition it was seen under', () => {
    const store = openStore();
    expect(store.lastSeen('nightly')).toBeUndefined();
    store.markSeen([{ name: 'nightly', signature: '0 2 * * *|UTC' }, { name: 'hourly', signature: '0 * * * *|UTC' }], 1000);
    store.markSeen([{ name: 'nightly', signature: '0 3 * * *|UTC' }], 2000);
    expect(store.lastSeen('nightly')).toEqual({ signature: '0 3 * * *|UTC', at: 2000 });
    expect(store.lastSeen('hourly')).toEqual({ signature: '0 * * * *|UTC', at: 1000 });
  });

  it('the ledger-prune housekeeping job prunes finished ledger entries and old schedule runs, as the old prune task did', async () => {
    const store = openStore();
    const ledger = new SqliteJobLedger({ file }, logger);
    open.push(ledger);
    const job = (id: string) =>
      ({ id, actionType: { category: 'Build', owner: 'Custom', provider: 'Jenkins', version: '1' }, configuration: {}, pipeline: { pipelineName: 'p', stage: 's', action: 'a' }, inputArtifacts: [], outputArtifacts: [] }) as PipelineJob;
    ledger.begin(job('old'), 100);
    ledger.advance('old', 'reported', {}, 200);
    ledger.begin(job('recent'), 9_000);
    ledger.advance('recent', 'reported', {}, 9_500);
    ledger.begin(job('unfinished'), 50);
    store.recordNotRun('nightly', 1_000, 'missed', 1_000);
    store.recordNotRun('nightly', 8_000, 'missed', 8_000);

    const prune = ledgerPruneJob({ ledger, scheduleStore: store, cron: '17 * * * *', maxAgeMs: 5_000, keep: 100, clock: { now: () => 10_000 }, logger });
    expect(prune).toMatchObject({ name: LEDGER_PRUNE_JOB, kind: 'housekeeping', timezone: 'UTC', catchUp: 'ignore' });
    await expect(prune.run({ scheduledFor: 10_000, catchUp: false, signal: new AbortController().signal })).resolves.toBe('pruned 1 ledger entries and 1 schedule runs');
    expect(ledger.recent(10).map((e) => e.jobId)).toEqual(['recent', 'unfinished']);
    expect(store.runs('nightly', { limit: 10 }).map((r) => r.scheduledFor)).toEqual([8_000]);
    expect(logger.entries.find((e) => e.message === 'ledger pruned')?.meta).toMatchObject({ component: 'ledger-prune', pruned: 1, scheduleRuns: 1, keep: 100 });
  });

  it('prunes old slots but never a running one', () => {
    const store = openStore();
    store.recordNotRun('s', 1000, 'missed', 1000);
    store.claim('s', 2000, 2000);
    store.claim('s', 3000, 3000);
    store.finish('s', 3000, 'succeeded', 3001);
    store.recordNotRun('s', 9000, 'skipped', 9000);
    expect(store.prune(5000)).toBe(2);
    expect(store.runs('s', { limit: 10 }).map((r) => r.scheduledFor)).toEqual([9000, 2000]);
  });
});
