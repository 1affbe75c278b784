import { PATHS_NOT_LISTED, type EventParts } from './build-event';
import { isZeroSha, parseRef } from './git-refs';
import { at, firstText, list, text } from './json-payload';
import { ignoredOnly, malformed, oneEvent, type PayloadReading } from './payload-reading';

/** Pull request events that put new code up for a build. */
const BUILD_EVENTS = new Set(['pr:opened', 'pr:from_ref_updated']);

/**
 * Bitbucket Data Center / Server (`X-Event-Key` repo:refs_changed, pr:*). One push may change
 * several refs (`changes[]`): each becomes an event. No payload lists changed files.
 * `diagnostics:ping` is the "Test connection" button.
 */
export function readBitbucketDcPayload(eventKey: string, p: Record<string, unknown>): PayloadReading {
  if (eventKey === 'diagnostics:ping') return { ping: 'Bitbucket Data Center test connection' };
  if (eventKey === 'repo:refs_changed') return readRefsChanged(p);
  if (eventKey.startsWith('pr:')) return readPullRequest(eventKey, p);
  return ignoredOnly(`Bitbucket Data Center event "${eventKey}" is not routed (repo:refs_changed, pr:opened and pr:from_ref_updated are)`);
}

/** `PROJECTKEY/slug`, the way Data Center names a repository in its URLs. */
function repositoryName(repo: unknown): string | undefined {
  const key = text(repo, 'project', 'key');
  const slug = text(repo, 'slug');
  return key && slug ? `${key}/${slug}` : undefined;
}

/** The `http` clone link; older versions send no links at all (then ""). */
function cloneUrl(repo: unknown): string {
  const http = list(repo, 'links', 'clone').find((link) => text(link, 'name') === 'http');
  return text(http, 'href') ?? '';
}

function readRefsChanged(p: Record<string, unknown>): PayloadReading {
  const repository = repositoryName(at(p, 'repository'));
  const changes = at(p, 'changes');
  if (!repository || !Array.isArray(changes)) return malformed('repo:refs_changed payload has no repository project key/slug or "changes"');
  const events: EventParts[] = [];
  const ignored: string[] = [];
  for (const change of changes) {
    const refId = firstText(text(change, 'ref', 'id'), text(change, 'refId'));
    const toHash = text(change, 'toHash');
    const parsed = parseRef(refId);
    if (!refId || !toHash) {
      ignored.push('a change without ref.id or toHash');
      continue;
    }
    if (parsed.kind === 'other') {
      ignored.push(`${refId} is neither a branch nor a tag`);
      continue;
    }
    if (text(change, 'type') === 'DELETE' || isZeroSha(toHash)) {
      ignored.push(`${parsed.kind} "${parsed.name}" deleted: nothing to build`);
      continue;
    }
    const fromHash = text(change, 'fromHash') ?? '';
    events.push({
      kind: parsed.kind === 'tag' ? 'tag' : 'push',
      senderEvent: `repo:refs_changed/${text(change, 'type') ?? 'UPDATE'}`,
      vars: {
        repository,
        [parsed.kind]: parsed.name,
        commit: toHash,
        before: fromHash,
        author: firstText(text(p, 'actor', 'name'), text(p, 'actor', 'slug')),
        cloneUrl: cloneUrl(at(p, 'repository')),
      },
      paths: { unknown: PATHS_NOT_LISTED },
    });
  }
  return { events, ignored };
}

function readPullRequest(eventKey: string, p: Record<string, unknown>): PayloadReading {
  const pr = at(p, 'pullRequest');
  const id = text(pr, 'id');
  const sourceBranch = text(pr, 'fromRef', 'displayId');
  const targetBranch = text(pr, 'toRef', 'displayId');
  const commit = text(pr, 'fromRef', 'latestCommit');
  const targetRepo = at(pr, 'toRef', 'repository');
  const repository = repositoryName(targetRepo);
  if (!id || !sourceBranch || !targetBranch || !commit || !repository) {
    return malformed(`${eventKey} payload lacks pullRequest id, fromRef/toRef displayId, fromRef.latestCommit or the target repository`);
  }
  if (!BUILD_EVENTS.has(eventKey)) return ignoredOnly(`Bitbucket Data Center event "${eventKey}" for pull request #${id} is not routed (pr:opened and pr:from_ref_updated are)`);
  return oneEvent({
    kind: 'pull_request',
    senderEvent: eventKey,
    vars: {
      repository,
      branch: sourceBranch,
      commit,
      before: text(p, 'previousFromHash') ?? '',
      author: firstText(text(pr, 'author', 'user', 'name'), text(p, 'actor', 'name')),
      cloneUrl: cloneUrl(targetRepo),
      prNumber: id,
      sourceBranch,
      targetBranch,
    },
    paths: { unknown: PATHS_NOT_LISTED },
  });
}
