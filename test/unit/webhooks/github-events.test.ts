import { describe, expect, it } from '@jest/globals';
import { GithubSender } from '../../../src/webhooks/sources/github-sender';
import type { WebhookParseResult } from '../../../src/webhooks/sources/webhook-sender';
import type { WebhookEvent } from '../../../src/webhooks/webhook-event';
import { fixture, githubDelivery } from '../../support/webhook-deliveries';

const github = new GithubSender('s3cret-s3cret');
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

function parse(name: string, event: string, tweak: (p: Record<string, any>) => void = () => {}, form = false): WebhookParseResult {
  const payload = fixture<Record<string, any>>(name);
  tweak(payload);
  const delivery = githubDelivery(payload, { event, secret: 's3cret-s3cret', deliveryId: DELIVERY, form });
  expect(github.verify(delivery)).toEqual({ ok: true });
  return github.parse(delivery);
}

function onlyEvent(result: WebhookParseResult): WebhookEvent {
  if (result.outcome !== 'events') throw new Error(`expected events, got ${result.outcome}: ${JSON.stringify(result)}`);
  expect(result.events).toHaveLength(1);
  return result.events[0]!;
}

function reasonOf(result: WebhookParseResult): string {
  if (result.outcome !== 'ignored' && result.outcome !== 'malformed') throw new Error(`expected ignored/malformed, got ${result.outcome}`);
  return result.reason;
}

describe('GitHub deliveries', () => {
  it('normalises a branch push: variables, changed paths (non-ASCII intact), X-GitHub-Delivery as the id', () => {
    const result = parse('github-push.json', 'push');
    expect(result.delivery).toMatchObject({ source: 'github', deliveryId: DELIVERY, deliveryIdFrom: 'X-GitHub-Delivery', dedupeKey: `github:${DELIVERY}`, senderEvent: 'push' });
    const event = onlyEvent(result);
    expect(event.event).toBe('push');
    expect(event.variables).toEqual({
      repository: 'acme/app',
      branch: 'main',
      tag: '',
      commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      author: 'zoe-a',
      cloneUrl: 'https://github.com/acme/app.git',
      event: 'push',
      deliveryId: DELIVERY,
      source: 'github',
      prNumber: '',
      sourceBranch: '',
      targetBranch: '',
    });
    expect(event.changedPaths).toEqual(['docs/Überblick.md', 'src/counter.ts', 'test/counter.test.ts', 'src/legacy.js']);
  });

  it('reads the form-encoded variant (payload=) the same as JSON, non-ASCII included', () => {
    const json = onlyEvent(parse('github-push.json', 'push'));
    const form = onlyEvent(parse('github-push.json', 'push', () => {}, true));
    expect(form).toEqual(json);
  });

  it('turns a tag push into a tag event whose commit is the tagged commit, with paths unknown', () => {
    const event = onlyEvent(parse('github-push-tag.json', 'push'));
    expect(event.event).toBe('tag');
    expect(event.variables).toMatchObject({ tag: 'v1.4.0', branch: '', commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' });
    expect(event.changedPaths).toBeUndefined();
    expect(event.changedPathsUnknown).toMatch(/tag push/);
  });

  it('ignores a branch deletion (after = all zeros) with a reason', () => {
    const result = parse('github-push.json', 'push', (p) => {
      p.after = '0'.repeat(40);
      p.deleted = true;
      p.commits = [];
      p.head_commit = null;
    });
    expect(result.outcome).toBe('ignored');
    expect(reasonOf(result)).toBe('branch "main" deleted: nothing to build');
  });

  it('treats a new branch without new commits as "paths unknown", not "nothing changed"', () => {
    const event = onlyEvent(parse('github-push.json', 'push', (p) => {
      p.ref = 'refs/heads/release/1.4';
      p.before = '0'.repeat(40);
      p.created = true;
      p.commits = [];
    }));
    expect(event.variables.branch).toBe('release/1.4');
    expect(event.changedPaths).toBeUndefined();
    expect(event.changedPathsUnknown).toMatch(/new branch/);
  });

  it('routes create for tags only', () => {
    const tag = onlyEvent(parse('github-create-tag.json', 'create'));
    expect(tag).toMatchObject({ event: 'tag', senderEvent: 'create' });
    expect(tag.variables).toMatchObject({ tag: 'v1.4.0', commit: '', repository: 'acme/app', author: 'zoe-a' });
    const branch = parse('github-create-tag.json', 'create', (p) => {
      p.ref_type = 'branch';
      p.ref = 'feature/x';
    });
    expect(reasonOf(branch)).toMatch(/create of branch "feature\/x" is not routed/);
  });

  it('normalises pull_request opened and synchronize; ignores closed (merged or not) and other actions', () => {
    const opened = onlyEvent(parse('github-pull-request-opened.json', 'pull_request'));
    expect(opened).toMatchObject({ event: 'pull_request', senderEvent: 'pull_request/opened', changedPaths: undefined });
    expect(opened.variables).toMatchObject({
      repository: 'acme/app',
      prNumber: '42',
      branch: 'fix/counter-overflow',
      sourceBranch: 'fix/counter-overflow',
      targetBranch: 'main',
      commit: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
      before: '',
      author: 'zoe-a',
    });
    const sync = onlyEvent(parse('github-pull-request-opened.json', 'pull_request', (p) => {
      p.action = 'synchronize';
      p.before = 'aaaabbbbccccddddeeeeffff0000111122223333';
    }));
    expect(sync.variables.before).toBe('aaaabbbbccccddddeeeeffff0000111122223333');

    const merged = parse('github-pull-request-opened.json', 'pull_request', (p) => {
      p.action = 'closed';
      p.pull_request.merged = true;
    });
    expect(reasonOf(merged)).toMatch(/#42 merged: the merge arrives as a push to "main"/);
    expect(reasonOf(parse('github-pull-request-opened.json', 'pull_request', (p) => (p.action = 'closed')))).toMatch(/closed without merging/);
    expect(reasonOf(parse('github-pull-request-opened.json', 'pull_request', (p) => (p.action = 'labeled')))).toMatch(/action "labeled" is not routed/);
  });

  it('answers ping as its own outcome', () => {
    const result = parse('github-ping.json', 'ping');
    expect(result).toMatchObject({ outcome: 'ping', message: 'Design for failure.' });
  });

  it('ignores unsupported events', () => {
    const result = parse('github-ping.json', 'issues');
    expect(result.outcome).toBe('ignored');
    expect(reasonOf(result)).toMatch(/GitHub event "issues" is not routed/);
  });

  it('calls malformed JSON, a form body without payload, and a push without ref "malformed"', () => {
    const headers = { 'x-github-event': 'push', 'x-github-delivery': DELIVERY, 'content-type': 'application/json' };
    const bad = github.parse({ rawBody: Buffer.from('{"ref": "refs/heads/main",'), headers });
    expect(bad.outcome).toBe('malformed');
    expect(reasonOf(bad)).toMatch(/not valid JSON/);
    const form = github.parse({ rawBody: Buffer.from('other=1'), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(reasonOf(form)).toMatch(/no "payload" field/);
    expect(reasonOf(github.parse({ rawBody: Buffer.from('{"repository":{"full_name":"a/b"}}'), headers }))).toMatch(/no "ref"/);
    expect(reasonOf(github.parse({ rawBody: Buffer.from('[1,2]'), headers }))).toMatch(/not an object/);
  });

  it('falls back to the SHA-256 of the body when X-GitHub-Delivery is absent, and says so', () => {
    const a = github.identify({ rawBody: Buffer.from('{"a":1}'), headers: { 'x-github-event': 'push' } });
    const b = github.identify({ rawBody: Buffer.from('{"a":1}'), headers: { 'x-github-event': 'push' } });
    expect(a.deliveryIdFrom).toBe('body-sha256');
    expect(a.deliveryId).toMatch(/^[0-9a-f]{64}$/);
    expect(b.deliveryId).toBe(a.deliveryId);
  });
});
