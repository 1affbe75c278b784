import { setTimeout as sleep } from 'node:timers/promises';
import type { BuildRef } from '../../ports/build-runner';
import type { Logger } from '../../ports/logger';
import type { BuildLocator } from './build-lookup';
import { statusOf, toBridgeError } from './jenkins-errors';
import { QueueItemJson, TREE } from './jenkins-json';
import type { JenkinsRequests } from './jenkins-requests';

/** How long stop() waits for a just-started item's build to exist: 10 × 100 ms. */
const STARTING_POLLS = 10;
const STARTING_POLL_MS = 100;

/**
 * BuildRunner.stop: stop a running build, or cancel its queue item — and when the item left the
 * queue meanwhile, stop the build it became. Idempotent: "already gone" is success.
 */
export class BuildStopper {
  constructor(
    private readonly requests: JenkinsRequests,
    private readonly locator: BuildLocator,
    private readonly logger: Logger,
  ) {}

  async stop(ref: BuildRef, signal?: AbortSignal): Promise<void> {
    const { project } = ref;
    if (ref.buildNumber !== undefined) return this.stopBuild(project, ref.buildNumber, signal);
    if (ref.queueId === undefined) {
      this.logger.debug('nothing to stop: the build was never queued', { project });
      return;
    }
    if (await this.cancelQueueItem(ref.queueId, signal)) {
      this.logger.info('Jenkins queue item cancelled', { project, queueId: ref.queueId });
      return;
    }
    // Too late to cancel: the item left the queue. Stop the build it became, if any.
    const number = await this.buildOfQueueItem(project, ref.queueId, signal);
    if (number !== undefined) return this.stopBuild(project, number, signal);
    this.logger.debug('nothing to stop: the queue item left without a build', { project, queueId: ref.queueId });
  }

  /** `POST {build}/stop`: 302 whether or not it was running; 404 = the build is gone, nothing to stop. */
  private async stopBuild(project: string, buildNumber: number, signal?: AbortSignal): Promise<void> {
    const ctx = this.requests.context(`stopping build #${buildNumber} of "${project}"`);
    try {
      await this.requests.run(signal, (client) => client.build.stop({ name: project, number: buildNumber }));
      this.logger.info('Jenkins build stop requested', { project, buildNumber });
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw toBridgeError(error, ctx);
    }
  }

  /**
   * `POST /queue/cancelItem?id=N` (≥ 2.211): 204 → true. 404 (unknown/expired) and 500 ("Could not
   * cancel", already left) → false. Not the client's `queue.cancel`: it posts to the deprecated
   * `/queue/item/N/cancelQueue`, which answers 204 even when nothing was cancelled, and then throws
   * "failed to cancel" because it requires a 302. Jenkins < 2.211 answers 302: checked via the item.
   */
  private async cancelQueueItem(queueId: number, signal?: AbortSignal): Promise<boolean> {
    const ctx = this.requests.context(`cancelling Jenkins queue item #${queueId}`);
    try {
      await this.requests.run(signal, (client) => client._post({ name: 'queue.cancelItem', path: '/queue/cancelItem', query: { id: String(queueId) } }));
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 500 || status === 302) return false;
      throw toBridgeError(error, ctx);
    }
  }

  /** The build a queue item that could not be cancelled became, if any (for stop). */
  private async buildOfQueueItem(project: string, queueId: number, signal?: AbortSignal): Promise<number | undefined> {
    const ctx = this.requests.context(`reading Jenkins queue item #${queueId} of "${project}"`);
    try {
      for (let attempt = 0; ; attempt++) {
        const body = await this.requests.run(signal, (client) => client.queue.item({ number: queueId, tree: TREE.queueItem }));
        const item = this.requests.parse(QueueItemJson, body, ctx);
        if (item.executable) return item.executable.number;
        if (item.cancelled) return undefined;
        if (item.cancelled === undefined) {
          this.logger.warn('Jenkins did not cancel the queue item; it is still waiting', { project, queueId });
          return undefined;
        }
        // Left without executable: the Run is being created right now. Ask again, briefly.
        if (attempt >= STARTING_POLLS) return undefined;
        await sleep(STARTING_POLL_MS, undefined, { signal });
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (statusOf(error) !== 404) throw toBridgeError(error, ctx);
    }
    const found = await this.locator.byQueueId(project, queueId, signal);
    return typeof found === 'number' ? found : undefined;
  }
}
