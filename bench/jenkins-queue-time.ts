import type { LocalStack } from '../src/local-stack/start-local-stack';

interface TimeInQueue {
  _class?: string;
  waitingDurationMillis?: number;
  blockedDurationMillis?: number;
  buildableDurationMillis?: number;
}

/**
 * When the Jenkins simulator queued a build, i.e. handled the buildWithParameters POST (epoch ms):
 * the build's `timestamp` minus the time its queue item spent waiting, blocked and buildable
 * (TimeInQueueAction, read over the simulator's REST API as any Jenkins client would).
 * The simulator's request records carry no time, hence this reconstruction (exact to the ms:
 * the item's times are computed in the same tick as the build's timestamp).
 */
export async function queuedAt(stack: LocalStack, job: string, number: number): Promise<number> {
  const url = `${stack.jenkins.url}${job.split('/').map((s) => `job/${encodeURIComponent(s)}/`).join('')}${number}/api/json`;
  const response = await fetch(url, {
    headers: { authorization: `Basic ${Buffer.from(`${stack.jenkinsUser}:${stack.jenkinsToken}`).toString('base64')}` },
  });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const body = (await response.json()) as { timestamp: number; actions?: (TimeInQueue | null)[] };
  const t = body.actions?.find((a) => a?._class === 'jenkins.metrics.impl.TimeInQueueAction');
  if (!t) throw new Error(`build ${job} #${number} has no TimeInQueueAction`);
  return body.timestamp - (t.waitingDurationMillis ?? 0) - (t.blockedDurationMillis ?? 0) - (t.buildableDurationMillis ?? 0);
}
