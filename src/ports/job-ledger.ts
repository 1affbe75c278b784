import type { PipelineJob } from './pipeline-job';

/**
 * Where a job stands, recorded BEFORE the side effect it protects, so a restarted bridge knows
 * what may already have happened:
 *
 * | state              | written before…                     | on resume                                   |
 * |--------------------|-------------------------------------|---------------------------------------------|
 * | received           | AcknowledgeJob (nonce kept)         | acknowledge with the kept nonce; run if owned |
 * | acknowledged       | any work (after AcknowledgeJob)     | look for a build by correlation; else trigger |
 * | build-requested    | the buildWithParameters POST        | look for it (queue, builds); else trigger    |
 * | build-known        | — (queue id / build number learnt)  | follow that build                            |
 * | artifacts-uploaded | PutJob*Result (outputs are in S3)   | report success again (idempotent outcome)    |
 * | reported           | — terminal                          | nothing                                      |
 * | handed-off         | — terminal: continuation token sent | nothing (the continuation job resumes)       |
 * | abandoned          | — terminal: CodePipeline refused     | nothing                                      |
 */
export type LedgerState = 'received' | 'acknowledged' | 'build-requested' | 'build-known' | 'artifacts-uploaded' | 'reported' | 'handed-off' | 'abandoned';

export const TERMINAL_LEDGER_STATES: ReadonlySet<LedgerState> = new Set(['reported', 'handed-off', 'abandoned']);

export interface LedgerEntry {
  jobId: string;
  state: LedgerState;
  /**
   * The job as received, nonce included, WITHOUT artifact credentials and with only `ProjectName`
   * of the action configuration (secrets never touch the disk; GetJobDetails returns them).
   */
  job: PipelineJob;
  project?: string;
  queueId?: number;
  buildNumber?: number;
  buildUrl?: string;
  /** Set once the result is known: what was (or will be) reported. */
  outcome?: { kind: 'success' | 'failure' | 'handed-off' | 'abandoned'; detail?: string };
  createdAt: number;
  updatedAt: number;
}

export type LedgerPatch = Partial<Pick<LedgerEntry, 'project' | 'queueId' | 'buildNumber' | 'buildUrl' | 'outcome'>>;

/**
 * Durable record of the jobs this bridge owns. Writes are synchronous and transactional: when a
 * call returns, the row survives kill -9 (it is in the OS's hands). `sync()` is the barrier for
 * power loss: once it resolves, every write made before the call is on the disk. Callers await it
 * before a side effect the write protects (acknowledge, trigger, result report); concurrent calls
 * share one disk flush (group commit), so the flush never runs once per write on the event loop.
 * A state never moves backwards.
 */
export interface JobLedger {
  /** Resolves once every write made before this call is on stable storage. */
  sync(): Promise<void>;
  /**
   * Records a job just received from PollForJobs, in state `received`, before it is acknowledged.
   * An existing entry in `received` or `abandoned` is replaced (CodePipeline offered the job again,
   * with a new nonce); any other existing entry is returned unchanged.
   */
  begin(job: PipelineJob, now: number): LedgerEntry;
  /** Moves the entry forward to `state` with `patch`; moving backwards or out of a terminal state throws. */
  advance(jobId: string, state: LedgerState, patch: LedgerPatch, now: number): LedgerEntry;
  get(jobId: string): LedgerEntry | undefined;
  /** Entries not in a terminal state, oldest first: the work a restarted bridge must resume. */
  unfinished(): LedgerEntry[];
  /** Recent entries, newest first (history pages). */
  recent(limit: number): LedgerEntry[];
  /** Deletes terminal entries older than `olderThan` and beyond the newest `keep`; returns how many. */
  prune(options: { olderThan: number; keep: number }): number;
  close(): void;
}
