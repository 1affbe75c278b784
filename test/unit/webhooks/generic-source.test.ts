import { describe, expect, it } from '@jest/globals';
import { GenericSender } from '../../../src/webhooks/sources/generic-sender';
import { genericSourceSchema } from '../../../src/webhooks/sources/generic-source-config';
import type { WebhookParseResult } from '../../../src/webhooks/sources/webhook-sender';
import { fixture, jsonBytes } from '../../support/webhook-deliveries';

function sender(config: Record<string, unknown>): GenericSender {
  const parsed = genericSourceSchema.parse({ secret: 'generic-token-1', ...config });
  return new GenericSender('deploy', parsed, 'generic-token-1');
}

const body = jsonBytes(fixture('generic-deploy.json'));
const headers = { token: 'generic-token-1', 'content-type': 'application/json' };

function events(result: WebhookParseResult) {
  if (result.outcome !== 'events') throw new Error(`expected events, got ${JSON.stringify(result)}`);
  return result.events;
}

const mapping = {
  variables: {
    ref: '$.git.ref',
    repository: '$.git.repo',
    commit: '$.git.sha',
    cloneUrl: '$.git.url',
    author: '$.user.login',
    environment: '$.service.environment',
    files: '$.files[*].path',
  },
  changedPaths: '$.files[*].path',
};

describe('generic sources', () => {
  it('maps body fields by JSONPath: ref → branch, standard and extra variables, changed paths', () => {
    const [event] = events(sender(mapping).parse({ rawBody: body, headers }));
    expect(event).toMatchObject({ source: 'generic:deploy', event: 'push', senderEvent: 'generic:push' });
    expect(event!.variables).toMatchObject({
      repository: 'acme/billing',
      branch: 'release/2.0',
      tag: '',
      commit: '3f786850e387550fdab836ed7e6dc881de23001b',
      cloneUrl: 'https://git.example.com/acme/billing.git',
      author: 'ørjan',
      source: 'generic:deploy',
      event: 'push',
    });
    expect(event!.extraVariables).toEqual({ ref: 'refs/heads/release/2.0', environment: 'staging', files: 'src/billing.ts,docs/Überblick.md' });
    expect(event!.changedPaths).toEqual(['src/billing.ts', 'docs/Überblick.md']);
  });

  it('infers tag from a tag ref, honours a configured event, and says when paths are not mapped', () => {
    const tagged = { ...fixture<Record<string, any>>('generic-deploy.json') };
    tagged.git = { ...tagged.git, ref: 'refs/tags/v2.0.1' };
    const [tag] = events(sender({ variables: { ref: '$.git.ref' } }).parse({ rawBody: jsonBytes(tagged), headers }));
    expect(tag).toMatchObject({ event: 'tag', changedPaths: undefined });
    expect(tag!.variables.tag).toBe('v2.0.1');
    expect(tag!.changedPathsUnknown).toMatch(/maps no changed paths/);

    const [pr] = events(sender({ event: 'pull_request', variables: { targetBranch: '$.service.environment' } }).parse({ rawBody: body, headers }));
    expect(pr).toMatchObject({ event: 'pull_request' });
    expect(pr!.variables.targetBranch).toBe('staging');
  });

  it('applies the regexp filter (GWT regexpFilterText / regexpFilterExpression) to rendered variables', () => {
    const filtered = { ...mapping, regexpFilterText: '{{branch}}@{{environment}}', regexpFilterExpression: '^release/.*@production$' };
    const result = sender(filtered).parse({ rawBody: body, headers });
    expect(result).toMatchObject({ outcome: 'ignored', reason: 'regexp filter: "release/2.0@staging" does not match /^release/.*@production$/' });
    const passing = { ...mapping, regexpFilterText: '{{branch}}@{{environment}}', regexpFilterExpression: '^release/.*@staging$' };
    expect(sender(passing).parse({ rawBody: body, headers }).outcome).toBe('events');
  });

  it('uses the configured delivery id header, else the SHA-256 of the body', () => {
    const withHeader = sender({ deliveryIdHeader: 'X-Request-Id' });
    expect(withHeader.identify({ rawBody: body, headers: { 'x-request-id': 'abc-123' } })).toMatchObject({ deliveryId: 'abc-123', deliveryIdFrom: 'X-Request-Id', dedupeKey: 'generic:deploy:abc-123' });
    const hashed = withHeader.identify({ rawBody: body, headers: {} });
    expect(hashed.deliveryIdFrom).toBe('body-sha256');
    expect(hashed.deliveryId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('calls a non-JSON body malformed', () => {
    expect(sender(mapping).parse({ rawBody: Buffer.from('ref=main'), headers })).toMatchObject({ outcome: 'malformed' });
    expect(sender(mapping).parse({ rawBody: Buffer.from('"just a string"'), headers })).toMatchObject({ outcome: 'malformed' });
  });
});
