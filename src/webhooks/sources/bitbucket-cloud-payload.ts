import { PATHS_NOT_LISTED, type EventParts } from './build-event';
import { at, firstText, isObject, text } from './json-payload';
import { ignoredOnly, malformed, oneEvent, type PayloadReading } from './payload-reading';

/** Pull request events that put new code up for a build (`updated` also fires on edits: the payload cannot tell). */
const BUILD_EVENTS = new Set(['pullrequest:created', 'pullrequest:updated']);

/**
 * Bitbucket Cloud (`X-Event-Key` repo:push, pullrequest:*). One `repo:push` may carry several
 * ref changes (`push.changes[]`): each becomes an event. No payload lists changed files.
 */
export function readBitbucketCloudPayload(eventKey: string, p: Record<string, unknown>): PayloadReading {
  if (eventKey === 'repo:push') return readPush(p);
  if (eventKey.startsWith('pullrequest:')) return readPullRequest(eventKey, p);
  return ignoredOnly(`Bitbucket Cloud event "${eventKey}" is not routed (repo:push, pullrequest:created and pullrequest:updated are)`);
}

function repositoryOf(p: Record<string, unknown>): { repository: string | undefined; cloneUrl: string } {
  const repository = text(p, 'repository', 'full_name');
  // The payload links the web page; the HTTPS clone URL is that page with `.git`.
  const html = text(p, 'repository', 'links', 'html', 'href');
  return { repository, cloneUrl: html ? `${html.replace(/\/$/, '')}.git` : '' };
}

function actorName(user: unknown): string {
  return firstText(text(user, 'nickname'), text(user, 'username'), text(user, 'display_name'));
}

function readPush(p: Record<string, unknown>): PayloadReading {
  const { repository, cloneUrl } = repositoryOf(p);
  const changes = at(p, 'push', 'changes');
  if (!repository || !Array.isArray(changes)) return malformed('repo:push payload has no "repository.full_name" or "push.changes"');
  const events: EventParts[] = [];
  const ignored: string[] = [];
  for (const change of changes) {
    const next = at(change, 'new');
    const old = at(change, 'old');
    if (!isObject(next)) {
      ignored.push(`${text(old, 'type') ?? 'ref'} "${text(old, 'name') ?? '?'}" deleted: nothing to build`);
      continue;
    }
    const type = text(next, 'type');
    const name = text(next, 'name');
    const commit = text(next, 'target', 'hash');
    if (!name || !commit) {
      ignored.push('a change without new.name or new.target.hash');
      continue;
    }
    const isTag = type === 'tag' || type === 'annotated_tag';
    if (!isTag && type !== 'branch') {
      ignored.push(`${type ?? 'ref'} "${name}" is neither a branch nor a tag`);
      continue;
    }
    events.push({
      kind: isTag ? 'tag' : 'push',
      senderEvent: 'repo:push',
      vars: {
        repository,
        [isTag ? 'tag' : 'branch']: name,
        commit,
        before: text(old, 'target', 'hash') ?? '',
        author: actorName(at(p, 'actor')),
        cloneUrl,
      },
      // `commits` (at most 5, `truncated`) carry no file lists either.
      paths: { unknown: PATHS_NOT_LISTED },
    });
  }
  return { events, ignored };
}

function readPullRequest(eventKey: string, p: Record<string, unknown>): PayloadReading {
  const pr = at(p, 'pullrequest');
  const id = text(pr, 'id');
  const sourceBranch = text(pr, 'source', 'branch', 'name');
  const targetBranch = text(pr, 'destination', 'branch', 'name');
  // Bitbucket Cloud gives the short (12-hex) hash here.
  const commit = text(pr, 'source', 'commit', 'hash');
  const { repository, cloneUrl } = repositoryOf(p);
  if (!id || !sourceBranch || !targetBranch || !commit || !repository) {
    return malformed(`${eventKey} payload lacks pullrequest id, source/destination branch names, source commit hash or repository.full_name`);
  }
  if (!BUILD_EVENTS.has(eventKey)) return ignoredOnly(`Bitbucket Cloud event "${eventKey}" for pull request #${id} is not routed (created and updated are)`);
  return oneEvent({
    kind: 'pull_request',
    senderEvent: eventKey,
    vars: {
      repository: firstText(text(pr, 'destination', 'repository', 'full_name'), repository),
      branch: sourceBranch,
      commit,
      author: firstText(actorName(at(pr, 'author')), actorName(at(p, 'actor'))),
      cloneUrl,
      prNumber: id,
      sourceBranch,
      targetBranch,
    },
    paths: { unknown: PATHS_NOT_LISTED },
  });
}

