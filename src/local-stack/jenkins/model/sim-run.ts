import { mkdir, rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { SimBuildContext, SimBuildState, SimResult } from '../types';
import { ArtifactDir } from './artifact-dir';
import { BuildLog } from './build-log';
import type { ParamValue } from './parameters';
import type { SimJob } from './sim-job';

/** How long the queue item spent in each state, for TimeInQueueAction. */
export interface QueueTimes {
  queueId: number;
  waitingMs: number;
  blockedMs: number;
  buildableMs: number;
}

export interface RunSettings {
  /** Directory owning this build's artifacts and workspace. */
  dir: string;
  postProductionMs: number;
  /** Called once the build is COMPLETED (executor released). */
  onCompleted(run: SimRun): void;
  /**
   * RunListener hooks (the Notification plugin): `started` before the script runs, `completed`
   * once the result is set (log open), `finalized` after the log closed. Awaited for started and
   * completed, as listeners run on the executor thread; must not reject.
   */
  onPhase?(run: SimRun, phase: 'started' | 'completed' | 'finalized'): Promise<void> | undefined;
}

/** Result ordinal: when a stopped build also reports a result, the worse one wins (Result.combine). */
const SEVERITY: Record<SimResult, number> = { SUCCESS: 0, UNSTABLE: 1, FAILURE: 2, ABORTED: 4 };

/**
 * One build. States follow hudson.model.Run.State: BUILDING (script runs) → POST_PRODUCTION
 * (result set, log still open) → COMPLETED (log closed). Pipeline runs report `building:true`
 * until completed (WorkflowRun#isBuilding = result == null || isInProgress); freestyle builds turn
 * `building:false` at POST_PRODUCTION. `inProgress` is true until COMPLETED for both.
 */
export class SimRun {
  readonly log = new BuildLog();
  readonly artifacts: ArtifactDir;
  readonly workspace: string;
  readonly timestamp = Date.now();
  state: SimBuildState = 'building';
  result: SimResult | null = null;
  duration = 0;
  /** Settles when the build is COMPLETED. */
  readonly done: Promise<void>;
  private readonly controller = new AbortController();
  private stopRequested = false;
  private finishTimer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;

  constructor(
    readonly job: SimJob,
    readonly number: number,
    readonly params: readonly ParamValue[] | null,
    readonly user: string,
    readonly queueTimes: QueueTimes,
    private readonly settings: RunSettings,
  ) {
    this.artifacts = new ArtifactDir(`${settings.dir}/archive`);
    this.workspace = `${settings.dir}/workspace`;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get queueId(): number {
    return this.queueTimes.queueId;
  }

  get inProgress(): boolean {
    return this.state !== 'completed';
  }

  get building(): boolean {
    return this.job.kind === 'pipeline' ? this.result === null || this.inProgress : this.state === 'building';
  }

  get paramRecord(): Record<string, string> {
    return Object.fromEntries((this.params ?? []).map((p) => [p.name, p.value]));
  }

  start(): void {
    void this.execute();
  }

  /**
   * `POST .../stop` (and Pipeline `term`/`kill`): interrupts the script with ABORTED. Does nothing
   * once the script has finished, as Jenkins' Executor#doStop.
   */
  stop(byUser: string, mode: 'stop' | 'term' | 'kill' = 'stop'): void {
    if (this.state !== 'building' || this.stopRequested) return;
    this.stopRequested = true;
    if (this.job.kind === 'freestyle') this.log.append('Build was aborted');
    if (mode === 'kill') this.log.append('Hard kill!');
    this.log.append(`Aborted by ${byUser}`);
    this.controller.abort(new Error(`Aborted by ${byUser}`));
  }

  /** Used by simulator close / build deletion: abort and skip the post-production pause. */
  async shutdown(): Promise<void> {
    this.stop('SYSTEM');
    if (this.finishTimer) {
      clearTimeout(this.finishTimer);
      this.complete();
    }
    // A script that ignores its signal must not hang close(): bounded wait.
    await Promise.race([this.done, delay(2_000, undefined, { ref: false })]);
  }

  private context(): SimBuildContext {
    const signal = this.controller.signal;
    return {
      job: this.job.fullName,
      number: this.number,
      params: this.paramRecord,
      signal,
      workspace: this.workspace,
      log: (line) => {
        if (this.state === 'building') this.log.append(line);
      },
      sleep: (ms) => delay(ms, undefined, { signal }),
      archive: (relativePath, content) => this.artifacts.archive(relativePath, content),
    };
  }

  private async execute(): Promise<void> {
    this.log.append(`Started by user ${this.user}`);
    const started = this.settings.onPhase?.(this, 'started');
    if (started) await started;
    let result: SimResult = 'SUCCESS';
    let error: unknown;
    try {
      await mkdir(this.workspace, { recursive: true });
      if (this.job.kind === 'pipeline') this.log.append('[Pipeline] Start of Pipeline');
      else this.log.append(`Building in workspace ${this.workspace}`);
      const returned: SimResult | void = await this.job.script(this.context());
      if (returned) result = returned;
    } catch (e) {
      error = e;
      result = 'FAILURE';
    }
    if (this.stopRequested) result = SEVERITY[result] > SEVERITY.ABORTED ? result : 'ABORTED';
    if (this.job.kind === 'pipeline') this.log.append('[Pipeline] End of Pipeline');
    if (error !== undefined && !this.stopRequested) {
      this.log.append(`ERROR: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.result = result;
    this.duration = Math.max(1, Date.now() - this.timestamp);
    this.state = 'post-production';
    const completed = this.settings.onPhase?.(this, 'completed');
    if (completed) await completed;
    if (this.state === 'post-production') this.finishTimer = setTimeout(() => this.complete(), this.settings.postProductionMs);
  }

  private complete(): void {
    if (this.state === 'completed') return;
    this.finishTimer = undefined;
    this.log.append(`Finished: ${this.result}`);
    this.log.close();
    this.state = 'completed';
    void this.settings.onPhase?.(this, 'finalized');
    this.settings.onCompleted(this);
    this.resolveDone();
  }

  async remove(): Promise<void> {
    await this.shutdown();
    await rm(this.settings.dir, { recursive: true, force: true });
  }
}
