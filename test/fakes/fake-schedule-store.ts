import type { ScheduleRun, ScheduleRunOutcome, ScheduleStore } from '../../src/ports/schedule-store';

/** In-memory ScheduleStore with the SQLite one's rules: one record per (name, slot); claims and not-run records never overwrite. */
export class FakeScheduleStore implements ScheduleStore {
  readonly rows = new Map<string, ScheduleRun>();
  readonly seen = new Map<string, { signature: string; at: number }>();
  closed = false;

  private key(name: string, scheduledFor: number): string {
    return `${name}\n${scheduledFor}`;
  }

  claim(name: string, scheduledFor: number, at: number): boolean {
    const key = this.key(name, scheduledFor);
    if (this.rows.has(key)) return false;
    this.rows.set(key, { name, scheduledFor, outcome: 'running', startedAt: at, recordedAt: at });
    return true;
  }

  finish(name: string, scheduledFor: number, outcome: 'succeeded' | 'failed' | 'interrupted', at: number, detail?: string): void {
    const row = this.rows.get(this.key(name, scheduledFor));
    if (!row) return;
    row.outcome = outcome;
    row.finishedAt = at;
    if (detail !== undefined) row.detail = detail;
    else delete row.detail;
  }

  recordNotRun(name: string, scheduledFor: number, outcome: 'missed' | 'skipped', at: number, detail?: string): boolean {
    const key = this.key(name, scheduledFor);
    if (this.rows.has(key)) return false;
    this.rows.set(key, { name, scheduledFor, outcome, recordedAt: at, ...(detail !== undefined ? { detail } : {}) });
    return true;
  }

  closeInterrupted(at: number): ScheduleRun[] {
    const running = [...this.rows.values()].filter((r) => r.outcome === 'running').sort((a, b) => a.scheduledFor - b.scheduledFor);
    for (const row of running) {
      row.outcome = 'interrupted';
      row.finishedAt = at;
    }
    return running.map((r) => ({ ...r }));
  }

  runs(name: string, options: { limit: number; outcomes?: readonly ScheduleRunOutcome[] }): ScheduleRun[] {
    return [...this.rows.values()]
      .filter((r) => r.name === name && (!options.outcomes?.length || options.outcomes.includes(r.outcome)))
      .sort((a, b) => b.scheduledFor - a.scheduledFor)
      .slice(0, options.limit)
      .map((r) => ({ ...r }));
  }

  lastSeen(name: string): { signature: string; at: number } | undefined {
    const seen = this.seen.get(name);
    return seen && { ...seen };
  }

  markSeen(entries: readonly { name: string; signature: string }[], at: number): void {
    for (const entry of entries) this.seen.set(entry.name, { signature: entry.signature, at });
  }

  prune(olderThan: number): number {
    let deleted = 0;
    for (const [key, row] of this.rows) {
      if (row.scheduledFor < olderThan && row.outcome !== 'running') {
        this.rows.delete(key);
        deleted++;
      }
    }
    return deleted;
  }

  close(): void {
    this.closed = true;
  }

  /** Every run of a schedule, oldest slot first (assertions). */
  all(name: string): ScheduleRun[] {
    return this.runs(name, { limit: Number.MAX_SAFE_INTEGER }).reverse();
  }
}
