import { PATHS_NOT_LISTED, pathsFromCommits, type PathsKnowledge } from './build-event';
import { isZeroSha, parseRef } from './git-refs';
import { at, firstText, text } from './json-payload';
import { ignoredOnly, malformed, oneEvent, type PayloadReading } from './payload-reading';

/** GitHub's documented cap on `commits` in a push delivery; at the cap the list may be cut. */
const MAX_PUSH_COMMITS = 2048;

/** Pull request actions that put new code up for a build. */
const BUILD_ACTIONS = new Set(['opened', 'reopened', 'synchronize']);

/** Reads a GitHub delivery by its `X-GitHub-Event` name. */
export function readGithubPayload(event: string, payload: Record<string, unknown>): PayloadReading {
  switch (event) {
    case 'ping':
      return { ping: firstText(text(payload, 'zen'), 'pong') };
    case 'push':
      return readPush(payload);
    case 'create':
      return readCreate(payload);
    case 'pull_request':
      return readPullRequest(payload);
    default:
      return ignoredOnly(`GitHub event "${event}" is not routed (push, create and pull_request are)`);
  }
}

function readPush(p: Record<string, unknown>): PayloadReading {
  const ref = text(p, 'ref');
  if (!ref) return malformed('push payload has no "ref"');
  const repository = text(p, 'repository', 'full_name');
  if (!repository) return malformed('push payload has no "repository.full_name"');
  const parsed = parseRef(ref);
  if (parsed.kind === 'other') return ignoredOnly(`push to ${ref}: neither a branch nor a tag`);
  const after = text(p, 'after');
  if (p.deleted === true || isZeroSha(after)) return ignoredOnly(`${parsed.kind} "${parsed.name}" deleted: nothing to build`);
  const before = text(p, 'before') ?? '';
  return oneEvent({
    kind: parsed.kind === 'tag' ? 'tag' : 'push',
    senderEvent: 'push',
    vars: {
      repository,
      [parsed.kind]: parsed.name,
      // An annotated tag's `after` is the tag object; head_commit is the commit it names.
      commit: firstText(text(p, 'head_commit', 'id'), after),
      before,
      author: firstText(text(p, 'sender', 'login'), text(p, 'pusher', 'name')),
      cloneUrl: text(p, 'repository', 'clone_url') ?? '',
    },
    paths: parsed.kind === 'tag' ? { unknown: 'a tag push lists no changed files' } : pushPaths(p, before),
  });
}

function pushPaths(p: Record<string, unknown>, before: string): PathsKnowledge {
  const commits = at(p, 'commits');
  if (!Array.isArray(commits)) return { unknown: PATHS_NOT_LISTED };
  if (commits.length >= MAX_PUSH_COMMITS) return { unknown: `GitHub lists at most ${MAX_PUSH_COMMITS} commits of a push and this one reached that cap` };
  // A new branch at an existing commit lists no commits: "nothing changed" would be a wrong answer.
  if (commits.length === 0 && (p.created === true || isZeroSha(before))) return { unknown: 'a new branch with no new commits lists no changed files' };
  return { paths: pathsFromCommits(commits) };
}

function readCreate(p: Record<string, unknown>): PayloadReading {
  const refType = text(p, 'ref_type');
  const ref = text(p, 'ref');
  const repository = text(p, 'repository', 'full_name');
  if (!ref || !repository) return malformed('create payload has no "ref" or "repository.full_name"');
  if (refType !== 'tag') return ignoredOnly(`create of ${refType ?? 'a ref'} "${ref}" is not routed (the push event for it is)`);
  return oneEvent({
    kind: 'tag',
    senderEvent: 'create',
    // The create event names no commit; subscribe to push events too when {{commit}} matters.
    vars: { repository, tag: ref, author: text(p, 'sender', 'login') ?? '', cloneUrl: text(p, 'repository', 'clone_url') ?? '' },
    paths: { unknown: 'a tag creation lists no changed files' },
  });
}

function readPullRequest(p: Record<string, unknown>): PayloadReading {
  const action = text(p, 'action') ?? '';
  const pr = at(p, 'pull_request');
  const number = firstText(text(p, 'number'), text(pr, 'number'));
  const repository = firstText(text(p, 'repository', 'full_name'), text(pr, 'base', 'repo', 'full_name'));
  const sourceBranch = text(pr, 'head', 'ref');
  const targetBranch = text(pr, 'base', 'ref');
  const commit = text(pr, 'head', 'sha');
  if (!number || !repository || !sourceBranch || !targetBranch || !commit) {
    return malformed('pull_request payload lacks number, repository, head.ref, head.sha or base.ref');
  }
  if (action === 'closed') {
    return ignoredOnly(
      at(pr, 'merged') === true
        ? `pull request #${number} merged: the merge arrives as a push to "${targetBranch}", route that`
        : `pull request #${number} closed without merging`,
    );
  }
  if (!BUILD_ACTIONS.has(action)) return ignoredOnly(`pull_request action "${action}" is not routed (opened, reopened and synchronize are)`);
  return oneEvent({
    kind: 'pull_request',
    senderEvent: `pull_request/${action}`,
    vars: {
      repository,
      branch: sourceBranch,
      commit,
      before: action === 'synchronize' ? (text(p, 'before') ?? '') : '',
      author: firstText(text(pr, 'user', 'login'), text(p, 'sender', 'login')),
      cloneUrl: firstText(text(p, 'repository', 'clone_url'), text(pr, 'base', 'repo', 'clone_url')),
      prNumber: number,
      sourceBranch,
      targetBranch,
    },
    paths: { unknown: 'pull request payloads list no changed files' },
  });
}
