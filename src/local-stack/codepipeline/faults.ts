import { ServiceError } from './service-error';

export type FaultType = 'ThrottlingException' | 'InternalFailure' | 'ServiceUnavailable';

/** A failure to answer instead of handling the next `times` matching calls. */
export interface Fault {
  /** Operation name (e.g. 'PollForJobs'); any operation when absent. */
  operation?: string;
  type: FaultType;
  times: number;
}

/**
 * Queued faults, consumed first-in first-out by matching calls. The errors are the ones AWS
 * front ends return: throttling is a 400 with the common `ThrottlingException` "Rate exceeded"
 * (not in the CodePipeline model), the others are 5xx.
 */
export class FaultInjector {
  private readonly faults: Fault[] = [];

  add(fault: Fault): void {
    if (!Number.isInteger(fault.times) || fault.times < 1) throw new Error('fault.times must be a positive integer');
    this.faults.push({ ...fault });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The error to answer `operation` with, if a fault is pending for it. */
  take(operation: string): ServiceError | undefined {
    const index = this.faults.findIndex((f) => !f.operation || f.operation === operation);
    const fault = this.faults[index];
    if (!fault) return undefined;
    if (--fault.times === 0) this.faults.splice(index, 1);
    switch (fault.type) {
      case 'ThrottlingException':
        return new ServiceError('ThrottlingException', 'Rate exceeded', 400);
      case 'ServiceUnavailable':
        return new ServiceError('ServiceUnavailable', 'Service is unavailable. Please try again later.', 503);
      case 'InternalFailure':
        return new ServiceError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);
    }
  }
}
