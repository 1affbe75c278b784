import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../ports/logger';
import {
  failedReason,
  OWNER_STATUSES,
  ownerStatus,
  type AcceptResult,
  type DeliveryReceipt,
  type DeliveryRecord,
  type DeliveryStatus,
  type DeliveryStore,
  type DeliveryTarget,
  type NewDeliveryTarget,
  type TargetState,
  type TriggeredAs,
} from '../../ports/delivery-store';
import { rowToRecord, rowToTarget, type DeliveryRow, type TargetRow } from './delivery-rows';
import { migrateLedger } from './ledger-schema';

export interface SqliteDeliveryStoreOptions {
  /** The ledger file (`<dataDir>/ledger.sqlite3`), on a connection of its own; `':memory:'` for a throwaway store. */
  file: string;
  busyTimeoutMs?: number;
  /**
   * Rejected requests kept at most (newest), trimmed on every insert: they come from anyone who
   * can reach the endpoint, so they must not grow the file between prunes. Default 1000.
   */
  maxRejected?: number;
}

const OWNER_SQL = `status IN ('accepted', 'triggered', 'failed')`;

/**
 * DeliveryStore in the ledger's SQLite file, with the ledger's durability (WAL, `synchronous =
 * FULL`): an accepted delivery's pending targets are on disk before the endpoint answers, so a
 * crash is resumed, and the owner index keeps a redelivery from triggering twice.
 */
export class SqliteDeliveryStore implements DeliveryStore {
  private readonly db: Database.Database;
  private readonly maxRejected: number;
  private readonly stmt: Statements;
  private readonly acceptTx: (receipt: DeliveryReceipt, targets: readonly NewDeliveryTarget[], httpStatus: number, notes: readonly string[]) => AcceptResult;
  private readonly recordTx: (receipt: DeliveryReceipt, status: 'ignored' | 'rejected', httpStatus: number, reason: string, notes: readonly string[]) => DeliveryRecord;
  private readonly settleTx: (dedupeKey: string, apply: () => void, at: number) => void;
  private readonly pruneTx: (olderThan: number, keep: number) => number;

  constructor(options: SqliteDeliveryStoreOptions, logger: Logger) {
    if (options.file !== ':memory:' && options.file !== '') mkdirSync(dirname(options.file), { recursive: true });
    this.maxRejected = options.maxRejected ?? 1000;
    this.db = new Database(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      migrateLedger(this.db, logger.child({ component: 'delivery-store' }));
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.stmt = prepareStatements(this.db);
    const s = this.stmt;

    this.acceptTx = this.db
      .transaction((receipt: DeliveryReceipt, targets: readonly NewDeliveryTarget[], httpStatus: number, notes: readonly string[]): AcceptResult => {
        const owner = s.selectOwner.get(receipt.dedupeKey);
        if (owner) {
          // A redelivery is the sender's "try again": failed targets go back to pending, triggered ones stay.
          const failed = s.selectTargetsIn.all(receipt.dedupeKey, 'failed');
          s.retryFailed.run(receipt.receivedAt, receipt.dedupeKey);
          const retry = failed.map((row) => rowToTarget(owner)({ ...row, state: 'pending', updated_at: receipt.receivedAt }));
          if (retry.length > 0) s.updateOwner.run('accepted', null, receipt.receivedAt, owner.seq);
          const reason = retry.length > 0 ? `redelivery of #${owner.seq}: retrying ${retry.length} failed target(s)` : `redelivery of #${owner.seq}: nothing new triggered`;
          const seq = insertRow(s, receipt, 'duplicate', 202, reason, [], owner.seq);
          return { outcome: 'duplicate', record: this.read(seq), owner: this.read(owner.seq), retry };
        }
        const seq = insertRow(s, receipt, 'accepted', httpStatus, null, notes, null);
        targets.forEach((t, position) => {
          const name = t.target.kind === 'jenkins' ? t.target.job : t.target.name;
          s.insertTarget.run(receipt.dedupeKey, t.key, position, t.target.kind, name, JSON.stringify(t.target), JSON.stringify(t.routes), receipt.receivedAt, receipt.receivedAt);
        });
        const record = this.read(seq);
        return { outcome: 'accepted', record, targets: record.targets };
      })
      .immediate;

    this.recordTx = this.db
      .transaction((receipt: DeliveryReceipt, status: 'ignored' | 'rejected', httpStatus: number, reason: string, notes: readonly string[]) => {
        const seq = insertRow(s, receipt, status, httpStatus, reason, notes, null);
        if (status === 'rejected') s.trimRejected.run(this.maxRejected);
        return this.read(seq);
      })
      .immediate;

    this.settleTx = this.db
      .transaction((dedupeKey: string, apply: () => void, at: number) => {
        apply();
        // The owner's status follows its targets (one transaction, so a reader never sees them disagree).
        const owner = s.selectOwner.get(dedupeKey);
        if (!owner) return;
        const states = s.selectTargets.all(dedupeKey).map((t) => ({ state: t.state as TargetState, lastError: t.last_error ?? undefined }));
        const status = ownerStatus(states.map((t) => t.state));
        s.updateOwner.run(status, status === 'failed' ? failedReason(states) : null, at, owner.seq);
      })
      .immediate;

    this.pruneTx = this.db
      .transaction((olderThan: number, keep: number) => {
        const deleted = s.deleteOld.run(olderThan, keep).changes;
        s.deleteOrphanTargets.run();
        return deleted;
      })
      .immediate;
  }

  private read(seq: number): DeliveryRecord {
    const row = this.stmt.selectBySeq.get(seq);
    if (!row) throw new Error(`delivery store: no record #${seq}`);
    return rowToRecord(row, OWNER_STATUSES.has(row.status as DeliveryStatus) ? this.stmt.selectTargets.all(row.dedupe_key) : []);
  }

  accept(receipt: DeliveryReceipt, targets: readonly NewDeliveryTarget[], details: { httpStatus: number; notes: readonly string[] }): AcceptResult {
    return this.acceptTx(receipt, targets, details.httpStatus, details.notes);
  }

  record(receipt: DeliveryReceipt, status: 'ignored' | 'rejected', details: { httpStatus: number; reason: string; notes?: readonly string[] }): DeliveryRecord {
    return this.recordTx(receipt, status, details.httpStatus, details.reason, details.notes ?? []);
  }

  markAttempt(dedupeKey: string, key: string, at: number): number {
    const row = this.stmt.bumpAttempts.get(at, dedupeKey, key);
    if (!row) throw new Error(`delivery store: no pending target ${key.slice(0, 12)}… of ${dedupeKey}`);
    return row.attempts;
  }

  noteError(dedupeKey: string, key: string, error: string, at: number): void {
    this.stmt.noteError.run(error, at, dedupeKey, key);
  }

  markTriggered(dedupeKey: string, key: string, as: TriggeredAs, at: number): void {
    this.settleTx(dedupeKey, () => this.stmt.triggered.run(as.queueId ?? null, as.buildNumber ?? null, as.url ?? null, as.executionId ?? null, at, dedupeKey, key), at);
  }

  markFailed(dedupeKey: string, key: string, error: string, at: number): void {
    this.settleTx(dedupeKey, () => this.stmt.failed.run(error, at, dedupeKey, key), at);
  }

  pendingTargets(): DeliveryTarget[] {
    return this.stmt.selectPending.all().map((row) => rowToTarget({ source: row.source, delivery_id: row.delivery_id })(row));
  }

  recent(options: { limit: number; source?: string | undefined }): DeliveryRecord[] {
    const limit = Math.max(0, Math.floor(options.limit));
    const rows = options.source === undefined ? this.stmt.recent.all(limit) : this.stmt.recentOf.all(options.source, limit);
    return rows.map((row) => this.read(row.seq));
  }

  prune(options: { olderThan: number; keep: number }): number {
    return this.pruneTx(options.olderThan, Math.max(0, Math.floor(options.keep)));
  }

  /** Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

function insertRow(
  s: Statements,
  receipt: DeliveryReceipt,
  status: DeliveryRecord['status'],
  httpStatus: number,
  reason: string | null,
  notes: readonly string[],
  duplicateOf: number | null,
): number {
  const info = s.insertDelivery.run(
    receipt.dedupeKey,
    receipt.source,
    receipt.deliveryId,
    receipt.deliveryIdFrom,
    receipt.senderEvent ?? null,
    status,
    httpStatus,
    reason,
    JSON.stringify(notes),
    duplicateOf,
    receipt.receivedAt,
    receipt.receivedAt,
  );
  return Number(info.lastInsertRowid);
}

function prepareStatements(db: Database.Database) {
  return {
    selectOwner: db.prepare<[string], DeliveryRow>(`SELECT * FROM webhook_deliveries WHERE dedupe_key = ? AND ${OWNER_SQL}`),
    selectBySeq: db.prepare<[number], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE seq = ?'),
    insertDelivery: db.prepare<[string, string, string, string, string | null, string, number, string | null, string, number | null, number, number]>(
      `INSERT INTO webhook_deliveries (dedupe_key, source, delivery_id, delivery_id_from, sender_event, status, http_status, reason, notes_json, duplicate_of, received_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateOwner: db.prepare<[string, string | null, number, number]>('UPDATE webhook_deliveries SET status = ?, reason = ?, updated_at = ? WHERE seq = ?'),
    insertTarget: db.prepare<[string, string, number, string, string, string, string, number, number]>(
      `INSERT INTO webhook_delivery_targets (dedupe_key, target_key, position, kind, name, target_json, routes_json, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    ),
    selectTargets: db.prepare<[string], TargetRow>('SELECT * FROM webhook_delivery_targets WHERE dedupe_key = ? ORDER BY position'),
    selectTargetsIn: db.prepare<[string, string], TargetRow>('SELECT * FROM webhook_delivery_targets WHERE dedupe_key = ? AND state = ? ORDER BY position'),
    retryFailed: db.prepare<[number, string]>(`UPDATE webhook_delivery_targets SET state = 'pending', updated_at = ? WHERE dedupe_key = ? AND state = 'failed'`),
    bumpAttempts: db.prepare<[number, string, string], { attempts: number }>(
      `UPDATE webhook_delivery_targets SET attempts = attempts + 1, updated_at = ? WHERE dedupe_key = ? AND target_key = ? AND state = 'pending' RETURNING attempts`,
    ),
    noteError: db.prepare<[string, number, string, string]>(
      `UPDATE webhook_delivery_targets SET last_error = ?, updated_at = ? WHERE dedupe_key = ? AND target_key = ? AND state = 'pending'`,
    ),
    triggered: db.prepare<[number | null, number | null, string | null, string | null, number, string, string]>(
      `UPDATE webhook_delivery_targets SET state = 'triggered', queue_id = ?, build_number = ?, url = ?, execution_id = ?, last_error = NULL, updated_at = ?
       WHERE dedupe_key = ? AND target_key = ?`,
    ),
    failed: db.prepare<[string, number, string, string]>(
      `UPDATE webhook_delivery_targets SET state = 'failed', last_error = ?, updated_at = ? WHERE dedupe_key = ? AND target_key = ?`,
    ),
    selectPending: db.prepare<[], TargetRow & { source: string; delivery_id: string; seq: number }>(
      `SELECT t.*, d.source, d.delivery_id, d.seq FROM webhook_delivery_targets t
       JOIN webhook_deliveries d ON d.dedupe_key = t.dedupe_key AND d.${OWNER_SQL}
       WHERE t.state = 'pending' ORDER BY t.created_at, t.dedupe_key, t.position`,
    ),
    recent: db.prepare<[number], DeliveryRow>('SELECT * FROM webhook_deliveries ORDER BY seq DESC LIMIT ?'),
    recentOf: db.prepare<[string, number], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE source = ? ORDER BY seq DESC LIMIT ?'),
    trimRejected: db.prepare<[number]>(
      // The (max+1)-th newest rejection and older; NULL (nothing deleted) while there are fewer.
      `DELETE FROM webhook_deliveries WHERE status = 'rejected' AND seq <=
         (SELECT seq FROM webhook_deliveries WHERE status = 'rejected' ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
    ),
    // Owners with a pending target are work to resume: never pruned.
    deleteOld: db.prepare<[number, number]>(
      `DELETE FROM webhook_deliveries
       WHERE (received_at < ? OR seq NOT IN (SELECT seq FROM webhook_deliveries ORDER BY seq DESC LIMIT ?))
         AND NOT (${OWNER_SQL} AND EXISTS (SELECT 1 FROM webhook_delivery_targets t WHERE t.dedupe_key = webhook_deliveries.dedupe_key AND t.state = 'pending'))`,
    ),
    deleteOrphanTargets: db.prepare(
      `DELETE FROM webhook_delivery_targets WHERE NOT EXISTS
         (SELECT 1 FROM webhook_deliveries d WHERE d.dedupe_key = webhook_delivery_targets.dedupe_key AND d.${OWNER_SQL})`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;
