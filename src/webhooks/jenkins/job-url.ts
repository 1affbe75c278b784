/**
 * Full job name from a Jenkins job or build URL, relative (`job/a/job/b/`, `job/a/job/b/17/`, as
 * the Notification plugin's `url` and `build.url` carry them) or absolute with any context path
 * (`https://ci.example.com/jenkins/job/a/job/b/17/`, its `build.full_url`).
 *
 * Each `job/<segment>` pair is one item; each segment is percent-decoded exactly once, the inverse
 * of how Jenkins (and this bridge's job-path.ts) encodes names per segment. A multibranch branch
 * item named `feature%2Fx` appears as `feature%252Fx` and comes back as `feature%2Fx`, the name the
 * BuildRunner uses for it; a sender that encoded `feature/x` only once (`feature%2Fx`) gets
 * `feature/x`. Undefined when there is no `job/` pair or a segment is not valid percent-encoding.
 */
export function projectFromJobUrl(url: string): string | undefined {
  const segments = pathOf(url)
    .split('/')
    .filter((segment) => segment !== '');
  let i = segments.indexOf('job');
  if (i < 0) return undefined;
  const names: string[] = [];
  while (segments[i] === 'job' && i + 1 < segments.length) {
    const name = decodeSegment(segments[i + 1]!);
    if (name === undefined || name === '') return undefined;
    names.push(name);
    i += 2;
  }
  return names.length > 0 ? names.join('/') : undefined;
}

function pathOf(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    try {
      return new URL(url).pathname;
    } catch {
      return '';
    }
  }
  return url.replace(/[?#].*$/s, '');
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
