import type { PipelineJob } from '../ports/pipeline-job';
import { PROJECT_NAME_KEY } from './jobs/build-parameters';

/**
 * The part of a job that may be written to disk (the ledger). Never the artifact credentials, and
 * of the action configuration only `ProjectName`: other properties may be secret (the job does not
 * say which) and a resumed job gets them back, with fresh credentials, from GetJobDetails.
 */
export function storableJob(job: PipelineJob): PipelineJob {
  const { credentials: _credentials, ...rest } = job;
  const project = job.configuration[PROJECT_NAME_KEY];
  return { ...rest, configuration: project !== undefined ? { [PROJECT_NAME_KEY]: project } : {} };
}
