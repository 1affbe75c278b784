/**
 * Jenkins item URLs. A full name `team/app/build` lives at `job/team/job/app/job/build/`; every
 * segment is percent-encoded on its own, so a multibranch branch item named `feature%2Fx` becomes
 * `feature%252Fx`, as Jenkins expects (jenkins.md §6.5). Paths are relative (no leading slash) so
 * they resolve under a base URL that has a context path (`https://ci.example.com/jenkins/`).
 */

export function jobSegments(fullName: string): string[] {
  return fullName.split('/').filter((segment) => segment !== '');
}

/** `team/app/build` → `job/team/job/app/job/build/`. */
export function jobPath(fullName: string): string {
  return jobSegments(fullName)
    .map((segment) => `job/${encodeURIComponent(segment)}/`)
    .join('');
}

/** `job/.../<n>/`. */
export function buildPath(fullName: string, buildNumber: number): string {
  return `${jobPath(fullName)}${buildNumber}/`;
}

/**
 * An artifact's relative path (`dist/app v1.zip`) as URL path segments. Empty, `.` and `..`
 * segments are refused: the URL parser would collapse them and read outside the artifact root.
 */
export function artifactUrlPath(relativePath: string): string | undefined {
  const segments = relativePath.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return segments.map(encodeURIComponent).join('/');
}

/** Base URL normalised to end with exactly one slash, so relative paths resolve under it. */
export function normaliseBaseUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}
