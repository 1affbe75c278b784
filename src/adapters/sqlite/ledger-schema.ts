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
