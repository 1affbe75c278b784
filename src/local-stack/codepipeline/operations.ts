import type { JobStore } from './job-store';
import type { PipelineStore } from './pipeline-store';
import * as pv from './pipeline-validation';
import { ServiceError } from './service-error';
import type { EmulatedExecution, EmulatedJob } from './types';
import * as v from './validation';

/** What the operations work on: jobs of custom actions, and declared pipelines with their executions. */
export interface Stores {
  jobs: JobStore;
  pipelines: PipelineStore;
}

/** The wire `Job` / `JobDetails` of a job (JobDetails carries no nonce). */
const wireJob = (job: EmulatedJob) => ({ id: job.id, data: job.data, nonce: job.nonce, accountId: job.accountId });
const wireJobDetails = (job: EmulatedJob) => ({ id: job.id, data: job.data, accountId: job.accountId });
/** The wire `PipelineExecution` (GetPipelineExecution): no stage runs, so no artifact revisions yet. */
const wireExecution = (e: EmulatedExecution) => ({
  pipelineName: e.pipelineName,
  pipelineVersion: e.pipelineVersion,
  pipelineExecutionId: e.pipelineExecutionId,
  status: e.status,
  artifactRevisions: [],
  variables: e.variables,
  trigger: e.trigger,
  executionMode: 'SUPERSEDED',
  executionType: 'STANDARD',
});

/** One API operation: validate the input as the model does, apply it to the store, shape the output. */
export function runOperation(stores: Stores, operation: string, input: v.Body): unknown {
  const store = stores.jobs;
  switch (operation) {
    case 'PollForJobs': {
      const { actionTypeId, maxBatchSize, queryParam } = v.pollForJobs(input);
      return { jobs: store.poll(actionTypeId, maxBatchSize, queryParam).map(wireJob) };
    }
    case 'AcknowledgeJob': {
      const { jobId, nonce } = v.acknowledgeJob(input);
      return { status: store.acknowledge(jobId, nonce) };
    }
    case 'GetJobDetails':
      return { jobDetails: wireJobDetails(store.details(v.jobId(input))) };
    case 'PutJobSuccessResult': {
      const { jobId, ...result } = v.putJobSuccessResult(input);
      store.succeed(jobId, result);
      return {};
    }
    case 'PutJobFailureResult': {
      const { jobId, failureDetails } = v.putJobFailureResult(input);
      store.fail(jobId, failureDetails);
      return {};
    }
    case 'CreateCustomActionType':
      return { actionType: store.createActionType(v.createCustomActionType(input)), tags: [] };
    case 'DeleteCustomActionType':
      store.deleteActionType(v.deleteCustomActionType(input));
      return {};
    case 'ListActionTypes':
      return { actionTypes: store.listActionTypes(v.listActionTypes(input).owner) };
    case 'StartPipelineExecution':
      return { pipelineExecutionId: stores.pipelines.start(pv.startPipelineExecution(input)).pipelineExecutionId };
    case 'GetPipelineExecution': {
      const { pipelineName, pipelineExecutionId } = pv.getPipelineExecution(input);
      return { pipelineExecution: wireExecution(stores.pipelines.get(pipelineName, pipelineExecutionId)) };
    }
    default:
      throw new ServiceError('UnknownOperationException', operation ? `Unknown operation ${operation}` : 'Missing X-Amz-Target header');
  }
}
