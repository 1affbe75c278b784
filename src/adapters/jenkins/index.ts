export { JenkinsBuildRunner, createJenkinsBuildRunner } from './jenkins-build-runner';
export type { CrumbMode, JenkinsBuildRunnerOptions } from './jenkins-options';
export { percentComplete } from './percent-complete';
