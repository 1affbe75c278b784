import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createJenkinsBuildRunner } from '../../src/adapters/jenkins';
import { DEFAULT_USERS, startJenkinsSimulator, type JenkinsSimulator } from '../../src/local-stack/jenkins';
import type { BuildRunner } from '../../src/ports/build-runner';
import { CaptureLogger } from '../support/capture-logger';

/**
 * Jenkins' `builds` list stops at the newest 100. A job whose queue item expired must still be
 * found when more than 100 builds of the same Jenkins job started after it.
 */
describe('correlation lookup beyond the newest 100 builds', () => {
  let jenkins: JenkinsSimulator;
  let runner: BuildRunner;

  beforeAll(async () => {
    jenkins = await startJenkinsSimulator({
      executors: 8,
      quietPeriodMs: 0,
      leftItemRetentionMs: 1,
      jobs: [{ name: 'busy', parameters: [{ name: 'CODEPIPELINE_JOB_ID' }], script: async () => undefined }],
    });
    runner = createJenkinsBuildRunner({ baseUrl: jenkins.url, user: DEFAULT_USERS[0]!.user, apiToken: DEFAULT_USERS[0]!.apiToken }, new CaptureLogger());
  });

  afterAll(async () => {
    await jenkins?.close();
  });

  it('finds build #1 by its CODEPIPELINE_JOB_ID after 119 newer builds', async () => {
    for (let i = 0; i < 120; i++) await runner.trigger('busy', { CODEPIPELINE_JOB_ID: `job-${i}` });
    await jenkins.waitForIdle(20_000);
    expect(jenkins.builds('busy')).toHaveLength(120);
    const found = await runner.observe({ project: 'busy' }, { name: 'CODEPIPELINE_JOB_ID', value: 'job-0' });
    expect(found).toMatchObject({ state: 'completed', ref: { buildNumber: 1 } });
  }, 30_000);
});
