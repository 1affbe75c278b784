import { describe, expect, it } from '@jest/globals';
import { GitlabSender } from '../../../src/webhooks/sources/gitlab-sender';
import type { WebhookParseResult } from '../../../src/webhooks/sources/webhook-sender';
import type { WebhookEvent } from '../../../src/webhooks/webhook-event';
import { fixture, gitlabDelivery, type GitlabOptions } from '../../support/webhook-deliveries';

const gitlab = new GitlabSender('gl-token-abcdef');

function parse(name: string, event: string, tweak: (p: Record<string, any>) => void = () => {}, options: Partial<GitlabOptions> = {}): WebhookParseResult {
  const payload = fixture<Record<string, any>>(name);
  tweak(payload);
  const delivery = gitlabDelivery(payload, { event, token: 'gl-token-abcdef', ...options });
  expect(gitlab.verify(delivery)).toEqual({ ok: true });
  return gitlab.parse(delivery);
}

function onlyEvent(result: WebhookParseResult): WebhookEvent {
  if (result.outcome !== 'events') throw new Error(`expected events, got ${JSON.stringify(result)}`);
  expect(result.events).toHaveLength(1);
  return result.events[0]!;
}

const reasonOf = (r: WebhookParseResult) => (r.outcome === 'ignored' || r.outcome === 'malformed' ? r.reason : `(${r.outcome})`);

describe('GitLab deliveries', () => {
  it('dedupes on Idempotency-Key, not on the per-request X-Gitlab-Event-UUID', () => {
    const first = gitlabDelivery(fixture('gitlab-push.json'), { event: 'Push Hook', token: 't', idempotencyKey: 'idem-1', eventUuid: 'uuid-a' });
    const resend = gitlabDelivery(fixture('gitlab-push.json'), { event: 'Push Hook', token: 't', idempotencyKey: 'idem-1', eventUuid: 'uuid-b' });
    const a = gitlab.identify(first);
    const b = gitlab.identify(resend);
    expect(a).toMatchObject({ deliveryId: 'idem-1', deliveryIdFrom: 'Idempotency-Key', dedupeKey: 'gitlab:idem-1' });
    expect(b.dedupeKey).toBe(a.dedupeKey);
  });

  it('falls back to X-Gitlab-Event-UUID only when Idempotency-Key is absent (older GitLab), and records it', () => {
    const old = gitlab.identify(gitlabDelivery(fixture('gitlab-push.json'), { event: 'Push Hook', idempotencyKey: null, eventUuid: 'uuid-a' }));
    expect(old).toMatchObject({ deliveryId: 'uuid-a', deliveryIdFrom: 'X-Gitlab-Event-UUID' });
  });

  it('normalises a Push Hook with its changed paths (non-ASCII intact)', () => {
    const event = onlyEvent(parse('gitlab-push.json', 'Push Hook', () => {}, { idempotencyKey: 'idem-7' }));
    expect(event).toMatchObject({ source: 'gitlab', event: 'push', deliveryId: 'idem-7', senderEvent: 'Push Hook' });
    expect(event.variables).toMatchObject({
      repository: 'acme/app',
      branch: 'release/1.4',
      commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
      author: 'jmueller',
      cloneUrl: 'https://gitlab.example.com/acme/app.git',
      deliveryId: 'idem-7',
      source: 'gitlab',
    });
    expect(event.changedPaths).toEqual(['docs/Überblick.md', 'src/counter.ts', 'README.md', 'old/notes.txt']);
  });

  it('treats the path list as unknown when GitLab cut the commit list (total_commits_count > commits)', () => {
    const event = onlyEvent(parse('gitlab-push.json', 'Push Hook', (p) => (p.total_commits_count = 57)));
    expect(event.changedPaths).toBeUndefined();
    expect(event.changedPathsUnknown).toBe("GitLab listed only 2 of the push's 57 commits, so the changed-file list is incomplete");
  });

  it('ignores a branch deletion', () => {
    const result = parse('gitlab-push.json', 'Push Hook', (p) => {
      p.after = '0'.repeat(40);
      p.checkout_sha = null;
      p.commits = [];
      p.total_commits_count = 0;
    });
    expect(result.outcome).toBe('ignored');
    expect(reasonOf(result)).toBe('branch "release/1.4" deleted: nothing to build');
  });

  it('normalises a Tag Push Hook to a tag event on checkout_sha (the commit, not the tag object)', () => {
    const event = onlyEvent(parse('gitlab-tag-push.json', 'Tag Push Hook'));
    expect(event).toMatchObject({ event: 'tag', changedPaths: undefined });
    expect(event.variables).toMatchObject({ tag: 'v1.4.0', branch: '', commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' });
  });

  it('normalises a Merge Request Hook (open; update only with new commits)', () => {
    const opened = onlyEvent(parse('gitlab-merge-request.json', 'Merge Request Hook'));
    expect(opened).toMatchObject({ event: 'pull_request', senderEvent: 'Merge Request Hook/open' });
    expect(opened.variables).toMatchObject({
      repository: 'acme/app',
      prNumber: '7',
      branch: 'feature/zähler',
      sourceBranch: 'feature/zähler',
      targetBranch: 'main',
      commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      author: 'jmueller',
    });
    const pushed = onlyEvent(parse('gitlab-merge-request.json', 'Merge Request Hook', (p) => {
      p.object_attributes.action = 'update';
      p.object_attributes.oldrev = 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327';
    }));
    expect(pushed.variables.before).toBe('b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327');
    expect(reasonOf(parse('gitlab-merge-request.json', 'Merge Request Hook', (p) => (p.object_attributes.action = 'update')))).toMatch(/without new commits/);
    expect(reasonOf(parse('gitlab-merge-request.json', 'Merge Request Hook', (p) => (p.object_attributes.action = 'merge')))).toMatch(/action "merge" is not routed/);
  });

  it('ignores other hooks and calls broken bodies malformed', () => {
    expect(reasonOf(parse('gitlab-push.json', 'Pipeline Hook'))).toMatch(/"Pipeline Hook" is not routed/);
    const bad = gitlab.parse({ rawBody: Buffer.from('{"object_kind":'), headers: { 'x-gitlab-event': 'Push Hook' } });
    expect(bad.outcome).toBe('malformed');
  });
});
