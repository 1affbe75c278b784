import { setTimeout as delay } from 'node:timers/promises';
import type { SimResult } from '../types';
import type { SimRun } from '../model/sim-run';
import { gsonJson } from './gson-json';
import { jobState } from './job-state';
import { DeliveryError, sendNotification, withoutUserinfo } from './send-notification';
import type { SimNotificationEndpoint, SimNotificationEvent, SimNotificationPhase, SimNotificationRecord } from './types';

/** Run lifecycle points the notifier hooks (RunListener onStarted / onCompleted / onFinalized). */
export type SimRunPhase = 'started' | 'completed' | 'finalized';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The Notification plugin inside the simulator. Like the plugin's JobListener, `onStarted` sends
 * QUEUED then STARTED (QUEUED is not sent at queueing), `onCompleted` sends COMPLETED once the
 * result is set (log still open) and `onFinalized` FINALIZED once the log is closed. Deliveries
 * run on the build's own path, endpoint after endpoint: SimRun awaits STARTED and COMPLETED, so a
 * slow endpoint delays the build as it holds a Jenkins executor. A failed delivery never fails
 * the build: it is printed to the console (STARTED/COMPLETED only; QUEUED and FINALIZED use
 * TaskListener.NULL) and recorded.
 */
export class SimNotifier {
  readonly records: SimNotificationRecord[] = [];
  private endpoints: readonly SimNotificationEndpoint[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  constructor(
    endpoints: readonly SimNotificationEndpoint[],
    private readonly rootUrl: () => string,
  ) {
    this.setEndpoints(endpoints);
  }

  /** Replaces the endpoints (builds already running use the new ones from their next phase on). */
  setEndpoints(endpoints: readonly SimNotificationEndpoint[]): void {
    for (const e of endpoints) {
      // Protocol.HTTP#validateUrl runs when the job configuration is saved.
      let url: URL;
      try {
        url = new URL(e.url);
      } catch {
        throw new Error(`Jenkins simulator: invalid notification URL '${e.url}'. Use http://hostname:port/path for endpoint URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Jenkins simulator: not an http(s) notification URL: ${e.url}`);
    }
    this.endpoints = endpoints.map((e) => ({ ...e }));
  }

  /** The SimRun hook; undefined (nothing to wait for) when no endpoint is configured. */
  onPhase(run: SimRun, phase: SimRunPhase): Promise<void> | undefined {
    if (this.endpoints.length === 0 || this.controller.signal.aborted) return undefined;
    const phases: SimNotificationPhase[] = phase === 'started' ? ['QUEUED', 'STARTED'] : phase === 'completed' ? ['COMPLETED'] : ['FINALIZED'];
    const task = (async () => {
      for (const p of phases) await this.notifyAll(run, p);
    })().catch(() => undefined); // SimRun awaits this: a bug here must not hang or fail the build.
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
    return task;
  }

  /** Resolves once no delivery is in flight (rejects after `timeoutMs`). */
  async waitForIdle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0) {
      if (Date.now() > deadline) throw new Error(`Jenkins simulator: ${this.inFlight.size} notification deliveries still running after ${timeoutMs} ms`);
      await delay(5);
    }
  }

  /** Aborts deliveries in flight (recorded as failed) and sends nothing more. */
  async close(): Promise<void> {
    this.controller.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private async notifyAll(run: SimRun, phase: SimNotificationPhase): Promise<void> {
    const targets = this.endpoints.filter((e) => (!e.jobs || e.jobs.includes(run.job.fullName)) && isRun(e.event ?? 'all', phase, run.result));
    for (const endpoint of targets) {
      if (this.controller.signal.aborted) return;
      await this.deliver(run, phase, endpoint);
    }
  }

  private async deliver(run: SimRun, phase: SimNotificationPhase, endpoint: SimNotificationEndpoint): Promise<void> {
    const url = new URL(endpoint.url);
    const plainUrl = withoutUserinfo(url).href;
    const print = phase === 'STARTED' || phase === 'COMPLETED' ? (line: string) => run.log.append(line) : () => undefined;
    // Phase#handle prints the expanded URL itself (token and userinfo included) unless it is a secret URL.
    const urlId = endpoint.credentialsId !== undefined ? `credentials id '${endpoint.credentialsId}'` : `url '${endpoint.url}'`;
    const authorization = endpoint.credentials
      ? `Basic ${Buffer.from(`${endpoint.credentials.user}:${endpoint.credentials.password}`, 'utf8').toString('base64')}`
      : undefined;
    let triesRemaining = Math.max(0, endpoint.retries ?? 0);
    let failed = false;
    let attempts = 0;
    do {
      attempts++;
      print(`Notifying endpoint with ${urlId}`);
      const body = gsonJson(jobState(run, phase, this.rootUrl(), Date.now()));
      const record: SimNotificationRecord = {
        url: plainUrl,
        phase,
        job: run.job.fullName,
        number: run.number,
        status: 0,
        attempts,
        basicAuth: authorization !== undefined || url.username !== '' || url.password !== '',
        body,
        sentAt: Date.now(),
      };
      try {
        const outcome = await sendNotification(url, Buffer.from(body, 'utf8'), {
          authorization,
          timeoutMs: endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          signal: this.controller.signal,
        });
        record.status = outcome.status;
        if (outcome.redirectedTo) record.redirectedTo = outcome.redirectedTo;
      } catch (error) {
        failed = true;
        const message = error instanceof DeliveryError ? error.message : `java.io.IOException: ${(error as Error).message}`;
        record.error = message;
        print(`ERROR: Failed to notify endpoint with ${urlId}`);
        print(`Failed to notify endpoint with ${urlId} - ${message}`);
        if (triesRemaining > 0) print(`Reattempting to notify endpoint with ${urlId} (${triesRemaining} tries remaining)`);
      }
      this.records.push(record);
      // The plugin never clears `failed`: after one failure every remaining try is sent, even after
      // a success, so a receiver can see the same phase twice.
    } while (failed && --triesRemaining >= 0 && !this.controller.signal.aborted);
  }
}

/** Phase#isRun for the events the simulator models. */
function isRun(event: SimNotificationEvent, phase: SimNotificationPhase, result: SimResult | null): boolean {
  switch (event) {
    case 'all':
      return true;
    case 'failed':
      return phase === 'FINALIZED' && result === 'FAILURE';
    default:
      return event === phase.toLowerCase();
  }
}
