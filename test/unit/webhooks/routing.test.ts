import { describe, expect, it } from '@jest/globals';
import { webhookRoutesSchema } from '../../../src/webhooks/routing/route-config';
import { triggerToken } from '../../../src/webhooks/routing/route-target';
import { compileTemplate, TemplateSyntaxError } from '../../../src/webhooks/routing/template';
import { WebhookRouter } from '../../../src/webhooks/routing/webhook-router';
import { BitbucketSender } from '../../../src/webhooks/sources/bitbucket-sender';
import { GithubSender } from '../../../src/webhooks/sources/github-sender';
import { GitlabSender } from '../../../src/webhooks/sources/gitlab-sender';
import type { WebhookParseResult } from '../../../src/webhooks/sources/webhook-sender';
import type { WebhookEvent } from '../../../src/webhooks/webhook-event';
import { bitbucketCloudDelivery, fixture, githubDelivery, gitlabDelivery } from '../../support/webhook-deliveries';

/** The issue's example, verbatim in shape. */
const ISSUE_EXAMPLE = [
  {
    name: 'legacy-app',
    match: { source: 'github', repository: 'acme/app', events: ['push'], branches: ['main', 'release/*'], tags: [], paths: ['src/**'] },
    jenkins: { job: 'legacy/app', parameters: { GIT_COMMIT: '{{commit}}', GIT_BRANCH: '{{branch}}', GIT_URL: '{{cloneUrl}}' } },
  },
  {
    name: 'start-pipeline',
    match: { source: 'gitlab', repository: 'acme/app', events: ['tag'], tags: ['v*'] },
    pipeline: { name: 'app-release' },
  },
];

const router = (routes: unknown[]) => new WebhookRouter(webhookRoutesSchema.parse(routes));

function eventsOf(result: WebhookParseResult): WebhookEvent[] {
  if (result.outcome !== 'events') throw new Error(`expected events, got ${JSON.stringify(result)}`);
  return [...result.events];
}

function githubPush(tweak: (p: Record<string, any>) => void = () => {}): WebhookEvent[] {
  const payload = fixture<Record<string, any>>('github-push.json');
  tweak(payload);
  return eventsOf(new GithubSender('x-secret').parse(githubDelivery(payload, { event: 'push', deliveryId: 'gh-1' })));
}

function gitlab(name: string, event: string, tweak: (p: Record<string, any>) => void = () => {}): WebhookEvent[] {
  const payload = fixture<Record<string, any>>(name);
  tweak(payload);
  return eventsOf(new GitlabSender('t').parse(gitlabDelivery(payload, { event, idempotencyKey: 'gl-1' })));
}

describe('WebhookRouter with the issue example', () => {
  it('starts the legacy job for a GitHub push to main touching src/**, with templated parameters', () => {
    const result = router(ISSUE_EXAMPLE).route(githubPush());
    expect(result.targets).toHaveLength(1);
    expect(result.targets[0]).toMatchObject({
      routes: ['legacy-app'],
      eventIndexes: [0],
      notes: [],
      target: {
        kind: 'jenkins',
        job: 'legacy/app',
        parameters: { GIT_COMMIT: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', GIT_BRANCH: 'main', GIT_URL: 'https://github.com/acme/app.git' },
      },
    });
    expect(result.targets[0]!.key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches release/* but not a non-matching branch, and says why', () => {
    expect(router(ISSUE_EXAMPLE).route(githubPush((p) => (p.ref = 'refs/heads/release/1.4'))).targets).toHaveLength(1);
    const result = router(ISSUE_EXAMPLE).route(githubPush((p) => (p.ref = 'refs/heads/feature/x')));
    expect(result.targets).toEqual([]);
    expect(result.misses).toEqual([
      { route: 'legacy-app', eventIndex: 0, reason: 'branch "feature/x" matches none of [main, release/*]' },
      { route: 'start-pipeline', eventIndex: 0, reason: 'source github is not [gitlab]' },
    ]);
    // `*` does not cross "/".
    expect(router(ISSUE_EXAMPLE).route(githubPush((p) => (p.ref = 'refs/heads/release/1/hotfix'))).targets).toEqual([]);
  });

  it('does not match a push whose changed files are all outside src/**', () => {
    const result = router(ISSUE_EXAMPLE).route(
      githubPush((p) => {
        for (const c of p.commits) {
          c.added = ['docs/Überblick.md'];
          c.modified = ['README.md'];
          c.removed = [];
        }
      }),
    );
    expect(result.targets).toEqual([]);
    expect(result.misses[0]!.reason).toBe('none of the 2 changed paths matches [src/**]');
  });

  it('starts the pipeline for a GitLab v* tag, with the source revision left to the pipeline', () => {
    const result = router(ISSUE_EXAMPLE).route(gitlab('gitlab-tag-push.json', 'Tag Push Hook'));
    expect(result.targets.map((t) => t.target)).toEqual([{ kind: 'pipeline', name: 'app-release', sourceRevisions: [], variables: [] }]);
    expect(router(ISSUE_EXAMPLE).route(gitlab('gitlab-tag-push.json', 'Tag Push Hook', (p) => (p.ref = 'refs/tags/nightly'))).targets).toEqual([]);
  });

  it('matches repositories case-insensitively', () => {
    expect(router(ISSUE_EXAMPLE).route(githubPush((p) => (p.repository.full_name = 'ACME/App'))).targets).toHaveLength(1);
  });
});

describe('ref constraints', () => {
  const job = { job: 'j' };
  const tagEvents = () => gitlab('gitlab-tag-push.json', 'Tag Push Hook');

  it('no branches and no tags: any ref; an empty list is the same as absent', () => {
    const r = router([{ name: 'any', match: { branches: [], tags: [] }, jenkins: job }]);
    expect(r.route(githubPush()).targets).toHaveLength(1);
    expect(r.route(tagEvents()).targets).toHaveLength(1);
  });

  it('branches only: tag events never match; tags only: branch events never match', () => {
    const branchesOnly = router([{ name: 'b', match: { branches: ['**'] }, jenkins: job }]);
    expect(branchesOnly.route(tagEvents()).misses[0]!.reason).toBe('the route lists branches only, so tag events do not match');
    const tagsOnly = router([{ name: 't', match: { tags: ['v*'], branches: [] }, jenkins: job }]);
    expect(tagsOnly.route(githubPush()).misses[0]!.reason).toBe('the route lists tags only, so branch events do not match');
    expect(tagsOnly.route(tagEvents()).targets).toHaveLength(1);
  });

  it('matches a pull request by its target branch', () => {
    const pr = eventsOf(new GithubSender('s').parse(githubDelivery(fixture('github-pull-request-opened.json'), { event: 'pull_request' })));
    expect(router([{ name: 'pr', match: { events: ['pull_request'], branches: ['main'] }, jenkins: job }]).route(pr).targets).toHaveLength(1);
    const miss = router([{ name: 'pr', match: { branches: ['fix/*'] }, jenkins: job }]).route(pr);
    expect(miss.misses[0]!.reason).toBe('target branch "main" matches none of [fix/*]');
  });

  it('filters on events', () => {
    const r = router([{ name: 'tags', match: { events: ['tag'] }, jenkins: job }]);
    expect(r.route(githubPush()).misses[0]!.reason).toBe('event push is not [tag]');
  });
});

describe('paths the payload cannot tell', () => {
  const route = [{ name: 'src-only', match: { paths: ['src/**'], branches: ['main'] }, jenkins: { job: 'j', parameters: { B: '{{branch}}' } } }];

  it('Bitbucket: the rule matches and carries a note to record on the delivery', () => {
    const delivery = bitbucketCloudDelivery(fixture('bitbucket-cloud-push.json'), { eventKey: 'repo:push' });
    const result = router(route).route(eventsOf(new BitbucketSender('s').parse(delivery)));
    expect(result.targets).toHaveLength(1);
    expect(result.targets[0]!.notes).toEqual(['paths not checked: the payload lists no changed files']);
  });

  it('GitLab with a truncated commit list: matches with a note naming the truncation', () => {
    const events = gitlab('gitlab-push.json', 'Push Hook', (p) => {
      p.ref = 'refs/heads/main';
      p.total_commits_count = 40;
    });
    const result = router(route).route(events);
    expect(result.targets[0]!.notes).toEqual(["paths not checked: GitLab listed only 2 of the push's 40 commits, so the changed-file list is incomplete"]);
  });
});

describe('several matches and dedupe', () => {
  it('returns every matched target; identical rendered targets once, with all their routes', () => {
    const routes = [
      { name: 'a', match: { source: 'github' }, jenkins: { job: 'build', parameters: { SHA: '{{commit}}' } } },
      { name: 'b', match: { branches: ['main'] }, jenkins: { job: 'build', parameters: { SHA: '{{commit}}' } } },
      { name: 'c', match: { events: ['push'] }, jenkins: { job: 'deploy', parameters: { SHA: '{{commit}}' } } },
    ];
    const result = router(routes).route(githubPush());
    expect(result.targets.map((t) => [t.target.kind === 'jenkins' && t.target.job, t.routes])).toEqual([
      ['build', ['a', 'b']],
      ['deploy', ['c']],
    ]);
  });

  it('triggers once per distinct rendered target for a delivery with several events (Bitbucket)', () => {
    const events = eventsOf(new BitbucketSender('s').parse(bitbucketCloudDelivery(fixture('bitbucket-cloud-push.json'), { eventKey: 'repo:push' })));
    const perRef = router([{ name: 'r', match: {}, jenkins: { job: 'j', parameters: { REF: '{{branch}}{{tag}}' } } }]).route(events);
    expect(perRef.targets.map((t) => t.eventIndexes)).toEqual([[0], [1]]);
    const same = router([{ name: 'r', match: {}, jenkins: { job: 'j', parameters: { SHA: '{{commit}}' } } }]).route(events);
    expect(same.targets).toHaveLength(1);
    expect(same.targets[0]!.eventIndexes).toEqual([0, 1]);
  });

  it('derives a stable per-delivery trigger token usable as a clientRequestToken', () => {
    const [a] = router(ISSUE_EXAMPLE).route(githubPush()).targets;
    const [again] = router(ISSUE_EXAMPLE).route(githubPush()).targets;
    expect(triggerToken('github:gh-1', a!.key)).toBe(triggerToken('github:gh-1', again!.key));
    expect(triggerToken('github:gh-1', a!.key)).not.toBe(triggerToken('github:gh-2', a!.key));
    expect(triggerToken('github:gh-1', a!.key)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('templates', () => {
  it('renders a variable empty for this event as ""', () => {
    const r = router([{ name: 't', match: {}, jenkins: { job: 'j', parameters: { TAG: 'tag={{ tag }};pr={{prNumber}}', N: 3 } } }]);
    const target = r.route(githubPush()).targets[0]!.target;
    expect(target).toEqual({ kind: 'jenkins', job: 'j', parameters: { TAG: 'tag=;pr=', N: '3' } });
  });

  it('renders pipeline source revisions and variables, leaving out values that render empty', () => {
    const r = router([
      {
        name: 'p',
        match: {},
        pipeline: { name: 'app-release', sourceRevisions: [{ actionName: 'Source' }], variables: { RELEASE_TAG: '{{tag}}', SOURCE: '{{source}}:{{deliveryId}}' } },
      },
    ]);
    const [routed] = r.route(githubPush()).targets;
    expect(routed!.target).toEqual({
      kind: 'pipeline',
      name: 'app-release',
      sourceRevisions: [{ actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' }],
      variables: [{ name: 'SOURCE', value: 'github:gh-1' }],
    });
    expect(routed!.notes).toEqual(['pipeline variable RELEASE_TAG left out: it rendered empty for this event']);
  });

  it('rejects unbalanced braces and non-names', () => {
    expect(() => compileTemplate('{{commit}')).toThrow(TemplateSyntaxError);
    expect(() => compileTemplate('{{ a b }}')).toThrow(/not a variable name/);
    expect(compileTemplate('{{commit}}-{{branch}}-{{commit}}').variables).toEqual(['commit', 'branch']);
  });
});
