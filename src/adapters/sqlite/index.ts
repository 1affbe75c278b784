export { SqliteJobLedger, type SqliteJobLedgerOptions } from './sqlite-job-ledger';
export { LEDGER_SCHEMA_VERSION } from './ledger-schema';
export { SqliteScheduleStore, type SqliteScheduleStoreOptions } from './sqlite-schedule-store';
export { SqliteDeliveryStore, type SqliteDeliveryStoreOptions } from './sqlite-delivery-store';
