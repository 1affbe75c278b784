import type { PipelineJob } from '../../ports/pipeline-job';

/** The parameters every Jenkins job run by the bridge must declare (Jenkins drops undeclared ones). */
export const REQUIRED_PARAMETERS = [
  'CODEPIPELINE_JOB_ID',
  'CODEPIPELINE_PIPELINE_NAME',
  'CODEPIPELINE_EXECUTION_ID',
  'CODEPIPELINE_STAGE',
  'CODEPIPELINE_ACTION',
  'CODEPIPELINE_INPUT_ARTIFACTS',
  'CODEPIPELINE_OUTPUT_ARTIFACTS',
] as const;

/** The unique parameter that ties a Jenkins build to its CodePipeline job (no guessing). */
export const CORRELATION_PARAMETER = 'CODEPIPELINE_JOB_ID';

export interface InputArtifactParam {
  name: string;
  /** Download URL served by the bridge, valid for as long as the job runs here. */
  url: string;
  bucket: string;
  key: string;
  revision: string | null;
}

export function buildParameters(job: PipelineJob, inputUrl: (artifactName: string) => string): Record<string, string> {
  const inputs: InputArtifactParam[] = job.inputArtifacts.map((a) => ({
    name: a.name,
    url: inputUrl(a.name),
    bucket: a.location.bucket,
    key: a.location.key,
    revision: a.revision ?? null,
  }));
  return {
    CODEPIPELINE_JOB_ID: job.id,
    CODEPIPELINE_PIPELINE_NAME: job.pipeline.pipelineName,
    CODEPIPELINE_EXECUTION_ID: job.pipeline.pipelineExecutionId ?? '',
    CODEPIPELINE_STAGE: job.pipeline.stage,
    CODEPIPELINE_ACTION: job.pipeline.action,
    CODEPIPELINE_INPUT_ARTIFACTS: JSON.stringify(inputs),
    CODEPIPELINE_OUTPUT_ARTIFACTS: JSON.stringify(job.outputArtifacts.map((a) => a.name)),
  };
}

/** Action configuration key naming the Jenkins job, as in the AWS CodePipeline Jenkins plugin. */
export const PROJECT_NAME_KEY = 'ProjectName';
