import type { DeliveryRecord, DeliveryTarget } from '../../ports/delivery-store';

/**
 * A delivery as GET /webhooks/deliveries shows it. Nothing from the request body beyond what
 * routing derived, no header values beyond the delivery id, and of a Jenkins target's parameters
 * only the names: a route may put a literal credential in one, and this listing is as open as
 * /jobs. The values are on the Jenkins build's Parameters page.
 */
export function deliveryView(record: DeliveryRecord): Record<string, unknown> {
  return {
    seq: record.seq,
    receivedAt: new Date(record.receivedAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    source: record.source,
    deliveryId: record.deliveryId,
    deliveryIdFrom: record.deliveryIdFrom,
    ...(record.senderEvent !== undefined ? { senderEvent: record.senderEvent } : {}),
    status: record.status,
    httpStatus: record.httpStatus,
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    ...(record.duplicateOf !== undefined ? { duplicateOf: record.duplicateOf } : {}),
    notes: record.notes,
    targets: record.targets.map(targetView),
  };
}

function targetView(t: DeliveryTarget): Record<string, unknown> {
  const what =
    t.target.kind === 'jenkins'
      ? { kind: 'jenkins', job: t.target.job, parameters: Object.keys(t.target.parameters) }
      : {
          kind: 'pipeline',
          pipeline: t.target.name,
          variables: t.target.variables.map((v) => v.name),
          sourceRevisions: t.target.sourceRevisions.map((r) => ({ actionName: r.actionName, revisionType: r.revisionType, revisionValue: r.revisionValue })),
        };
  return {
    ...what,
    routes: t.routes,
    state: t.state,
    attempts: t.attempts,
    ...(t.queueId !== undefined ? { queueId: t.queueId } : {}),
    ...(t.url !== undefined ? { url: t.url } : {}),
    ...(t.buildNumber !== undefined ? { buildNumber: t.buildNumber } : {}),
    ...(t.executionId !== undefined ? { executionId: t.executionId } : {}),
    ...(t.lastError !== undefined ? { lastError: t.lastError } : {}),
    updatedAt: new Date(t.updatedAt).toISOString(),
  };
}
