export { startJenkinsSimulator, DEFAULT_USERS } from './jenkins-simulator';
export { JENKINS_VERSION } from './http/sim-http-server';
export * as simScripts from './scripts';
export type {
  JenkinsSimulator,
  JenkinsSimulatorOptions,
  SimBuildContext,
  SimBuildInfo,
  SimBuildScript,
  SimBuildState,
  SimDownMode,
  SimJobDefinition,
  SimNotificationEndpoint,
  SimNotificationEvent,
  SimNotificationPhase,
  SimNotificationRecord,
  SimParameterDefinition,
  SimParameterType,
  SimRequestRecord,
  SimResult,
  SimUser,
} from './types';
