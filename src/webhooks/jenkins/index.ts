export { checkJenkinsCredential, basicPassword, sameSecret, type CredentialCheck, type OfferedCredential } from './notification-auth';
export { parseJenkinsNotification, type ParsedNotification } from './parse-notification';
export { projectFromJobUrl } from './job-url';
