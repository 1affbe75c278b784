export { CodePipelineJobSource, type CodePipelineJobSourceOptions } from './codepipeline-job-source';
export { mapCodePipelineError } from './map-error';
export { CodePipelinePipelineStarter } from './pipeline-starter';
export type { CodePipelineClientOptions } from './codepipeline-client';
