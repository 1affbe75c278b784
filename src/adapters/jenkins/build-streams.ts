import type { Readable } from 'node:stream';
import { PermanentError } from '../../core/errors';
import { discardBody, jenkinsGet } from './jenkins-http';
import type { JenkinsRequests } from './jenkins-requests';
import { artifactUrlPath, buildPath } from './job-path';
import { consoleTailText, readTail } from './log-tail';

/** Body reads of a build over streaming GETs: artifact files, the console log, the log's completeness. */

/** `GET {build}/artifact/<path>` as a Node stream (bytes as archived; nothing buffered). */
export async function openArtifactStream(
  requests: JenkinsRequests,
  project: string,
  buildNumber: number,
  relativePath: string,
  signal?: AbortSignal,
): Promise<Readable> {
  const encoded = artifactUrlPath(relativePath);
  if (encoded === undefined) {
    throw new PermanentError(`Invalid artifact path "${relativePath}" for Jenkins build #${buildNumber} of "${project}"`, 'ConfigurationError');
  }
  const ctx = requests.context(`downloading artifact "${relativePath}" of build #${buildNumber} of "${project}"`);
  const res = await jenkinsGet(requests.settings, requests.url(`${buildPath(project, buildNumber)}artifact/${encoded}`), ctx, signal);
  if (res.status === 404) {
    discardBody(res);
    throw new PermanentError(`Jenkins build #${buildNumber} of "${project}" has no artifact "${relativePath}"`);
  }
  return res.body;
}

/** The last `maxBytes` of `consoleText`, streamed through a bounded buffer, cleaned for humans. */
export async function readLogTail(
  requests: JenkinsRequests,
  project: string,
  buildNumber: number,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<string> {
  const ctx = requests.context(`reading the console log of build #${buildNumber} of "${project}"`);
  const res = await jenkinsGet(requests.settings, requests.url(`${buildPath(project, buildNumber)}consoleText`), ctx, signal);
  if (res.status === 404) {
    discardBody(res);
    throw new PermanentError(`Jenkins build #${buildNumber} of "${project}" no longer exists (its console log is gone)`);
  }
  const { bytes, truncated } = await readTail(res.body, maxBytes);
  return consoleTailText(bytes, truncated);
}

/**
 * Jenkins < 2.369 has no `inProgress`; `building` turns false at POST_PRODUCTION while the log is
 * still written. The progressive log says `X-More-Data: true` until it is complete. Only the
 * headers matter: the body is discarded unread.
 */
export async function isLogStillOpen(requests: JenkinsRequests, project: string, buildNumber: number, signal?: AbortSignal): Promise<boolean> {
  const ctx = requests.context(`checking whether the log of build #${buildNumber} of "${project}" is complete`);
  const res = await jenkinsGet(requests.settings, requests.url(`${buildPath(project, buildNumber)}logText/progressiveText?start=0`), ctx, signal);
  const more = res.status !== 404 && res.headers['x-more-data'] === 'true';
  discardBody(res);
  return more;
}
