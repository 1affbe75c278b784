import { normaliseBaseUrl } from './job-path';

/**
 * `never` (default): API-token requests are CSRF-exempt (ApiCrumbExclusion, Jenkins ≥ 2.96), so no
 * crumb round trip. `auto`: fetch a crumb (with its session cookie, SECURITY-626) on the first POST,
 * cache it, refresh it once when Jenkins answers 403 "No valid crumb". `always`: the `jenkins`
 * client's own behaviour, a fresh crumb before every POST.
 */
export type CrumbMode = 'auto' | 'always' | 'never';

export interface JenkinsBuildRunnerOptions {
  /** Jenkins root URL, with its context path if any (`https://ci.example.com/jenkins`). */
  baseUrl: string;
  user: string;
  /** API token (preferred) or password; never logged. */
  apiToken: string;
  crumb?: CrumbMode;
  /** Per request (headers for streams). Default 30 000 ms. */
  requestTimeoutMs?: number;
  /**
   * How long a describeProject answer is reused for the same job (project-cache.ts). Default
   * 30 000 ms; 0 reads the job every time.
   */
  projectCacheTtlMs?: number;
}

/** Options with defaults applied and the base URL parsed once. */
export interface JenkinsSettings {
  /** Ends with `/`; every follow-up URL is built from it, never from a Location header's host. */
  readonly base: URL;
  readonly user: string;
  readonly authorization: string;
  readonly crumb: CrumbMode;
  readonly requestTimeoutMs: number;
  readonly projectCacheTtlMs: number;
}

export function compileJenkinsSettings(options: JenkinsBuildRunnerOptions): JenkinsSettings {
  const base = normaliseBaseUrl(options.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`Jenkins baseUrl must be http(s): ${base.origin}`);
  if (base.username || base.password) throw new TypeError('Jenkins baseUrl must not carry credentials; pass user and apiToken');
  if (!options.user) throw new TypeError('Jenkins user is required');
  if (!options.apiToken) throw new TypeError('Jenkins apiToken is required');
  const timeout = options.requestTimeoutMs ?? 30_000;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new TypeError('Jenkins requestTimeoutMs must be a positive number');
  const projectCacheTtlMs = options.projectCacheTtlMs ?? 30_000;
  if (!Number.isFinite(projectCacheTtlMs) || projectCacheTtlMs < 0) throw new TypeError('Jenkins projectCacheTtlMs must be a number ≥ 0');
  return {
    base,
    user: options.user,
    authorization: `Basic ${Buffer.from(`${options.user}:${options.apiToken}`, 'utf8').toString('base64')}`,
    crumb: options.crumb ?? 'never',
    requestTimeoutMs: timeout,
    projectCacheTtlMs,
  };
}
