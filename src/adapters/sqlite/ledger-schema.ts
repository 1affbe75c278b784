import type Database from 'better-sqlite3';
import type { Logger } from '../../ports/logger';

/**
 * The ledger's schema as an append-only list of migrations: entry i takes the file from
 * `user_version` i to i + 1. Never edit a shipped entry; add a new one (e.g. webhook deliveries).
 */
export const LEDGER_MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     job_id       TEXT PRIMARY KEY,
     state        TEXT NOT NULL,
     job_json     TEXT NOT NULL,
     project      TEXT,
     queue_id     INTEGER,
     build_number INTEGER,
     build_url    TEXT,
     outcome_json TEXT,
     created_at   INTEGER NOT NULL,
     updated_at   INTEGER NOT NULL
   );
   CREATE INDEX jobs_state_updated ON jobs (state, updated_at);`,
  // Schedule runs (one row per schedule and slot: the key is what stops a slot running twice) and
  // per-schedule liveness (lower bound of the missed-run search after a restart).
  `CREATE TABLE schedule_runs (
     name          TEXT NOT NULL,
     scheduled_for INTEGER NOT NULL,
     outcome       TEXT NOT NULL,
     started_at    INTEGER,
     finished_at   INTEGER,
     detail        TEXT,
     recorded_at   INTEGER NOT NULL,
     PRIMARY KEY (name, scheduled_for)
   );
   CREATE INDEX schedule_runs_outcome ON schedule_runs (outcome);
   CREATE TABLE schedule_heartbeats (
     name      TEXT PRIMARY KEY,
     signature TEXT NOT NULL,
     seen_at   INTEGER NOT NULL
   );`,
  // Inbound webhook deliveries (one row per request received, bodies never stored) and the
  // targets each triggers. The partial unique index is the dedupe: at most one owner
  // (accepted / triggered / failed) per dedupe key; duplicates, rejections and ignored
  // deliveries are plain rows beside it.
  `CREATE TABLE webhook_deliveries (
     seq              INTEGER PRIMARY KEY AUTOINCREMENT,
     dedupe_key       TEXT NOT NULL,
     source           TEXT NOT NULL,
     delivery_id      TEXT NOT NULL,
     delivery_id_from TEXT NOT NULL,
     sender_event     TEXT,
     status           TEXT NOT NULL,
     http_status      INTEGER NOT NULL,
     reason           TEXT,
     notes_json       TEXT NOT NULL DEFAULT '[]',
     duplicate_of     INTEGER,
     received_at      INTEGER NOT NULL,
     updated_at       INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX webhook_deliveries_owner ON webhook_deliveries (dedupe_key) WHERE status IN ('accepted', 'triggered', 'failed');
   CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, seq);
   CREATE INDEX webhook_deliveries_source ON webhook_deliveries (source, seq);
   CREATE TABLE webhook_delivery_targets (
     dedupe_key   TEXT NOT NULL,
     target_key   TEXT NOT NULL,
     position     INTEGER NOT NULL,
     kind         TEXT NOT NULL,
     name         TEXT NOT NULL,
     target_json  TEXT NOT NULL,
     routes_json  TEXT NOT NULL,
     state        TEXT NOT NULL,
     attempts     INTEGER NOT NULL DEFAULT 0,
     queue_id     INTEGER,
     build_number INTEGER,
     url          TEXT,
     execution_id TEXT,
     last_error   TEXT,
     created_at   INTEGER NOT NULL,
     updated_at   INTEGER NOT NULL,
     PRIMARY KEY (dedupe_key, target_key)
   );
   CREATE INDEX webhook_delivery_targets_state ON webhook_delivery_targets (state, created_at);`,
];

export const LEDGER_SCHEMA_VERSION = LEDGER_MIGRATIONS.length;

/**
 * Brings the file up to LEDGER_SCHEMA_VERSION. Runs under BEGIN IMMEDIATE, so two processes
 * opening a fresh file at once cannot both apply a step (the second waits, then finds nothing to do).
 * Returns the version the file had before.
 */
export function migrateLedger(db: Database.Database, logger: Logger): number {
  return db
    .transaction(() => {
      const from = db.pragma('user_version', { simple: true }) as number;
      if (from > LEDGER_SCHEMA_VERSION) {
        // A newer bridge wrote this file; guessing at its tables could lose its records.
        throw new Error(`ledger schema version ${from} is newer than this bridge understands (${LEDGER_SCHEMA_VERSION})`);
      }
      for (let version = from; version < LEDGER_SCHEMA_VERSION; version++) {
        db.exec(LEDGER_MIGRATIONS[version] as string);
        logger.info('ledger schema migrated', { from: version, to: version + 1 });
      }
      // PRAGMA takes no bound parameters; the value is our own integer.
      if (from !== LEDGER_SCHEMA_VERSION) db.pragma(`user_version = ${LEDGER_SCHEMA_VERSION}`);
      return from;
    })
    .immediate();
}
