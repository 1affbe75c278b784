import type { BuildNotice } from '../../core/jobs/build-notice';
import { projectFromJobUrl } from './job-url';

/** The Notification plugin's phases (NOTIF `Phase`, less NONE which it never sends). */
const PHASES = new Set(['queued', 'started', 'completed', 'finalized']);

export type ParsedNotification =
  | { kind: 'notice'; notice: BuildNotice; /** `build.status` (the result), absent before COMPLETED. */ status?: string }
  | { kind: 'ignored'; reason: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const positiveInt = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;

/**
 * Reads a Notification plugin body (JobState → JSON: snake_case, nulls omitted; jenkins.md §4)
 * already parsed from JSON. Only what identifies the build is required: `build.number`, a known
 * `build.phase` and a job URL (`url`, else `build.full_url`, else `build.url`). Everything else
 * (scm, log, test_summary, artifacts, notes) is ignored: the bridge re-reads the build over the
 * REST API before acting, so the notice is only a prompt to look now.
 */
export function parseJenkinsNotification(body: unknown): ParsedNotification {
  if (!isObject(body)) return { kind: 'ignored', reason: 'not a JSON object' };
  const build = body['build'];
  if (!isObject(build)) return { kind: 'ignored', reason: 'no "build" object: not a Jenkins build notification' };
  const buildNumber = positiveInt(build['number']);
  if (buildNumber === undefined) return { kind: 'ignored', reason: 'no build.number' };
  const rawPhase = build['phase'];
  const phase = typeof rawPhase === 'string' ? rawPhase.toLowerCase() : undefined;
  if (phase === undefined || !PHASES.has(phase)) {
    return { kind: 'ignored', reason: `unknown build.phase ${typeof rawPhase === 'string' ? JSON.stringify(rawPhase.slice(0, 40)) : '(missing)'}` };
  }
  const project = firstProject([body['url'], build['full_url'], build['url']]);
  if (project === undefined) return { kind: 'ignored', reason: 'no usable job url (url, build.full_url, build.url)' };

  const notice: BuildNotice = { project, buildNumber, phase: phase as BuildNotice['phase'] };
  const queueId = positiveInt(build['queue_id']);
  if (queueId !== undefined) notice.queueId = queueId;
  const parameters = stringRecord(build['parameters']);
  if (parameters) notice.parameters = parameters;
  const status = typeof build['status'] === 'string' ? build['status'] : undefined;
  return status === undefined ? { kind: 'notice', notice } : { kind: 'notice', notice, status };
}

function firstProject(urls: unknown[]): string | undefined {
  for (const url of urls) {
    if (typeof url !== 'string' || url === '') continue;
    const project = projectFromJobUrl(url);
    if (project !== undefined) return project;
  }
  return undefined;
}

/** `build.parameters` is a Map<String,String> in the plugin; other senders may send numbers/booleans. */
function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (name === '__proto__') continue;
    if (typeof v === 'string') out[name] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[name] = String(v);
  }
  return out;
}
