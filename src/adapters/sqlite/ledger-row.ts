import type { LedgerEntry } from '../../ports/job-ledger';
import type { PipelineJob } from '../../ports/pipeline-job';
import { isLedgerState } from '../../core/ledger-transition';

/** One `jobs` row as better-sqlite3 returns it. */
export interface JobRow {
  job_id: string;
  state: string;
  job_json: string;
  project: string | null;
  queue_id: number | null;
  build_number: number | null;
  build_url: string | null;
  outcome_json: string | null;
  created_at: number;
  updated_at: number;
}

export { storableJob } from '../../core/storable-job';

export function rowToEntry(row: JobRow): LedgerEntry {
  if (!isLedgerState(row.state)) throw new Error(`ledger: job ${row.job_id} has unknown state '${row.state}'`);
  return {
    jobId: row.job_id,
    state: row.state,
    job: JSON.parse(row.job_json) as PipelineJob,
    ...(row.project !== null ? { project: row.project } : {}),
    ...(row.queue_id !== null ? { queueId: row.queue_id } : {}),
    ...(row.build_number !== null ? { buildNumber: row.build_number } : {}),
    ...(row.build_url !== null ? { buildUrl: row.build_url } : {}),
    ...(row.outcome_json !== null ? { outcome: JSON.parse(row.outcome_json) as NonNullable<LedgerEntry['outcome']> } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
