import type { JobLedger, LedgerEntry, LedgerPatch, LedgerState } from '../../src/ports/job-ledger';
import { TERMINAL_LEDGER_STATES } from '../../src/ports/job-ledger';
import { assertLedgerTransition } from '../../src/core/ledger-transition';
import { storableJob } from '../../src/core/storable-job';
import type { PipelineJob } from '../../src/ports/pipeline-job';


/** In-memory JobLedger with the same transition rules as the SQLite one (core/ledger-transition). */
export class FakeLedger implements JobLedger {
  readonly entries = new Map<string, LedgerEntry>();
  /** Every state written, in order, per job: what a crash at each point would leave behind. */
  readonly history: { jobId: string; state: LedgerState }[] = [];

  /** sync() calls so far (a test can check a side effect waited for one). */
  syncs = 0;

  async sync(): Promise<void> {
    this.syncs++;
  }

  begin(job: PipelineJob, now: number): LedgerEntry {
    const existing = this.entries.get(job.id);
    if (existing && existing.state !== 'received' && existing.state !== 'abandoned') return structuredClone(existing);
    const entry: LedgerEntry = { jobId: job.id, state: 'received', job: structuredClone(storableJob(job)), createdAt: now, updatedAt: now };
    this.entries.set(job.id, entry);
    this.history.push({ jobId: job.id, state: 'received' });
    return structuredClone(entry);
  }

  advance(jobId: string, state: LedgerState, patch: LedgerPatch, now: number): LedgerEntry {
    const entry = this.entries.get(jobId);
    if (!entry) throw new Error(`ledger has no job ${jobId}`);
    assertLedgerTransition(jobId, entry.state, state);
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) (entry as unknown as Record<string, unknown>)[key] = value;
    entry.state = state;
    entry.updatedAt = now;
    this.history.push({ jobId, state });
    return structuredClone(entry);
  }

  get(jobId: string): LedgerEntry | undefined {
    const entry = this.entries.get(jobId);
    return entry && structuredClone(entry);
  }

  unfinished(): LedgerEntry[] {
    return [...this.entries.values()].filter((e) => !TERMINAL_LEDGER_STATES.has(e.state)).sort((a, b) => a.createdAt - b.createdAt).map((e) => structuredClone(e));
  }

  recent(limit: number): LedgerEntry[] {
    return [...this.entries.values()].sort((a, b) => b.updatedAt - a.updatedAt).slice(0, limit).map((e) => structuredClone(e));
  }

  prune(): number {
    return 0;
  }

  close(): void {}

  /** A copy of the ledger as a crash right now would leave it (a new process opening the file). */
  snapshot(): FakeLedger {
    const copy = new FakeLedger();
    for (const [id, entry] of this.entries) copy.entries.set(id, structuredClone(entry));
    return copy;
  }
}
