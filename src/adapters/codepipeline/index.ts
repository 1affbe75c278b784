export { CodePipelineJobSource, type CodePipelineJobSourceOptions } from './codepipeline-job-source';
export { mapCodePipelineError } from './map-error';
