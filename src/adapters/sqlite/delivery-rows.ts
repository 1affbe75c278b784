import type { DeliveryRecord, DeliveryStatus, DeliveryTarget, TargetState } from '../../ports/delivery-store';
import type { TriggerTarget } from '../../webhooks/routing/route-target';

/** A `webhook_deliveries` row as better-sqlite3 returns it. */
export interface DeliveryRow {
  seq: number;
  dedupe_key: string;
  source: string;
  delivery_id: string;
  delivery_id_from: string;
  sender_event: string | null;
  status: string;
  http_status: number;
  reason: string | null;
  notes_json: string;
  duplicate_of: number | null;
  received_at: number;
  updated_at: number;
}

/** A `webhook_delivery_targets` row. */
export interface TargetRow {
  dedupe_key: string;
  target_key: string;
  position: number;
  kind: string;
  name: string;
  target_json: string;
  routes_json: string;
  state: string;
  attempts: number;
  queue_id: number | null;
  build_number: number | null;
  url: string | null;
  execution_id: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

const STATUSES: ReadonlySet<string> = new Set<DeliveryStatus>(['accepted', 'triggered', 'failed', 'ignored', 'duplicate', 'rejected']);
const STATES: ReadonlySet<string> = new Set<TargetState>(['pending', 'triggered', 'failed']);

export function rowToTarget(delivery: Pick<DeliveryRow, 'source' | 'delivery_id'>): (row: TargetRow) => DeliveryTarget {
  return (row) => {
    if (!STATES.has(row.state)) throw new Error(`delivery store: target ${row.target_key.slice(0, 12)}… has unknown state '${row.state}'`);
    return {
      dedupeKey: row.dedupe_key,
      deliveryId: delivery.delivery_id,
      source: delivery.source,
      key: row.target_key,
      target: JSON.parse(row.target_json) as TriggerTarget,
      routes: JSON.parse(row.routes_json) as string[],
      state: row.state as TargetState,
      attempts: row.attempts,
      ...(row.queue_id !== null ? { queueId: row.queue_id } : {}),
      ...(row.build_number !== null ? { buildNumber: row.build_number } : {}),
      ...(row.url !== null ? { url: row.url } : {}),
      ...(row.execution_id !== null ? { executionId: row.execution_id } : {}),
      ...(row.last_error !== null ? { lastError: row.last_error } : {}),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  };
}

export function rowToRecord(row: DeliveryRow, targets: readonly TargetRow[]): DeliveryRecord {
  if (!STATUSES.has(row.status)) throw new Error(`delivery store: record #${row.seq} has unknown status '${row.status}'`);
  return {
    seq: row.seq,
    dedupeKey: row.dedupe_key,
    source: row.source,
    deliveryId: row.delivery_id,
    deliveryIdFrom: row.delivery_id_from,
    ...(row.sender_event !== null ? { senderEvent: row.sender_event } : {}),
    receivedAt: row.received_at,
    updatedAt: row.updated_at,
    status: row.status as DeliveryStatus,
    httpStatus: row.http_status,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    notes: JSON.parse(row.notes_json) as string[],
    ...(row.duplicate_of !== null ? { duplicateOf: row.duplicate_of } : {}),
    targets: targets.map(rowToTarget(row)),
  };
}
