import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAdapters } from '../../src/adapters/create-adapters';
import { Bridge } from '../../src/bridge';
import { loadConfig } from '../../src/config/load-config';
import { redactor } from '../../src/core/redact';
import { startLocalStack, type LocalStack } from '../../src/local-stack/start-local-stack';
import { localIsoTime, scheduleRequestToken, type ScheduleStatus } from '../../src/schedules';
import { CaptureLogger } from '../support/capture-logger';

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

const SCHEDULES = [
  {
    name: 'legacy-nightly',
    cron: '*/2 * * * * *',
    timezone: 'Europe/Berlin',
    jenkins: { job: 'nightly/legacy', parameters: { BUILD_LABEL: 'nightly-{{scheduledDate}}', SCHEDULED_AT: '{{scheduledTime}}' } },
  },
  { name: 'release-train', cron: '*/2 * * * * *', timezone: 'America/New_York', pipeline: { name: 'app-release', variables: { TRAIN: '{{scheduledLocalTime}}' } } },
];

/**
 * Seconds-level schedules in a real bridge on the local stack: the Jenkins adapter triggers the
 * simulator's job, the CodePipeline adapter starts the emulator's pipeline, runs land in the ledger
 * file, and a restart after downtime reports the slots it missed.
 */
describe('scheduled triggers on the local stack', () => {
  let stack: LocalStack;
  let dataDir: string;
  const logger = new CaptureLogger();
  const bridges: Bridge[] = [];

  async function startBridge(): Promise<Bridge> {
    const config = loadConfig(
      { ...stack.env, BRIDGE_HTTP_HOST: '127.0.0.1', BRIDGE_HTTP_PORT: '0', BRIDGE_DATA_DIR: dataDir, BRIDGE_POLL_INTERVAL_MS: '200' },
      { overrides: { schedules: SCHEDULES, worker: { retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 } } } },
    );
    const bridge = new Bridge(config, createAdapters(config, logger), { logger, redactor });
    bridges.push(bridge);
    await bridge.start();
    return bridge;
  }
  const schedules = async (bridge: Bridge) => {
    const response = await fetch(`${bridge.url}/schedules`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { schedules: ScheduleStatus[] }).schedules;
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      jenkinsQuietPeriodMs: 20,
      jenkinsJobs: [{ name: 'nightly/legacy', parameters: [{ name: 'BUILD_LABEL' }, { name: 'SCHEDULED_AT' }], script: async (ctx) => ctx.log(`building ${ctx.params.BUILD_LABEL}`) }],
    });
    stack.codepipeline.declarePipeline({ name: 'app-release', sourceActions: [{ name: 'Source' }], variables: [{ name: 'TRAIN' }] });
    dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-schedules-'));
  }, 30_000);

  afterAll(async () => {
    for (const bridge of bridges) await bridge.stop({ graceMs: 500 });
    await stack?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('triggers the Jenkins job and starts the pipeline on schedule, shows both in GET /schedules, and reports slots missed while down', async () => {
    const bridge = await startBridge();
    await until(() => stack.jenkins.builds('nightly/legacy').length >= 1 && stack.codepipeline.listExecutions('app-release').length >= 1, 10_000);
    await until(() => stack.jenkins.builds('nightly/legacy').every((b) => b.state === 'completed'), 5_000);

    const [build] = stack.jenkins.builds('nightly/legacy');
    const slot = Date.parse(build!.params.SCHEDULED_AT!);
    expect(slot % 2000).toBe(0); // a */2 seconds slot, not the trigger's own clock
    expect(build!.params.BUILD_LABEL).toBe(`nightly-${localIsoTime(slot, 'Europe/Berlin').slice(0, 10)}`);
    expect(build!.result).toBe('SUCCESS');

    const [execution] = stack.codepipeline.listExecutions('app-release');
    const local = execution!.variables[0]!.resolvedValue;
    expect(local).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d[02468]-0[45]:00$/);
    expect(execution!.clientRequestToken).toBe(scheduleRequestToken('release-train', Date.parse(local)));
    expect(execution!.status).toBe('InProgress');

    const listed = await schedules(bridge);
    expect(listed.map((s) => s.name)).toEqual(['housekeeping/ledger-prune', 'legacy-nightly', 'release-train']);
    const legacy = listed.find((s) => s.name === 'legacy-nightly')!;
    expect(legacy).toMatchObject({ kind: 'trigger', timezone: 'Europe/Berlin', target: { jenkins: { job: 'nightly/legacy', parameters: ['BUILD_LABEL', 'SCHEDULED_AT'] } }, missedRuns: [] });
    expect(Date.parse(legacy.nextRun!)).toBeGreaterThan(Date.now() - 1000);
    expect(legacy.lastRun).toMatchObject({ outcome: expect.stringMatching(/^(succeeded|running)$/) });
    const train = listed.find((s) => s.name === 'release-train')!;
    expect(train.target).toEqual({ pipeline: { name: 'app-release', variables: ['TRAIN'] } });
    expect(listed[0]).toMatchObject({ kind: 'housekeeping', cron: '17 * * * *', timezone: 'UTC', catchUp: 'ignore' });

    // Down for ~4 s: two or more */2 slots pass with no bridge running.
    await bridge.stop({ graceMs: 500 });
    const builds = stack.jenkins.builds('nightly/legacy').length;
    await sleep(4_000);
    expect(stack.jenkins.builds('nightly/legacy')).toHaveLength(builds);

    const restarted = await startBridge();
    const after = await schedules(restarted);
    for (const name of ['legacy-nightly', 'release-train']) {
      const missed = after.find((s) => s.name === name)!.missedRuns;
      expect(missed.length).toBeGreaterThanOrEqual(1);
      expect(missed.length).toBeLessThanOrEqual(3);
      expect(missed[0]).toMatchObject({ outcome: 'missed', detail: expect.stringContaining('the bridge was not running') });
    }
    expect(logger.entries.filter((e) => e.message === 'scheduled runs were missed while the bridge was down').map((e) => e.meta.schedule).sort()).toEqual(['legacy-nightly', 'release-train']);
    // Report only: no burst of builds for the missed slots; the schedule simply goes on.
    await until(() => stack.jenkins.builds('nightly/legacy').length > builds, 5_000);
    const afterRestart = stack.jenkins.builds('nightly/legacy').slice(builds).map((b) => Date.parse(b.params.SCHEDULED_AT!));
    const missedSlots = after.find((s) => s.name === 'legacy-nightly')!.missedRuns.map((r) => Date.parse(r.scheduledFor));
    expect(afterRestart.some((s) => missedSlots.includes(s))).toBe(false);
  }, 30_000);
});
