export { SqliteJobLedger, type SqliteJobLedgerOptions } from './sqlite-job-ledger';
export { createLedgerPruneTask, type LedgerPruneTaskOptions } from './ledger-prune-task';
export { LEDGER_SCHEMA_VERSION } from './ledger-schema';
