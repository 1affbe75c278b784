import { sameValues, type ParamValue } from './parameters';
import type { SimJob } from './sim-job';
import type { QueueTimes, SimRun } from './sim-run';

/**
 * hudson.model.Queue item lifecycle: WaitingItem (quiet period) → BlockedItem (job does not allow
 * concurrent builds and one runs) / BuildableItem (waiting for an executor) → LeftItem (started or
 * cancelled; kept `leftItemRetentionMs`, then 404 like Jenkins' 5-minute left-items cache).
 */
export type QueueState = 'waiting' | 'blocked' | 'buildable' | 'left';

export class QueueItem {
  state: QueueState = 'waiting';
  readonly inQueueSince = Date.now();
  /** Causes folded in by duplicate triggers ("Started by user x (2 times)"). */
  causeCount = 1;
  /** NotWaitingItem#buildableStartMilliseconds: when the quiet period ended. */
  buildableStartMilliseconds = 0;
  private blockedSince: number | undefined;
  private blockedMs = 0;
  leftAt = 0;
  cancelled = false;
  run: SimRun | undefined;
  /** Whether the transient `executable:null` LeftItem has been shown (see transientLeftItem). */
  transientShown = false;

  constructor(
    readonly id: number,
    readonly job: SimJob,
    /** null for a non-parameterized job (no ParametersAction at all). */
    readonly params: ParamValue[] | null,
    readonly user: string,
    /** WaitingItem#timestamp: end of the quiet period. */
    public dueAt: number,
  ) {}

  get pending(): boolean {
    return this.state !== 'left';
  }

  setState(next: QueueState, now: number): void {
    if (this.state === next) return;
    if (this.state === 'waiting') this.buildableStartMilliseconds = now;
    if (this.state === 'blocked' && this.blockedSince !== undefined) this.blockedMs += now - this.blockedSince;
    if (next === 'blocked') this.blockedSince = now;
    if (next === 'left') this.leftAt = now;
    this.state = next;
  }

  times(now: number): QueueTimes {
    const waitingMs = Math.max(0, this.buildableStartMilliseconds - this.inQueueSince);
    return { queueId: this.id, waitingMs, blockedMs: this.blockedMs, buildableMs: Math.max(0, now - this.buildableStartMilliseconds - this.blockedMs) };
  }
}

export interface QueueSettings {
  executors: number;
  leftItemRetentionMs: number;
  /** Creates and starts the build for an item leaving the queue. */
  startRun(item: QueueItem, times: QueueTimes): SimRun;
}

export class SimQueue {
  private readonly items = new Map<number, QueueItem>();
  private readonly running = new Set<SimRun>();
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly settings: QueueSettings) {}

  /**
   * Queue#schedule2: an identical item still in the queue (same job, equal parameters) absorbs the
   * request (created:false) and keeps the earlier of the two quiet-period ends.
   */
  schedule(job: SimJob, params: ParamValue[] | null, user: string, quietPeriodMs: number): { item: QueueItem; created: boolean } {
    const dueAt = Date.now() + Math.max(0, quietPeriodMs);
    const duplicate = this.pendingItems().find(
      (i) => i.job === job && (i.params === null || params === null ? i.params === params : sameValues(i.params, params)),
    );
    if (duplicate) {
      duplicate.causeCount++;
      if (duplicate.state === 'waiting') duplicate.dueAt = Math.min(duplicate.dueAt, dueAt);
      this.maintain();
      return { item: duplicate, created: false };
    }
    const item = new QueueItem(this.nextId++, job, params, user, dueAt);
    this.items.set(item.id, item);
    this.maintain();
    return { item, created: true };
  }

  get(id: number): QueueItem | undefined {
    this.expire();
    return this.items.get(id);
  }

  /** Items still in the queue (not left), oldest first. */
  pendingItems(): QueueItem[] {
    this.expire();
    return [...this.items.values()].filter((i) => i.pending);
  }

  /** Queue#doCancelItem outcome. */
  cancel(id: number): 'cancelled' | 'not-found' | 'already-left' {
    const item = this.get(id);
    if (!item) return 'not-found';
    if (!item.pending) return 'already-left';
    item.cancelled = true;
    item.setState('left', Date.now());
    this.maintain();
    return 'cancelled';
  }

  get busyExecutors(): number {
    return this.running.size;
  }

  get idle(): boolean {
    return this.running.size === 0 && this.pendingItems().length === 0;
  }

  /** A build reached COMPLETED: its executor is free again. */
  release(run: SimRun): void {
    this.running.delete(run);
    this.maintain();
  }

  /** Moves items along: quiet period over → blocked/buildable → started while executors are free. */
  maintain(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const item of this.pendingItems()) {
      if (item.state === 'waiting') {
        if (item.dueAt > now) continue;
        item.setState('buildable', now);
      }
      const last = item.job.lastBuild;
      if (!item.job.concurrentBuild && last?.building) {
        item.setState('blocked', now);
      } else if (this.running.size < this.settings.executors) {
        const times = item.times(now);
        item.setState('left', now);
        const run = this.settings.startRun(item, times);
        item.run = run;
        this.running.add(run);
      } else {
        item.setState('buildable', now);
      }
    }
    this.armTimer(now);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private armTimer(now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.pendingItems().filter((i) => i.state === 'waiting').map((i) => i.dueAt);
    if (due.length === 0) return;
    this.timer = setTimeout(() => this.maintain(), Math.max(0, Math.min(...due) - now));
    this.timer.unref();
  }

  private expire(): void {
    const cutoff = Date.now() - this.settings.leftItemRetentionMs;
    for (const [id, item] of this.items) {
      if (!item.pending && item.leftAt <= cutoff) this.items.delete(id);
    }
  }
}
