import type { BuildRunner } from '../../ports/build-runner';
import type { TriggeredAs } from '../../ports/delivery-store';
import type { PipelineStarter } from '../../ports/pipeline-starter';
import { PermanentError } from '../../core/errors';
import type { TriggerTarget } from '../routing/route-target';

export interface TriggerPorts {
  runner: Pick<BuildRunner, 'trigger'>;
  /** Absent → pipeline targets fail (ConfigurationError). */
  starter?: PipelineStarter | undefined;
}

/**
 * One trigger call. A pipeline start carries the target's key (triggerToken: same delivery and
 * target → same key) as clientRequestToken, so a retried or resumed start returns the execution
 * the first call started. Jenkins has no such key: a retry after a lost response can queue a
 * second build unless Jenkins folds it into the identical queued item (303), which it does while
 * the first one still waits out its quiet period.
 */
export async function triggerTarget(target: TriggerTarget, key: string, ports: TriggerPorts, signal: AbortSignal): Promise<TriggeredAs> {
  if (target.kind === 'jenkins') {
    const ref = await ports.runner.trigger(target.job, target.parameters, signal);
    return { queueId: ref.queueId, buildNumber: ref.buildNumber, url: ref.url };
  }
  if (!ports.starter) throw new PermanentError(`pipeline ${target.name}: no PipelineStarter is configured in this bridge`, 'ConfigurationError');
  const { executionId } = await ports.starter.start(
    {
      pipeline: target.name,
      clientRequestToken: key,
      ...(target.variables.length ? { variables: target.variables } : {}),
      ...(target.sourceRevisions.length ? { sourceRevisions: target.sourceRevisions } : {}),
    },
    signal,
  );
  return { executionId };
}

/** How a target is named in logs and records. */
export function describeTarget(target: TriggerTarget): string {
  return target.kind === 'jenkins' ? `Jenkins job ${target.job}` : `pipeline ${target.name}`;
}
