import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TERMINAL_LEDGER_STATES, type JobLedger, type LedgerEntry, type LedgerPatch, type LedgerState } from '../../ports/job-ledger';
import type { Logger } from '../../ports/logger';
import type { PipelineJob } from '../../ports/pipeline-job';
import { rowToEntry, storableJob, type JobRow } from './ledger-row';
import { LEDGER_SCHEMA_VERSION, migrateLedger } from './ledger-schema';
import { assertLedgerTransition } from '../../core/ledger-transition';

export interface SqliteJobLedgerOptions {
  /** Database file, normally `<dataDir>/ledger.sqlite3`; `':memory:'` for a throwaway ledger. */
  file: string;
  /** How long a write waits for another connection's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** The flush behind `sync()` (tests count calls); defaults to fdatasync on the libuv thread pool. */
  flushFile?: (handle: FileHandle) => Promise<void>;
}

// Terminal states as SQL literals: fixed strings of our own, so inlining them is safe.
const TERMINAL_SQL = [...TERMINAL_LEDGER_STATES].map((s) => `'${s}'`).join(', ');

type PatchColumns = Pick<JobRow, 'project' | 'queue_id' | 'build_number' | 'build_url' | 'outcome_json'>;

/**
 * JobLedger on one SQLite file. Every write is its own transaction committed in WAL mode with
 * `synchronous = NORMAL`: a commit is appended to the WAL file (in the OS page cache) before the
 * call returns, so it survives kill -9 and OOM kills. Power-loss durability is `sync()`: one
 * fdatasync of the WAL file on the libuv thread pool, shared by every caller waiting at that moment
 * (group commit). With `synchronous = FULL` SQLite fsynced on each commit, on the event loop: ~2.6 ms
 * blocked per write on the benchmark disk, ~7 writes per job, which capped the bridge near 50 jobs/s.
 * Fsyncing the WAL file is what FULL adds over NORMAL in WAL mode; checkpoints still sync
 * themselves. Write transactions are BEGIN IMMEDIATE, so a second process on the same file waits
 * (busy timeout) instead of racing a read-modify-write.
 */
export class SqliteJobLedger implements JobLedger {
  private readonly db: Database.Database;
  private readonly upsertReceived: Database.Statement<[string, string, number, number]>;
  private readonly selectJob: Database.Statement<[string], JobRow>;
  private readonly updateJob: Database.Statement<[LedgerState, string | null, number | null, number | null, string | null, string | null, number, string]>;
  private readonly selectUnfinished: Database.Statement<[], JobRow>;
  private readonly selectRecent: Database.Statement<[number], JobRow>;
  private readonly deleteFinished: Database.Statement<[number, number]>;
  private readonly beginTx: (job: PipelineJob, now: number) => JobRow;
  private readonly advanceTx: (jobId: string, state: LedgerState, patch: LedgerPatch, now: number) => JobRow;

  private readonly walFile: string | undefined;
  private readonly flushFile: (handle: FileHandle) => Promise<void>;
  private wal: FileHandle | undefined;
  /** The flush running now, and the one queued behind it for writes made while it runs. */
  private flushing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  /** Writes committed so far, and how many of them the running flush covers. */
  private writes = 0;
  private flushingCovers = 0;

  constructor(options: SqliteJobLedgerOptions, logger: Logger) {
    const log = logger.child({ component: 'ledger' });
    this.walFile = options.file === ':memory:' || options.file === '' ? undefined : `${options.file}-wal`;
    this.flushFile = options.flushFile ?? ((handle) => handle.datasync());
    if (options.file !== ':memory:' && options.file !== '') mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      const journal = this.db.pragma('journal_mode = WAL', { simple: true }) as string;
      // NORMAL + sync(): the WAL is fsynced by sync() (group commit) instead of on every commit.
      this.db.pragma('synchronous = NORMAL');
      const from = migrateLedger(this.db, log);
      if (journal !== 'wal' && options.file !== ':memory:') log.warn('ledger is not in WAL mode', { file: options.file, journal });
      log.info('ledger opened', { file: options.file, journal, schemaVersion: LEDGER_SCHEMA_VERSION, migratedFrom: from });
    } catch (error) {
      this.db.close();
      throw error;
    }

    // A job offered again while `received` (never acknowledged) or `abandoned` (CodePipeline took
    // it back) starts over with the new nonce; any other entry is work in progress and stays.
    this.upsertReceived = this.db.prepare(
      `INSERT INTO jobs (job_id, state, job_json, created_at, updated_at) VALUES (?, 'received', ?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE SET
         state = 'received', job_json = excluded.job_json, project = NULL, queue_id = NULL, build_number = NULL,
         build_url = NULL, outcome_json = NULL, created_at = excluded.created_at, updated_at = excluded.updated_at
       WHERE jobs.state IN ('received', 'abandoned')`,
    );
    this.selectJob = this.db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE job_id = ?');
    this.updateJob = this.db.prepare(
      `UPDATE jobs SET state = ?, project = ?, queue_id = ?, build_number = ?, build_url = ?, outcome_json = ?, updated_at = ?
       WHERE job_id = ?`,
    );
    this.selectUnfinished = this.db.prepare<[], JobRow>(
      `SELECT * FROM jobs WHERE state NOT IN (${TERMINAL_SQL}) ORDER BY created_at ASC, rowid ASC`,
    );
    this.selectRecent = this.db.prepare<[number], JobRow>('SELECT * FROM jobs ORDER BY updated_at DESC, rowid DESC LIMIT ?');
    // Finished entries that are too old, or beyond the newest `keep` finished ones. Unfinished
    // entries are never touched: they are work a restarted bridge must resume.
    this.deleteFinished = this.db.prepare(
      `DELETE FROM jobs WHERE state IN (${TERMINAL_SQL}) AND (
         updated_at < ?
         OR job_id NOT IN (SELECT job_id FROM jobs WHERE state IN (${TERMINAL_SQL}) ORDER BY updated_at DESC, rowid DESC LIMIT ?)
       )`,
    );

    const begin = this.db.transaction((job: PipelineJob, now: number): JobRow => {
      this.upsertReceived.run(job.id, JSON.stringify(storableJob(job)), now, now);
      return this.selectJob.get(job.id) as JobRow;
    });
    this.beginTx = begin.immediate;
    const advance = this.db.transaction((jobId: string, state: LedgerState, patch: LedgerPatch, now: number): JobRow => {
      const row = this.selectJob.get(jobId);
      if (!row) throw new Error(`ledger: no job ${jobId}`);
      const current = rowToEntry(row);
      assertLedgerTransition(jobId, current.state, state);
      const merged = mergePatch(row, patch);
      this.updateJob.run(state, merged.project, merged.queue_id, merged.build_number, merged.build_url, merged.outcome_json, now, jobId);
      return { ...row, ...merged, state, updated_at: now };
    });
    this.advanceTx = advance.immediate;
  }

  sync(): Promise<void> {
    if (!this.walFile) return Promise.resolve();
    // A flush that already started may have missed this caller's writes: wait for the next one,
    // which every caller arriving meanwhile shares.
    if (this.flushing) {
      if (this.writes <= this.flushingCovers) return this.flushing;
      this.queued ??= this.flushing.then(
        () => this.startFlush(),
        () => this.startFlush(),
      );
      return this.queued;
    }
    return this.startFlush();
  }

  private startFlush(): Promise<void> {
    this.queued = undefined;
    this.flushingCovers = this.writes;
    const flush = this.flushWal().finally(() => {
      if (this.flushing === flush) this.flushing = undefined;
    });
    this.flushing = flush;
    return flush;
  }

  private async flushWal(): Promise<void> {
    if (!this.db.open) throw new Error('ledger: closed');
    if (!this.wal) {
      try {
        this.wal = await open(this.walFile!, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing written yet
        throw error;
      }
    }
    await this.flushFile(this.wal);
  }

  begin(job: PipelineJob, now: number): LedgerEntry {
    const row = this.beginTx(job, now);
    this.writes++;
    return rowToEntry(row);
  }

  advance(jobId: string, state: LedgerState, patch: LedgerPatch, now: number): LedgerEntry {
    const row = this.advanceTx(jobId, state, patch, now);
    this.writes++;
    return rowToEntry(row);
  }

  get(jobId: string): LedgerEntry | undefined {
    const row = this.selectJob.get(jobId);
    return row && rowToEntry(row);
  }

  unfinished(): LedgerEntry[] {
    return this.selectUnfinished.all().map(rowToEntry);
  }

  recent(limit: number): LedgerEntry[] {
    return this.selectRecent.all(nonNegativeInteger('limit', limit)).map(rowToEntry);
  }

  prune(options: { olderThan: number; keep: number }): number {
    // One statement is one transaction; `changes` counts only the deleted jobs rows.
    return this.deleteFinished.run(options.olderThan, nonNegativeInteger('keep', options.keep)).changes;
  }

  /** Closes the file (checkpointing the WAL). Idempotent. */
  close(): void {
    void this.wal?.close().catch(() => undefined);
    this.wal = undefined;
    if (this.db.open) this.db.close();
  }
}

/** Patch fields override the row's; `undefined` keeps what is there. */
function mergePatch(row: JobRow, patch: LedgerPatch): PatchColumns {
  return {
    project: patch.project ?? row.project,
    queue_id: patch.queueId ?? row.queue_id,
    build_number: patch.buildNumber ?? row.build_number,
    build_url: patch.buildUrl ?? row.build_url,
    outcome_json: patch.outcome !== undefined ? JSON.stringify(patch.outcome) : row.outcome_json,
  };
}

// SQLite reads LIMIT -1 as "no limit"; a negative count here is a caller bug, not a wish for everything.
function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`ledger: ${name} must be a non-negative integer, got ${value}`);
  return value;
}
