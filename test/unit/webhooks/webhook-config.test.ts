import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../../src/config/load-config';
import { createWebhookSenders } from '../../../src/webhooks/sources/create-webhook-senders';

const jenkinsEnv = { JENKINS_URL: 'http://jenkins:8080/', JENKINS_USER: 'bridge', JENKINS_API_TOKEN: 'tok' };
const EXAMPLE = path.resolve(__dirname, '..', '..', '..', 'config', 'webhooks.example.yaml');

function writeConfig(yaml: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bridge-webhooks-')), 'bridge.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** The loader's issue lines for a config file, or [] when it loads. */
function issuesFor(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    loadConfig({ ...jenkinsEnv, ...env, BRIDGE_CONFIG: writeConfig(yaml) });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues;
  }
}

describe('webhooks config', () => {
  it('loads the shipped example, resolving secretEnv from the environment', () => {
    const config = loadConfig({ ...jenkinsEnv, BRIDGE_CONFIG: EXAMPLE, DEPLOY_TOOL_WEBHOOK_TOKEN: 'deploy-token-1', CI_SYSTEM_WEBHOOK_SECRET: 'ci-secret-1' });
    expect(config.webhooks.routes.map((r) => r.name)).toEqual(['legacy-app', 'start-pipeline', 'pr-checks', 'release-pipeline', 'deploy-notify']);
    expect(config.webhooks.routes[0]!.match).toEqual({ source: ['github'], repository: ['acme/app'], events: ['push'], branches: ['main', 'release/*'], tags: [], paths: ['src/**'] });
    expect(config.webhooks.routes[1]!.pipeline).toEqual({ name: 'app-release', sourceRevisions: [], variables: {} });
    expect(config.webhooks.generic['deploy-tool']).toMatchObject({ secret: 'deploy-token-1', auth: { type: 'token', header: 'token', from: ['header', 'bearer', 'query'] } });
    expect(config.webhooks.generic['deploy-tool']).not.toHaveProperty('secretEnv');
    const senders = createWebhookSenders(config.webhooks);
    expect(senders.configured).toEqual(['generic:deploy-tool', 'generic:ci-system']);
    expect(senders.get('github')).toBeUndefined();
  });

  it('opens a built-in source only when its secret is set', () => {
    const config = loadConfig({ ...jenkinsEnv, BRIDGE_WEBHOOK_GITHUB_SECRET: 'gh-secret-1', BRIDGE_WEBHOOK_GITLAB_TOKEN: 'gl-token-1' });
    const senders = createWebhookSenders(config.webhooks);
    expect(senders.configured).toEqual(['github', 'gitlab']);
    expect(senders.get('bitbucket')).toBeUndefined();
    expect(senders.get('generic:__proto__')).toBeUndefined();
  });

  it('names the env variable a generic secretEnv needs, and rejects secret together with secretEnv', () => {
    expect(issuesFor('webhooks:\n  generic:\n    tool:\n      secretEnv: TOOL_TOKEN\n')).toEqual(['webhooks.generic.tool.secretEnv: environment variable TOOL_TOKEN is not set (or empty)']);
    expect(issuesFor('webhooks:\n  generic:\n    tool:\n      secret: in-file\n      secretEnv: TOOL_TOKEN\n', { TOOL_TOKEN: 'x' })).toEqual(['webhooks.generic.tool.secretEnv: give either secret or secretEnv, not both']);
  });

  it('does not modify the overrides object while resolving secretEnv', () => {
    const overrides = { webhooks: { generic: { tool: { secretEnv: 'TOOL_TOKEN' } } } };
    const config = loadConfig({ ...jenkinsEnv, TOOL_TOKEN: 'tool-token-1' }, { overrides });
    expect(config.webhooks.generic.tool!.secret).toBe('tool-token-1');
    expect(overrides.webhooks.generic.tool).toEqual({ secretEnv: 'TOOL_TOKEN' });
  });

  it('names the bad key with array indexes in brackets', () => {
    const yaml = `webhooks:
  routes:
    - name: ok
      match: { branches: [main] }
      jenkins: { job: a }
    - name: bad
      match: { branches: main }
      jenkins: { job: b }
`;
    expect(issuesFor(yaml)).toEqual([expect.stringMatching(/^webhooks\.routes\[1\]\.match\.branches: /)]);
  });

  it('reports an unknown template variable at load time, naming the route and the key', () => {
    const yaml = `webhooks:
  routes:
    - name: legacy-app
      match: { source: github }
      jenkins: { job: legacy/app, parameters: { GIT_COMMIT: "{{comit}}", OK: "{{commit}}" } }
`;
    const [issue, ...rest] = issuesFor(yaml);
    expect(rest).toEqual([]);
    expect(issue).toMatch(/^webhooks\.routes\[0\]\.jenkins\.parameters\.GIT_COMMIT: route "legacy-app": unknown template variable \{\{comit\}\} \(known: repository, branch, /);
  });

  it('allows a generic source\'s extra variables only in routes for that source', () => {
    const base = `webhooks:
  generic:
    tool: { variables: { environment: $.env } }
  routes:
`;
    expect(issuesFor(`${base}    - { name: a, match: { source: "generic:tool" }, jenkins: { job: j, parameters: { E: "{{environment}}" } } }\n`)).toEqual([]);
    expect(issuesFor(`${base}    - { name: b, match: { source: github }, jenkins: { job: j, parameters: { E: "{{environment}}" } } }\n`)).toEqual([
      expect.stringMatching(/^webhooks\.routes\[0\]\.jenkins\.parameters\.E: route "b": unknown template variable \{\{environment\}\}/),
    ]);
    expect(issuesFor(`${base}    - { name: c, match: { source: "generic:other" }, jenkins: { job: j } }\n`)).toEqual([
      'webhooks.routes[0].match.source: no generic source "other" is defined (webhooks.generic.other)',
    ]);
  });

  it('requires exactly one target, unique names, known match keys and events', () => {
    const yaml = `webhooks:
  routes:
    - { name: none, match: {} }
    - { name: both, match: {}, jenkins: { job: j }, pipeline: { name: p } }
    - { name: none, match: { branch: [main] }, jenkins: { job: j } }
    - { name: ev, match: { events: [merge] }, jenkins: { job: j } }
    - { name: src, match: { source: gitea }, jenkins: { job: j } }
`;
    expect(issuesFor(yaml)).toEqual([
      'webhooks.routes[0]: route "none" needs exactly one target: jenkins or pipeline',
      'webhooks.routes[1]: route "both" needs exactly one target: jenkins or pipeline',
      'webhooks.routes[2].match: unknown key(s) "branch"',
      expect.stringMatching(/^webhooks\.routes\[3\]\.match\.events\[0\]: /),
      'webhooks.routes[4].match.source: must be github, gitlab, bitbucket or generic:<name>',
    ]);
    const dup = `webhooks:\n  routes:\n    - { name: x, match: {}, jenkins: { job: j } }\n    - { name: x, match: {}, jenkins: { job: k } }\n`;
    expect(issuesFor(dup)).toEqual(['webhooks.routes[1].name: route name "x" is already used by routes[0]']);
  });

  it('checks generic source settings: JSONPath syntax, regexp, filter pairs, reserved names', () => {
    const yaml = `webhooks:
  generic:
    tool:
      variables: { repository: "$.a[?(@.b", event: $.kind, "bad-name": $.x }
      regexpFilterText: "{{nope}}"
      regexpFilterExpression: "(unclosed"
`;
    const issues = issuesFor(yaml);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^webhooks\.generic\.tool\.variables\.repository: not a valid JSONPath/),
        expect.stringMatching(/^webhooks\.generic\.tool\.variables\.bad-name: /),
      ]),
    );
    const semantic = issuesFor(`webhooks:
  generic:
    tool:
      variables: { event: $.kind }
      regexpFilterText: "{{nope}}"
      regexpFilterExpression: "(unclosed"
`);
    expect(semantic).toEqual([
      'webhooks.generic.tool.variables.event: "event" is set by the bridge and cannot be mapped',
      expect.stringMatching(/^webhooks\.generic\.tool\.regexpFilterExpression: not a valid regular expression/),
      'webhooks.generic.tool.regexpFilterText: unknown template variable(s) {{nope}}',
    ]);
    expect(issuesFor('webhooks:\n  generic:\n    Bad_Name: {}\n')).toEqual([expect.stringMatching(/^webhooks\.generic\.Bad_Name: generic source names are lower-case/)]);
  });
});
