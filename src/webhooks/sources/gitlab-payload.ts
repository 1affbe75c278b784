import { PATHS_NOT_LISTED, pathsFromCommits, type PathsKnowledge } from './build-event';
import { isZeroSha, parseRef } from './git-refs';
import { at, firstText, text } from './json-payload';
import { ignoredOnly, malformed, oneEvent, type PayloadReading } from './payload-reading';

/** Merge request actions that put new code up for a build (`update` only with new commits). */
const BUILD_ACTIONS = new Set(['open', 'reopen', 'update']);

const KIND_BY_HEADER: Record<string, string> = {
  'Push Hook': 'push',
  'Tag Push Hook': 'tag_push',
  'Merge Request Hook': 'merge_request',
};

/**
 * Reads a GitLab delivery by its `X-Gitlab-Event` name. A system hook (`System Hook`) carries the
 * same payloads, told apart by `object_kind`.
 */
export function readGitlabPayload(event: string, payload: Record<string, unknown>): PayloadReading {
  const kind = event === 'System Hook' ? text(payload, 'object_kind') : KIND_BY_HEADER[event];
  switch (kind) {
    case 'push':
    case 'tag_push':
      return readPush(event, payload, kind);
    case 'merge_request':
      return readMergeRequest(event, payload);
    default:
      return ignoredOnly(`GitLab event "${event}" is not routed (Push Hook, Tag Push Hook and Merge Request Hook are)`);
  }
}

function projectPath(p: Record<string, unknown>): string | undefined {
  return text(p, 'project', 'path_with_namespace');
}

function cloneUrl(p: Record<string, unknown>): string {
  return firstText(text(p, 'project', 'git_http_url'), text(p, 'repository', 'git_http_url'));
}

function readPush(event: string, p: Record<string, unknown>, kind: 'push' | 'tag_push'): PayloadReading {
  const ref = text(p, 'ref');
  const repository = projectPath(p);
  if (!ref || !repository) return malformed(`${event} payload has no "ref" or "project.path_with_namespace"`);
  const parsed = parseRef(ref);
  if (parsed.kind === 'other') return ignoredOnly(`push to ${ref}: neither a branch nor a tag`);
  const after = text(p, 'after');
  if (isZeroSha(after)) return ignoredOnly(`${parsed.kind} "${parsed.name}" deleted: nothing to build`);
  const before = text(p, 'before') ?? '';
  const isTag = parsed.kind === 'tag' || kind === 'tag_push';
  return oneEvent({
    kind: isTag ? 'tag' : 'push',
    senderEvent: event,
    vars: {
      repository,
      [isTag ? 'tag' : 'branch']: parsed.name,
      // checkout_sha is the commit; for an annotated tag `after` is the tag object.
      commit: firstText(text(p, 'checkout_sha'), after),
      before,
      author: firstText(text(p, 'user_username'), text(p, 'user_name')),
      cloneUrl: cloneUrl(p),
    },
    paths: isTag ? { unknown: 'a tag push lists no changed files' } : pushPaths(p, before),
  });
}

function pushPaths(p: Record<string, unknown>, before: string): PathsKnowledge {
  const commits = at(p, 'commits');
  if (!Array.isArray(commits)) return { unknown: PATHS_NOT_LISTED };
  // GitLab sends only the newest 20 commits; the files of the others are not in the payload.
  const total = Number(at(p, 'total_commits_count'));
  if (Number.isFinite(total) && total > commits.length) {
    return { unknown: `GitLab listed only ${commits.length} of the push's ${total} commits, so the changed-file list is incomplete` };
  }
  if (commits.length === 0 && isZeroSha(before)) return { unknown: 'a new branch with no new commits lists no changed files' };
  return { paths: pathsFromCommits(commits) };
}

function readMergeRequest(event: string, p: Record<string, unknown>): PayloadReading {
  const mr = at(p, 'object_attributes');
  const action = text(mr, 'action') ?? '';
  const iid = text(mr, 'iid');
  const sourceBranch = text(mr, 'source_branch');
  const targetBranch = text(mr, 'target_branch');
  const commit = text(mr, 'last_commit', 'id');
  const repository = firstText(text(mr, 'target', 'path_with_namespace'), projectPath(p));
  if (!iid || !sourceBranch || !targetBranch || !commit || !repository) {
    return malformed(`${event} payload lacks object_attributes iid, source_branch, target_branch, last_commit.id or the project path`);
  }
  if (!BUILD_ACTIONS.has(action)) return ignoredOnly(`merge request !${iid} action "${action}" is not routed (open, reopen and update with new commits are)`);
  const oldrev = text(mr, 'oldrev');
  // `update` also fires for title, label and assignee edits; only `oldrev` marks new commits.
  if (action === 'update' && !oldrev) return ignoredOnly(`merge request !${iid} updated without new commits`);
  return oneEvent({
    kind: 'pull_request',
    senderEvent: `${event}/${action}`,
    vars: {
      repository,
      branch: sourceBranch,
      commit,
      before: oldrev ?? '',
      author: firstText(text(p, 'user', 'username'), text(p, 'user', 'name')),
      cloneUrl: firstText(text(mr, 'target', 'git_http_url'), cloneUrl(p)),
      prNumber: iid,
      sourceBranch,
      targetBranch,
    },
    paths: { unknown: 'merge request payloads list no changed files' },
  });
}
