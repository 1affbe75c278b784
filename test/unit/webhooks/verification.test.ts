import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { BitbucketSender } from '../../../src/webhooks/sources/bitbucket-sender';
import { GenericSender } from '../../../src/webhooks/sources/generic-sender';
import { genericSourceSchema } from '../../../src/webhooks/sources/generic-source-config';
import { GithubSender } from '../../../src/webhooks/sources/github-sender';
import { GitlabSender } from '../../../src/webhooks/sources/gitlab-sender';
import type { VerifyResult } from '../../../src/webhooks/sources/webhook-sender';
import {
  bitbucketCloudDelivery,
  bitbucketDcDelivery,
  fixture,
  githubDelivery,
  gitlabDelivery,
  hmacHex,
  jsonBytes,
} from '../../support/webhook-deliveries';

const SECRET = 'gh-webhook-secret-2026';

/** A failed verification's reason must never quote the secret or what was received. */
function expectRejected(result: VerifyResult, reason: RegExp, ...forbidden: string[]): void {
  expect(result.ok).toBe(false);
  const text = result.ok ? '' : result.reason;
  expect(text).toMatch(reason);
  for (const f of forbidden) expect(text).not.toContain(f);
}

describe('GitHub X-Hub-Signature-256', () => {
  const github = new GithubSender(SECRET);

  it("accepts GitHub's published test vector", () => {
    const sender = new GithubSender("It's a Secret to Everybody");
    const result = sender.verify({
      rawBody: Buffer.from('Hello, World!', 'utf8'),
      headers: { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' },
    });
    expect(result).toEqual({ ok: true });
  });

  it('verifies the exact raw bytes of a push with a non-ASCII commit message', () => {
    const payload = fixture('github-push.json');
    const delivery = githubDelivery(payload, { event: 'push', secret: SECRET });
    expect(delivery.rawBody.toString('utf8')).toContain('Überlauf');
    expect(github.verify(delivery)).toEqual({ ok: true });

    // The same JSON with non-ASCII \u-escaped is equal once parsed but not byte-equal: it must fail.
    const escaped = Buffer.from(JSON.stringify(payload).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), 'utf8');
    expect(JSON.parse(escaped.toString('utf8'))).toEqual(payload);
    expectRejected(github.verify({ rawBody: escaped, headers: delivery.headers }), /does not match the body/);
  });

  it('verifies the form-encoded variant over the form-encoded bytes, not the JSON inside', () => {
    const delivery = githubDelivery(fixture('github-push.json'), { event: 'push', secret: SECRET, form: true });
    expect(delivery.rawBody.toString('utf8')).toMatch(/^payload=%7B/);
    expect(github.verify(delivery)).toEqual({ ok: true });
    const inner = Buffer.from(new URLSearchParams(delivery.rawBody.toString('utf8')).get('payload')!, 'utf8');
    const innerSignature = `sha256=${hmacHex('sha256', SECRET, inner)}`;
    expectRejected(github.verify({ rawBody: delivery.rawBody, headers: { ...delivery.headers, 'x-hub-signature-256': innerSignature } }), /does not match/);
  });

  it('rejects a wrong secret, a tampered body and a missing header, without quoting secret or signature', () => {
    const delivery = githubDelivery(fixture('github-push.json'), { event: 'push', secret: 'another-secret' });
    const received = delivery.headers['x-hub-signature-256']!;
    expectRejected(github.verify(delivery), /X-Hub-Signature-256 does not match the body/, SECRET, received, received.slice(7));

    const good = githubDelivery(fixture('github-push.json'), { event: 'push', secret: SECRET });
    const tampered = Buffer.from(good.rawBody.toString('utf8').replace('refs/heads/main', 'refs/heads/prod'), 'utf8');
    expectRejected(github.verify({ rawBody: tampered, headers: good.headers }), /does not match/);

    const unsigned = githubDelivery(fixture('github-push.json'), { event: 'push' });
    expectRejected(github.verify(unsigned), /missing X-Hub-Signature-256/);
  });

  it('rejects a delivery that carries only the legacy SHA-1 X-Hub-Signature, saying why', () => {
    const delivery = githubDelivery(fixture('github-push.json'), { event: 'push', secret: SECRET });
    const { 'x-hub-signature-256': _dropped, ...headers } = delivery.headers;
    expect(headers['x-hub-signature']).toMatch(/^sha1=/);
    expectRejected(github.verify({ rawBody: delivery.rawBody, headers }), /only the legacy X-Hub-Signature \(HMAC-SHA1\).*X-Hub-Signature-256 is required/, SECRET);
  });

  it('rejects malformed signature values (wrong prefix, wrong length, non-hex) before comparing', () => {
    const body = Buffer.from('{}');
    const good = hmacHex('sha256', SECRET, body);
    expectRejected(github.verify({ rawBody: body, headers: { 'x-hub-signature-256': `sha1=${good}` } }), /does not start with "sha256="/);
    expectRejected(github.verify({ rawBody: body, headers: { 'x-hub-signature-256': `sha256=${good.slice(2)}` } }), /not a hex SHA256 digest/);
    expectRejected(github.verify({ rawBody: body, headers: { 'x-hub-signature-256': `sha256=${'z'.repeat(64)}` } }), /not a hex SHA256 digest/);
    // Upper-case hex is the same digest.
    expect(github.verify({ rawBody: body, headers: { 'X-Hub-Signature-256': `sha256=${good.toUpperCase()}` } })).toEqual({ ok: true });
  });
});

describe('GitLab X-Gitlab-Token', () => {
  const gitlab = new GitlabSender('gl-token-abcdef');

  it('accepts the configured token and rejects others, a missing one, and a prefix of it', () => {
    const payload = fixture('gitlab-push.json');
    expect(gitlab.verify(gitlabDelivery(payload, { event: 'Push Hook', token: 'gl-token-abcdef' }))).toEqual({ ok: true });
    expectRejected(gitlab.verify(gitlabDelivery(payload, { event: 'Push Hook', token: 'gl-token-abcdeX' })), /does not match/, 'gl-token-abcde');
    expectRejected(gitlab.verify(gitlabDelivery(payload, { event: 'Push Hook', token: 'gl-token' })), /does not match/);
    expectRejected(gitlab.verify(gitlabDelivery(payload, { event: 'Push Hook' })), /missing X-Gitlab-Token/);
  });
});

describe('Bitbucket X-Hub-Signature (Cloud and Data Center)', () => {
  const bitbucket = new BitbucketSender('bb-secret-123456');

  it('accepts sha256 HMACs of the raw bytes from both products', () => {
    expect(bitbucket.verify(bitbucketCloudDelivery(fixture('bitbucket-cloud-push.json'), { eventKey: 'repo:push', secret: 'bb-secret-123456' }))).toEqual({ ok: true });
    expect(bitbucket.verify(bitbucketDcDelivery(fixture('bitbucket-dc-refs-changed.json'), { eventKey: 'repo:refs_changed', secret: 'bb-secret-123456' }))).toEqual({ ok: true });
  });

  it('rejects a wrong secret and an unsigned delivery (the hook has no secret set)', () => {
    const wrong = bitbucketCloudDelivery(fixture('bitbucket-cloud-push.json'), { eventKey: 'repo:push', secret: 'nope-nope-nope' });
    expectRejected(bitbucket.verify(wrong), /X-Hub-Signature does not match/, 'bb-secret-123456', wrong.headers['x-hub-signature']!);
    expectRejected(bitbucket.verify(bitbucketDcDelivery(fixture('bitbucket-dc-refs-changed.json'), { eventKey: 'repo:refs_changed' })), /missing X-Hub-Signature/);
  });
});

describe('generic sources', () => {
  const body = jsonBytes(fixture('generic-deploy.json'));
  const tokenSource = (auth: Record<string, unknown> = {}) => new GenericSender('deploy', genericSourceSchema.parse({ secret: 'generic-token-1', auth: { type: 'token', ...auth } }), 'generic-token-1');

  it('takes the token from the named header, Authorization: Bearer, or ?token= (default: all three)', () => {
    const sender = tokenSource();
    expect(sender.verify({ rawBody: body, headers: { token: 'generic-token-1' } })).toEqual({ ok: true });
    expect(sender.verify({ rawBody: body, headers: { authorization: 'Bearer generic-token-1' } })).toEqual({ ok: true });
    expect(sender.verify({ rawBody: body, headers: {}, query: { token: 'generic-token-1' } })).toEqual({ ok: true });
    expectRejected(sender.verify({ rawBody: body, headers: { token: 'wrong' } }), /does not match/, 'generic-token-1', 'wrong');
    expectRejected(sender.verify({ rawBody: body, headers: {} }), /no token: expected header token, or Authorization: Bearer, or \?token=/);
  });

  it('honours a custom header name and a restricted list of places', () => {
    const sender = tokenSource({ header: 'X-Deploy-Token', from: ['header'] });
    expect(sender.verify({ rawBody: body, headers: { 'x-deploy-token': 'generic-token-1' } })).toEqual({ ok: true });
    expectRejected(sender.verify({ rawBody: body, headers: {}, query: { token: 'generic-token-1' } }), /no token: expected header X-Deploy-Token$/);
  });

  it('checks an HMAC header per source: algorithm, optional prefix, hex or base64', () => {
    const sha1 = new GenericSender('ci', genericSourceSchema.parse({ secret: 'k3y-k3y', auth: { type: 'hmac', header: 'X-Signature', algorithm: 'sha1', prefix: 'sha1=' } }), 'k3y-k3y');
    expect(sha1.verify({ rawBody: body, headers: { 'x-signature': `sha1=${hmacHex('sha1', 'k3y-k3y', body)}` } })).toEqual({ ok: true });
    expectRejected(sha1.verify({ rawBody: body, headers: { 'x-signature': hmacHex('sha1', 'k3y-k3y', body) } }), /does not start with "sha1="/);

    const b64 = new GenericSender('ci', genericSourceSchema.parse({ secret: 'k3y-k3y', auth: { type: 'hmac', header: 'X-Sig', encoding: 'base64' } }), 'k3y-k3y');
    const digest = createHmac('sha256', 'k3y-k3y').update(body).digest('base64');
    expect(b64.verify({ rawBody: body, headers: { 'x-sig': digest } })).toEqual({ ok: true });
    expectRejected(b64.verify({ rawBody: Buffer.concat([body, Buffer.from(' ')]), headers: { 'x-sig': digest } }), /X-Sig does not match the body/, digest);
  });
});
