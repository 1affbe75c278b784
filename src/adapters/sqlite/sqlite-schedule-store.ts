import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../ports/logger';
import type { ScheduleRun, ScheduleRunOutcome, ScheduleStore } from '../../ports/schedule-store';
import { migrateLedger } from './ledger-schema';

export interface SqliteScheduleStoreOptions {
  /** The ledger file (`<dataDir>/ledger.sqlite3`): schedule runs live in its tables, on a connection of their own. `':memory:'` for a throwaway store. */
  file: string;
  busyTimeoutMs?: number;
}

interface RunRow {
  name: string;
  scheduled_for: number;
  outcome: string;
  started_at: number | null;
  finished_at: number | null;
  detail: string | null;
  recorded_at: number;
}

const OUTCOMES: ReadonlySet<string> = new Set<ScheduleRunOutcome>(['running', 'succeeded', 'failed', 'interrupted', 'missed', 'skipped']);

function toRun(row: RunRow): ScheduleRun {
  if (!OUTCOMES.has(row.outcome)) throw new Error(`schedule store: run ${row.name}@${row.scheduled_for} has unknown outcome '${row.outcome}'`);
  return {
    name: row.name,
    scheduledFor: row.scheduled_for,
    outcome: row.outcome as ScheduleRunOutcome,
    ...(row.started_at !== null ? { startedAt: row.started_at } : {}),
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
    ...(row.detail !== null ? { detail: row.detail } : {}),
    recordedAt: row.recorded_at,
  };
}

/**
 * ScheduleStore in the ledger's SQLite file (its own tables, added by a ledger migration), with
 * the ledger's durability: WAL and `synchronous = FULL`, so a claimed slot survives kill -9 and is
 * never run again. `INSERT OR IGNORE` on the (name, slot) key makes claiming atomic.
 */
export class SqliteScheduleStore implements ScheduleStore {
  private readonly db: Database.Database;
  private readonly insertRun: Database.Statement<[string, number, string, number | null, string | null, number]>;
  private readonly finishRun: Database.Statement<[string, string | null, number, string, number]>;
  private readonly interruptRunning: Database.Statement<[number]>;
  private readonly selectRunning: Database.Statement<[], RunRow>;
  private readonly upsertSeen: Database.Statement<[string, string, number]>;
  private readonly selectSeen: Database.Statement<[string], { signature: string; seen_at: number }>;
  private readonly deleteOld: Database.Statement<[number]>;
  private readonly closeRunning: (at: number) => RunRow[];
  private readonly markSeenTx: (entries: readonly { name: string; signature: string }[], at: number) => void;

  constructor(options: SqliteScheduleStoreOptions, logger: Logger) {
    if (options.file !== ':memory:' && options.file !== '') mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      migrateLedger(this.db, logger.child({ component: 'schedule-store' }));
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.insertRun = this.db.prepare(
      `INSERT OR IGNORE INTO schedule_runs (name, scheduled_for, outcome, started_at, detail, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.finishRun = this.db.prepare(`UPDATE schedule_runs SET outcome = ?, detail = ?, finished_at = ? WHERE name = ? AND scheduled_for = ?`);
    this.interruptRunning = this.db.prepare(`UPDATE schedule_runs SET outcome = 'interrupted', finished_at = ? WHERE outcome = 'running'`);
    this.selectRunning = this.db.prepare<[], RunRow>(`SELECT * FROM schedule_runs WHERE outcome = 'running' ORDER BY scheduled_for`);
    this.upsertSeen = this.db.prepare(
      `INSERT INTO schedule_heartbeats (name, signature, seen_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET signature = excluded.signature, seen_at = excluded.seen_at`,
    );
    this.selectSeen = this.db.prepare<[string], { signature: string; seen_at: number }>('SELECT signature, seen_at FROM schedule_heartbeats WHERE name = ?');
    this.deleteOld = this.db.prepare(`DELETE FROM schedule_runs WHERE scheduled_for < ? AND outcome <> 'running'`);
    const closeRunning = this.db.transaction((at: number): RunRow[] => {
      const rows = this.selectRunning.all();
      this.interruptRunning.run(at);
      return rows.map((row) => ({ ...row, outcome: 'interrupted', finished_at: at }));
    });
    this.closeRunning = closeRunning.immediate;
    const markSeen = this.db.transaction((entries: readonly { name: string; signature: string }[], at: number) => {
      for (const entry of entries) this.upsertSeen.run(entry.name, entry.signature, at);
    });
    this.markSeenTx = markSeen.immediate;
  }

  claim(name: string, scheduledFor: number, at: number): boolean {
    return this.insertRun.run(name, scheduledFor, 'running', at, null, at).changes === 1;
  }

  finish(name: string, scheduledFor: number, outcome: 'succeeded' | 'failed' | 'interrupted', at: number, detail?: string): void {
    this.finishRun.run(outcome, detail ?? null, at, name, scheduledFor);
  }

  recordNotRun(name: string, scheduledFor: number, outcome: 'missed' | 'skipped', at: number, detail?: string): boolean {
    return this.insertRun.run(name, scheduledFor, outcome, null, detail ?? null, at).changes === 1;
  }

  closeInterrupted(at: number): ScheduleRun[] {
    return this.closeRunning(at).map(toRun);
  }

  runs(name: string, options: { limit: number; outcomes?: readonly ScheduleRunOutcome[] }): ScheduleRun[] {
    const outcomes = options.outcomes ?? [];
    // Placeholders per outcome: the values are bound, never spliced in.
    const filter = outcomes.length ? `AND outcome IN (${outcomes.map(() => '?').join(', ')})` : '';
    const rows = this.db
      .prepare<unknown[], RunRow>(`SELECT * FROM schedule_runs WHERE name = ? ${filter} ORDER BY scheduled_for DESC LIMIT ?`)
      .all(name, ...outcomes, Math.max(0, Math.floor(options.limit)));
    return rows.map(toRun);
  }

  lastSeen(name: string): { signature: string; at: number } | undefined {
    const row = this.selectSeen.get(name);
    return row && { signature: row.signature, at: row.seen_at };
  }

  markSeen(entries: readonly { name: string; signature: string }[], at: number): void {
    this.markSeenTx(entries, at);
  }

  prune(olderThan: number): number {
    return this.deleteOld.run(olderThan).changes;
  }

  /** Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
