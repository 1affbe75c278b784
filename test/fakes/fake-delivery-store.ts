import {
  failedReason,
  OWNER_STATUSES,
  ownerStatus,
  type AcceptResult,
  type DeliveryReceipt,
  type DeliveryRecord,
  type DeliveryStore,
  type DeliveryTarget,
  type NewDeliveryTarget,
  type TriggeredAs,
} from '../../src/ports/delivery-store';

type Row = Omit<DeliveryRecord, 'targets'>;

/** In-memory DeliveryStore with the SQLite one's rules (one owner per dedupe key, pending never pruned). */
export class FakeDeliveryStore implements DeliveryStore {
  readonly rows: Row[] = [];
  readonly targets = new Map<string, DeliveryTarget[]>();
  /** Errors thrown by the next calls to the named method (a full disk, a locked file). */
  readonly failures: Partial<Record<keyof DeliveryStore, Error[]>> = {};
  closed = false;
  private seq = 0;

  constructor(private readonly maxRejected = 1000) {}

  private maybeFail(method: keyof DeliveryStore): void {
    const error = this.failures[method]?.shift();
    if (error) throw error;
  }

  private owner(dedupeKey: string): Row | undefined {
    return this.rows.find((r) => r.dedupeKey === dedupeKey && OWNER_STATUSES.has(r.status));
  }

  private view(row: Row): DeliveryRecord {
    const targets = OWNER_STATUSES.has(row.status) ? (this.targets.get(row.dedupeKey) ?? []) : [];
    return structuredClone({ ...row, targets });
  }

  private insert(receipt: DeliveryReceipt, fields: Pick<Row, 'status' | 'httpStatus' | 'notes'> & { reason?: string; duplicateOf?: number }): Row {
    const row: Row = { ...receipt, seq: ++this.seq, updatedAt: receipt.receivedAt, ...fields };
    if (row.senderEvent === undefined) delete row.senderEvent;
    this.rows.push(row);
    return row;
  }

  private target(dedupeKey: string, key: string): DeliveryTarget | undefined {
    return this.targets.get(dedupeKey)?.find((t) => t.key === key);
  }

  private settle(dedupeKey: string, at: number): void {
    const owner = this.owner(dedupeKey);
    if (!owner) return;
    const targets = this.targets.get(dedupeKey) ?? [];
    owner.status = ownerStatus(targets.map((t) => t.state));
    if (owner.status === 'failed') owner.reason = failedReason(targets);
    else delete owner.reason;
    owner.updatedAt = at;
  }

  accept(receipt: DeliveryReceipt, targets: readonly NewDeliveryTarget[], details: { httpStatus: number; notes: readonly string[] }): AcceptResult {
    this.maybeFail('accept');
    const owner = this.owner(receipt.dedupeKey);
    if (owner) {
      const retry = (this.targets.get(receipt.dedupeKey) ?? []).filter((t) => t.state === 'failed');
      for (const t of retry) {
        t.state = 'pending';
        t.updatedAt = receipt.receivedAt;
      }
      if (retry.length > 0) {
        owner.status = 'accepted';
        delete owner.reason;
        owner.updatedAt = receipt.receivedAt;
      }
      const reason = retry.length > 0 ? `redelivery of #${owner.seq}: retrying ${retry.length} failed target(s)` : `redelivery of #${owner.seq}: nothing new triggered`;
      const row = this.insert(receipt, { status: 'duplicate', httpStatus: 202, notes: [], reason, duplicateOf: owner.seq });
      return { outcome: 'duplicate', record: this.view(row), owner: this.view(owner), retry: structuredClone(retry) };
    }
    const row = this.insert(receipt, { status: 'accepted', httpStatus: details.httpStatus, notes: [...details.notes] });
    this.targets.set(
      receipt.dedupeKey,
      targets.map((t) => ({
        ...structuredClone(t),
        routes: [...t.routes],
        dedupeKey: receipt.dedupeKey,
        deliveryId: receipt.deliveryId,
        source: receipt.source,
        state: 'pending' as const,
        attempts: 0,
        createdAt: receipt.receivedAt,
        updatedAt: receipt.receivedAt,
      })),
    );
    const record = this.view(row);
    return { outcome: 'accepted', record, targets: record.targets };
  }

  record(receipt: DeliveryReceipt, status: 'ignored' | 'rejected', details: { httpStatus: number; reason: string; notes?: readonly string[] }): DeliveryRecord {
    this.maybeFail('record');
    const row = this.insert(receipt, { status, httpStatus: details.httpStatus, reason: details.reason, notes: [...(details.notes ?? [])] });
    if (status === 'rejected') {
      const rejected = this.rows.filter((r) => r.status === 'rejected');
      for (const old of rejected.slice(0, Math.max(0, rejected.length - this.maxRejected))) this.rows.splice(this.rows.indexOf(old), 1);
    }
    return this.view(row);
  }

  markAttempt(dedupeKey: string, key: string, at: number): number {
    this.maybeFail('markAttempt');
    const t = this.target(dedupeKey, key);
    if (!t || t.state !== 'pending') throw new Error(`delivery store: no pending target ${key.slice(0, 12)}… of ${dedupeKey}`);
    t.attempts++;
    t.updatedAt = at;
    return t.attempts;
  }

  noteError(dedupeKey: string, key: string, error: string, at: number): void {
    const t = this.target(dedupeKey, key);
    if (!t || t.state !== 'pending') return;
    t.lastError = error;
    t.updatedAt = at;
  }

  markTriggered(dedupeKey: string, key: string, as: TriggeredAs, at: number): void {
    this.maybeFail('markTriggered');
    const t = this.target(dedupeKey, key);
    if (!t) return;
    t.state = 'triggered';
    for (const field of ['queueId', 'buildNumber', 'url', 'executionId'] as const) {
      if (as[field] !== undefined) (t as unknown as Record<string, unknown>)[field] = as[field];
    }
    delete t.lastError;
    t.updatedAt = at;
    this.settle(dedupeKey, at);
  }

  markFailed(dedupeKey: string, key: string, error: string, at: number): void {
    this.maybeFail('markFailed');
    const t = this.target(dedupeKey, key);
    if (!t) return;
    t.state = 'failed';
    t.lastError = error;
    t.updatedAt = at;
    this.settle(dedupeKey, at);
  }

  pendingTargets(): DeliveryTarget[] {
    const pending = [...this.targets.entries()]
      .filter(([dedupeKey]) => this.owner(dedupeKey))
      .flatMap(([, targets]) => targets.filter((t) => t.state === 'pending'));
    return structuredClone(pending.sort((a, b) => a.createdAt - b.createdAt));
  }

  recent(options: { limit: number; source?: string | undefined }): DeliveryRecord[] {
    return this.rows
      .filter((r) => options.source === undefined || r.source === options.source)
      .sort((a, b) => b.seq - a.seq)
      .slice(0, Math.max(0, Math.floor(options.limit)))
      .map((r) => this.view(r));
  }

  prune(options: { olderThan: number; keep: number }): number {
    const newest = new Set([...this.rows].sort((a, b) => b.seq - a.seq).slice(0, options.keep).map((r) => r.seq));
    const doomed = this.rows.filter((r) => {
      if (r.receivedAt >= options.olderThan && newest.has(r.seq)) return false;
      const pending = OWNER_STATUSES.has(r.status) && (this.targets.get(r.dedupeKey) ?? []).some((t) => t.state === 'pending');
      return !pending;
    });
    for (const row of doomed) this.rows.splice(this.rows.indexOf(row), 1);
    for (const dedupeKey of [...this.targets.keys()]) if (!this.owner(dedupeKey)) this.targets.delete(dedupeKey);
    return doomed.length;
  }

  close(): void {
    this.closed = true;
  }
}
