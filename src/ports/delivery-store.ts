import type { TriggerTarget } from '../webhooks/routing/route-target';

/**
 * What became of one inbound webhook request:
 *
 * | status    | meaning                                                                  | dedupe owner |
 * |-----------|--------------------------------------------------------------------------|--------------|
 * | accepted  | verified, routed; targets recorded `pending`, triggering under way       | yes          |
 * | triggered | every target triggered                                                   | yes          |
 * | failed    | no target pending any more and at least one failed                       | yes          |
 * | ignored   | verified, but nothing to trigger (unsupported event, no route matched, ping) | no       |
 * | duplicate | verified redelivery of a delivery that has an owner: nothing new triggered | no         |
 * | rejected  | not verified (401), too large (413) or malformed (400): nothing triggered | no          |
 *
 * Only an owner blocks a redelivery, so a delivery rejected for a wrong secret, or ignored for
 * want of a route, is processed afresh when the sender redelivers it after the fix.
 */
export type DeliveryStatus = 'accepted' | 'triggered' | 'failed' | 'ignored' | 'duplicate' | 'rejected';

export const OWNER_STATUSES: ReadonlySet<DeliveryStatus> = new Set(['accepted', 'triggered', 'failed']);

/** `pending` is written before the first trigger call, so a crash leaves work to resume, not a guess. */
export type TargetState = 'pending' | 'triggered' | 'failed';

/** Who sent a request, from its headers (DeliveryIdentity without the sender-specific extras). */
export interface DeliveryReceipt {
  /** `${source}:${deliveryId}`: ids are unique per sender only. */
  dedupeKey: string;
  source: string;
  deliveryId: string;
  /** Header the id came from (`X-GitHub-Delivery`, `Idempotency-Key`, …) or `body-sha256`. */
  deliveryIdFrom: string;
  senderEvent?: string | undefined;
  receivedAt: number;
}

/** A target to record with an accepted delivery. */
export interface NewDeliveryTarget {
  /** triggerToken(dedupeKey, targetKey): the per-target ledger key and the pipeline clientRequestToken. */
  key: string;
  target: TriggerTarget;
  /** Routes that produced it. */
  routes: readonly string[];
}

export interface DeliveryTarget extends NewDeliveryTarget {
  dedupeKey: string;
  deliveryId: string;
  source: string;
  state: TargetState;
  /** Trigger calls started (recorded before each call). */
  attempts: number;
  /** Jenkins: the queue item, and its URL. */
  queueId?: number;
  buildNumber?: number;
  url?: string;
  /** Pipeline: the execution StartPipelineExecution returned. */
  executionId?: string;
  lastError?: string;
  createdAt: number;
  updatedAt: number;
}

export interface DeliveryRecord extends DeliveryReceipt {
  /** Unique per record, increasing with arrival. */
  seq: number;
  status: DeliveryStatus;
  /** What the endpoint answered. */
  httpStatus: number;
  /** Why it was ignored, rejected, a duplicate, or failed. Never a secret or body content. */
  reason?: string;
  /** E.g. `paths not checked: the payload lists no changed files`. */
  notes: string[];
  /** A duplicate's owner record. */
  duplicateOf?: number;
  updatedAt: number;
  /** Owners only: what the delivery triggers, in routing order. */
  targets: DeliveryTarget[];
}

export type AcceptResult =
  | { outcome: 'accepted'; record: DeliveryRecord; targets: DeliveryTarget[] }
  /**
   * The dedupe key already has an owner: recorded as a duplicate. `retry` holds the owner's
   * `failed` targets, set back to `pending` (a redelivery is the sender's "try again"); targets
   * already triggered are never triggered again.
   */
  | { outcome: 'duplicate'; record: DeliveryRecord; owner: DeliveryRecord; retry: DeliveryTarget[] };

export interface TriggeredAs {
  queueId?: number | undefined;
  buildNumber?: number | undefined;
  url?: string | undefined;
  executionId?: string | undefined;
}

/**
 * Durable record of inbound webhook deliveries and what each triggered: the dedupe ledger.
 * Writes are synchronous and atomic; when a call returns the row is on disk.
 */
export interface DeliveryStore {
  /**
   * Records a verified delivery with its targets (all `pending`), or, when the dedupe key already
   * has an owner, a duplicate of it. Check and insert are one transaction: two concurrent
   * redeliveries cannot both become owners. `targets` holds at least one (a delivery that
   * triggers nothing is `record`ed as ignored).
   */
  accept(receipt: DeliveryReceipt, targets: readonly NewDeliveryTarget[], details: { httpStatus: number; notes: readonly string[] }): AcceptResult;
  /**
   * Records a request that triggers nothing: ignored (verified) or rejected (not verified, too
   * large, malformed). Rejections are capped (the newest are kept): anyone can send them.
   */
  record(receipt: DeliveryReceipt, status: 'ignored' | 'rejected', details: { httpStatus: number; reason: string; notes?: readonly string[] }): DeliveryRecord;
  /** Counts an attempt, before the trigger call it protects; returns the attempt number (1-based). */
  markAttempt(dedupeKey: string, key: string, at: number): number;
  /** Keeps the last transient error on a pending target (retries continue). */
  noteError(dedupeKey: string, key: string, error: string, at: number): void;
  markTriggered(dedupeKey: string, key: string, as: TriggeredAs, at: number): void;
  markFailed(dedupeKey: string, key: string, error: string, at: number): void;
  /** Targets still `pending`, oldest first: what a restarted bridge triggers. */
  pendingTargets(): DeliveryTarget[];
  /** Newest first, optionally of one source. */
  recent(options: { limit: number; source?: string | undefined }): DeliveryRecord[];
  /**
   * Deletes records received before `olderThan`, and beyond the newest `keep`, except owners with a
   * pending target. Once an owner is gone, a redelivery of it is processed afresh: the dedupe window
   * is the retention. Returns how many records were deleted.
   */
  prune(options: { olderThan: number; keep: number }): number;
  close(): void;
}

/** An owner's status from its targets' states. */
export function ownerStatus(states: readonly TargetState[]): 'accepted' | 'triggered' | 'failed' {
  if (states.some((s) => s === 'pending')) return 'accepted';
  return states.every((s) => s === 'triggered') ? 'triggered' : 'failed';
}

/** The reason a `failed` owner records. */
export function failedReason(targets: readonly { state: TargetState; lastError?: string | undefined }[]): string {
  const failed = targets.filter((t) => t.state === 'failed');
  return `${failed.length} of ${targets.length} target(s) failed: ${failed[0]?.lastError ?? 'unknown error'}`;
}
