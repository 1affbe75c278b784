import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config/load-config';

const jenkinsEnv = { JENKINS_URL: 'http://jenkins:8080/', JENKINS_USER: 'bridge', JENKINS_API_TOKEN: 'tok' };

/** Config issues for a `schedules` list given as overrides. */
function issues(schedules: unknown[]): string[] {
  try {
    loadConfig(jenkinsEnv, { skipDefaults: true, overrides: { schedules } });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('schedules config', () => {
  it('reads schedules from the YAML file named by BRIDGE_CONFIG, with defaults filled in', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bridge-schedules-'));
    try {
      const file = path.join(dir, 'bridge.yaml');
      writeFileSync(
        file,
        [
          'schedules:',
          '  - name: legacy-nightly',
          '    cron: "0 2 * * *"',
          '    timezone: Europe/Berlin',
          '    jenkins: { job: legacy/app, parameters: { LABEL: "nightly-{{scheduledDate}}" } }',
          '  - name: release-train',
          '    cron: "0 0 9 * * 1-5"',
          '    timezone: America/New_York',
          '    pipeline: { name: app-release, variables: { TRAIN: "{{scheduledLocalTime}}" } }',
          '    catchUp: run-once',
          '  - name: smoke',
          '    cron: "*/30 * * * *"',
          '    timezone: UTC',
          '    jenkins: { job: smoke }',
        ].join('\n'),
      );
      const config = loadConfig({ ...jenkinsEnv, BRIDGE_CONFIG: file }, { skipDefaults: true });
      expect(config.schedules).toEqual([
        { name: 'legacy-nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', jenkins: { job: 'legacy/app', parameters: { LABEL: 'nightly-{{scheduledDate}}' } }, catchUp: 'report' },
        { name: 'release-train', cron: '0 0 9 * * 1-5', timezone: 'America/New_York', pipeline: { name: 'app-release', variables: { TRAIN: '{{scheduledLocalTime}}' } }, catchUp: 'run-once' },
        { name: 'smoke', cron: '*/30 * * * *', timezone: 'UTC', jenkins: { job: 'smoke', parameters: {} }, catchUp: 'report' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults to no schedules', () => {
    expect(loadConfig(jenkinsEnv, { skipDefaults: true }).schedules).toEqual([]);
  });

  it('requires an explicit, valid IANA time zone, naming the key', () => {
    expect(issues([{ name: 'a', cron: '0 2 * * *', jenkins: { job: 'x' } }])).toEqual(['schedules[0].timezone: is required']);
    for (const timezone of ['Mars/Olympus', '+01:00', 'local', '']) {
      expect(issues([{ name: 'a', cron: '0 2 * * *', timezone, jenkins: { job: 'x' } }])).toEqual([
        'schedules[0].timezone: must be an IANA time zone name such as "UTC", "Europe/Berlin" or "America/New_York"',
      ]);
    }
  });

  it('refuses cron expressions node-cron cannot run, with its reason', () => {
    const [problem] = issues([{ name: 'a', cron: '61 * * * *', timezone: 'UTC', jenkins: { job: 'x' } }]);
    expect(problem).toMatch(/^schedules\[0\]\.cron: invalid cron expression/);
    expect(issues([{ name: 'a', cron: 'every day', timezone: 'UTC', jenkins: { job: 'x' } }])[0]).toMatch(/^schedules\[0\]\.cron: invalid cron expression/);
    // Seconds field, nicknames, L / W / # are node-cron 4 syntax and accepted.
    for (const cron of ['*/1 * * * * *', '@daily', '0 0 L * *', '0 0 15W * *', '0 0 * * 1#2']) {
      expect(issues([{ name: 'a', cron, timezone: 'UTC', jenkins: { job: 'x' } }])).toEqual([]);
    }
  });

  it('needs exactly one target', () => {
    expect(issues([{ name: 'a', cron: '0 2 * * *', timezone: 'UTC' }])).toEqual(['schedules[0]: needs exactly one target: "jenkins" or "pipeline"']);
    expect(issues([{ name: 'a', cron: '0 2 * * *', timezone: 'UTC', jenkins: { job: 'x' }, pipeline: { name: 'p' } }])).toEqual([
      'schedules[0]: needs exactly one target: "jenkins" or "pipeline"',
    ]);
  });

  it('checks names, placeholders and the pipeline fields against the API rules', () => {
    expect(
      issues([
        { name: 'ok', cron: '0 2 * * *', timezone: 'UTC', jenkins: { job: 'x' } },
        { name: 'ok2', cron: '0 3 * * *', timezone: 'UTC', jenkins: { job: 'y' } },
        { name: 'has/slash', cron: '0 2 * * *', timezone: 'UTC', jenkins: { job: 'x', parameters: { A: '{{commit}}' } } },
        { name: 'p', cron: '0 2 * * *', timezone: 'UTC', pipeline: { name: 'bad name', variables: { 'bad var': 'x', EMPTY: '' } }, catchUp: 'burst' },
      ]),
    ).toEqual([
      'schedules[2].name: use 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'schedules[2].jenkins.parameters.A: unknown placeholder; schedules offer {{schedule}}, {{scheduledTime}}, {{scheduledLocalTime}}, {{scheduledDate}}',
      'schedules[3].pipeline.name: pipeline names allow letters, digits, ".", "@", "-" and "_"',
      'schedules[3].pipeline.variables.EMPTY: Too small: expected string to have >=1 characters',
      'schedules[3].pipeline.variables.bad var: variable names allow 1–128 letters, digits, "@", "-" and "_"',
      'schedules[3].catchUp: Invalid option: expected one of "report"|"run-once"',
    ]);
  });

  it('refuses two schedules with one name', () => {
    expect(
      issues([
        { name: 'ok', cron: '0 2 * * *', timezone: 'UTC', jenkins: { job: 'x' } },
        { name: 'ok', cron: '0 3 * * *', timezone: 'UTC', jenkins: { job: 'y' } },
      ]),
    ).toEqual(['schedules[1].name: "ok" is already the name of another schedule']);
  });
});
