import { CodePipelineJobSource } from '../src/adapters/codepipeline';
import { createJenkinsBuildRunner } from '../src/adapters/jenkins';
import { buildParameters } from '../src/core/jobs/build-parameters';
import { nullLogger } from '../src/core/null-logger';
import { startLocalStack } from '../src/local-stack/start-local-stack';
import { benchJob } from './bench-stack';
import { randomBetween, sleep, waitUntil } from './bench-stats';
import { queuedAt } from './jenkins-queue-time';

const JENKINS_JOB = 'bench-floor';

export interface ProtocolFloor {
  /** Job created → build queued in Jenkins, ms. */
  dispatch: number[];
  /** Build known complete → PutJobSuccessResult received, ms. */
  report: number[];
}

/**
 * Baselines of the latency benchmarks, measured in the same run: the protocol floor. The bridge's
 * own adapters do the calls a job needs with no waits and no ledger writes — PollForJobs right
 * after the job is created, AcknowledgeJob, reading the Jenkins job, buildWithParameters; then,
 * once the build is complete, one status read and PutJobSuccessResult. What the bridge adds above
 * this is its poll and status cadences and its bookkeeping.
 */
export async function protocolFloor(jobs: number): Promise<ProtocolFloor> {
  const stack = await startLocalStack({ jenkinsJobs: [benchJob(JENKINS_JOB, async () => 'SUCCESS')], jenkinsExecutors: 64 });
  const source = new CodePipelineJobSource(
    {
      actionType: { ...stack.actionType, owner: 'Custom' },
      region: stack.region,
      endpoint: stack.codepipeline.url,
      credentials: { accessKeyId: stack.env.AWS_ACCESS_KEY_ID!, secretAccessKey: stack.env.AWS_SECRET_ACCESS_KEY! },
    },
    nullLogger,
  );
  const runner = createJenkinsBuildRunner({ baseUrl: stack.jenkins.url, user: stack.jenkinsUser, apiToken: stack.jenkinsToken, crumb: 'never', requestTimeoutMs: 30_000 }, nullLogger);
  try {
    const dispatch: number[] = [];
    const report: number[] = [];
    for (let i = 0; i < jobs; i++) {
      const id = await stack.submitJob({ project: JENKINS_JOB, pipelineName: 'bench-floor' });
      const [job] = await source.poll(1);
      if (job?.id !== id || !job.nonce) throw new Error(`floor: PollForJobs did not return job ${id}`);
      await source.acknowledge(job.id, job.nonce);
      await runner.describeProject(JENKINS_JOB);
      await runner.trigger(JENKINS_JOB, buildParameters(job, (name) => `http://127.0.0.1:1/artifacts/${job.id}/${name}`));
      const started = () => stack.jenkins.builds(JENKINS_JOB).find((b) => b.params.CODEPIPELINE_JOB_ID === id);
      // The build starts after the simulator's quiet period; its queue time is known from then on.
      await waitUntil(`the floor build of job ${id}`, () => started() !== undefined, 10_000);
      const build = started()!;
      await sleep(randomBetween(20, 60));
      dispatch.push((await queuedAt(stack, JENKINS_JOB, build.number)) - stack.codepipeline.getJob(id)!.createdAt);

      await waitUntil(`the floor build of job ${id} to complete`, () => started()?.state === 'completed', 10_000);
      const t0 = Date.now();
      const seen = await runner.observe({ project: JENKINS_JOB, buildNumber: build.number }, { name: 'CODEPIPELINE_JOB_ID', value: id });
      if (seen.state !== 'completed') throw new Error(`floor: build of job ${id} seen as ${seen.state}`);
      await source.putSuccess(id, { executionDetails: { externalExecutionId: String(build.number), percentComplete: 100 } });
      const result = stack.codepipeline.getJob(id)?.result;
      if (!result) throw new Error(`floor: no result recorded for job ${id}`);
      report.push(result.at - t0);
    }
    return { dispatch, report };
  } finally {
    source.close();
    await stack.close();
  }
}
