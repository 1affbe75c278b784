import { describe, expect, it } from '@jest/globals';
import { BitbucketSender } from '../../../src/webhooks/sources/bitbucket-sender';
import type { WebhookParseResult } from '../../../src/webhooks/sources/webhook-sender';
import { bitbucketCloudDelivery, bitbucketDcDelivery, fixture, type Delivery } from '../../support/webhook-deliveries';

const SECRET = 'bb-secret-123456';
const bitbucket = new BitbucketSender(SECRET);

function parse(delivery: Delivery): WebhookParseResult {
  expect(bitbucket.verify(delivery)).toEqual({ ok: true });
  return bitbucket.parse(delivery);
}

function events(result: WebhookParseResult) {
  if (result.outcome !== 'events') throw new Error(`expected events, got ${JSON.stringify(result)}`);
  return result;
}

describe('Bitbucket Cloud deliveries', () => {
  it('splits push.changes[] into one event per ref, ignores the deleted branch, and keys on X-Request-UUID', () => {
    const result = events(parse(bitbucketCloudDelivery(fixture('bitbucket-cloud-push.json'), { eventKey: 'repo:push', secret: SECRET, requestId: 'req-uuid-1' })));
    expect(result.delivery).toMatchObject({ source: 'bitbucket', flavour: 'cloud', deliveryId: 'req-uuid-1', deliveryIdFrom: 'X-Request-UUID', senderEvent: 'repo:push' });
    expect(result.events.map((e) => [e.event, e.variables.branch, e.variables.tag])).toEqual([
      ['push', 'main', ''],
      ['tag', '', 'v1.4.0'],
    ]);
    expect(result.ignored).toEqual(['branch "feature/old" deleted: nothing to build']);
    const push = result.events[0]!;
    expect(push.variables).toMatchObject({
      repository: 'acme/app',
      commit: '709d658dc5b6d6afcd46049c2f332ee3f515a67d',
      before: '1e65c05c1d5171631d92438a13901ca7dae9618c',
      author: 'aoberg',
      cloneUrl: 'https://bitbucket.org/acme/app.git',
    });
    expect(result.events[1]!.variables.before).toBe('');
    // No Bitbucket payload lists changed files.
    expect(push.changedPaths).toBeUndefined();
    expect(push.changedPathsUnknown).toBe('the payload lists no changed files');
  });

  it('normalises pullrequest:created and ignores pullrequest:fulfilled', () => {
    const created = events(parse(bitbucketCloudDelivery(fixture('bitbucket-cloud-pr-created.json'), { eventKey: 'pullrequest:created', secret: SECRET })));
    expect(created.events[0]!.variables).toMatchObject({
      prNumber: '12',
      sourceBranch: 'feature/counter',
      targetBranch: 'main',
      branch: 'feature/counter',
      commit: '709d658dc5b6',
      author: 'aoberg',
    });
    const merged = parse(bitbucketCloudDelivery(fixture('bitbucket-cloud-pr-created.json'), { eventKey: 'pullrequest:fulfilled', secret: SECRET }));
    expect(merged).toMatchObject({ outcome: 'ignored' });
  });
});

describe('Bitbucket Data Center deliveries', () => {
  it('splits changes[] (refId / ref.id), ignores DELETE, keys on X-Request-Id', () => {
    const result = events(parse(bitbucketDcDelivery(fixture('bitbucket-dc-refs-changed.json'), { eventKey: 'repo:refs_changed', secret: SECRET, requestId: 'dc-req-9' })));
    expect(result.delivery).toMatchObject({ flavour: 'data-center', deliveryId: 'dc-req-9', deliveryIdFrom: 'X-Request-Id' });
    expect(result.events.map((e) => [e.event, e.senderEvent, e.variables.branch || e.variables.tag])).toEqual([
      ['push', 'repo:refs_changed/UPDATE', 'main'],
      ['tag', 'repo:refs_changed/ADD', 'v1.4.0'],
    ]);
    expect(result.ignored).toEqual(['branch "feature/old" deleted: nothing to build']);
    expect(result.events[0]!.variables).toMatchObject({
      repository: 'ACME/app',
      commit: '178864a7d521b6f5e720b386b2c2b0ef8563e0dc',
      before: 'ecddabb624f6f5ba43816f5926e580a5f680a932',
      author: 'jdoe',
      cloneUrl: 'https://bitbucket.example.com/scm/acme/app.git',
    });
    expect(result.events[0]!.changedPaths).toBeUndefined();
  });

  it('normalises pr:opened and pr:from_ref_updated; ignores pr:merged', () => {
    const opened = events(parse(bitbucketDcDelivery(fixture('bitbucket-dc-pr-opened.json'), { eventKey: 'pr:opened', secret: SECRET })));
    expect(opened.events[0]!.variables).toMatchObject({ prNumber: '9', sourceBranch: 'feature/counter', targetBranch: 'main', commit: '9b2e0a3f5d6c7b8a9e0f1a2b3c4d5e6f7a8b9c0d', repository: 'ACME/app', author: 'jdoe' });
    const updatedPayload = { ...fixture('bitbucket-dc-pr-opened.json'), eventKey: 'pr:from_ref_updated', previousFromHash: 'a00c0fb1ae3dbf5c9d46c3d4e2fa0a0a3d8a9f66' };
    const updated = events(parse(bitbucketDcDelivery(updatedPayload, { eventKey: 'pr:from_ref_updated', secret: SECRET })));
    expect(updated.events[0]!.variables.before).toBe('a00c0fb1ae3dbf5c9d46c3d4e2fa0a0a3d8a9f66');
    expect(parse(bitbucketDcDelivery(fixture('bitbucket-dc-pr-opened.json'), { eventKey: 'pr:merged', secret: SECRET }))).toMatchObject({ outcome: 'ignored' });
  });

  it('answers the "Test connection" diagnostics:ping as a ping', () => {
    expect(parse(bitbucketDcDelivery({ test: true }, { eventKey: 'diagnostics:ping', secret: SECRET }))).toMatchObject({ outcome: 'ping' });
  });

  it('tells the products apart by payload shape when headers are missing or mixed', () => {
    // A Data Center payload with Cloud-style headers is still read as Data Center.
    const dcBody = bitbucketDcDelivery(fixture('bitbucket-dc-refs-changed.json'), { eventKey: 'repo:refs_changed', secret: SECRET });
    const mixed = { rawBody: dcBody.rawBody, headers: { ...dcBody.headers, 'x-hook-uuid': '{abc}' } };
    expect(events(bitbucket.parse(mixed)).delivery.flavour).toBe('data-center');
    // Without X-Event-Key, a Data Center body names its event itself.
    const { 'x-event-key': _gone, ...noKey } = dcBody.headers;
    expect(events(bitbucket.parse({ rawBody: dcBody.rawBody, headers: noKey })).events).toHaveLength(2);
  });

  it('calls malformed JSON malformed', () => {
    expect(bitbucket.parse({ rawBody: Buffer.from('{"changes": ['), headers: { 'x-event-key': 'repo:refs_changed' } }).outcome).toBe('malformed');
  });
});
