import { ActiveJobs } from '../../src/core/jobs/active-jobs';
import { ArtifactTokens } from '../../src/core/jobs/artifact-tokens';
import { JobRunner, type JobRunnerSettings } from '../../src/core/jobs/run-job';
import { Redactor } from '../../src/core/redact';
import { systemClock } from '../../src/core/system-clock';
import { FakeArtifactStore } from '../fakes/fake-artifact-store';
import { FakeBuildRunner } from '../fakes/fake-build-runner';
import { FakeJobSource } from '../fakes/fake-job-source';
import { FakeLedger } from '../fakes/fake-ledger';
import type { PipelineJob } from '../../src/ports/pipeline-job';
import { CaptureLogger } from './capture-logger';

/** A JobRunner wired to in-memory fakes with fast timings, for unit tests of the core. */
export function coreHarness(settings: Partial<JobRunnerSettings> = {}) {
  const source = new FakeJobSource();
  const runner = new FakeBuildRunner();
  const store = new FakeArtifactStore();
  const logger = new CaptureLogger();
  const active = new ActiveJobs();
  const tokens = new ArtifactTokens('unit-test-secret-0123456789');
  const redactor = new Redactor();
  const ledger = new FakeLedger();
  const jobRunner = new JobRunner({
    source,
    runner,
    store,
    ledger,
    clock: systemClock,
    logger,
    active,
    tokens,
    redactor,
    settings: {
      statusIntervalMs: 1,
      queueTimeoutMs: 60_000,
      credentialsRefreshMs: 60_000,
      maxJobDurationMs: 60_000,
      logTailBytes: 3000,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      publicUrl: 'http://bridge.test:8080',
      ...settings,
    },
  });
  const abort = new AbortController();
  const handoff = new AbortController();
  /** Polls one job, records and acknowledges it as the worker does, and runs it. */
  async function runPolled(): Promise<{ job: PipelineJob; outcome: Awaited<ReturnType<JobRunner['run']>> }> {
    const [job] = await source.poll(1);
    if (!job) throw new Error('no job to poll');
    ledger.begin(job, Date.now());
    await source.acknowledge(job.id, job.nonce!);
    const entry = ledger.advance(job.id, 'acknowledged', {}, Date.now());
    return { job, outcome: await jobRunner.run(job, { abort: abort.signal, handoff: handoff.signal }, entry) };
  }
  return { source, runner, store, logger, active, tokens, redactor, ledger, jobRunner, abort, handoff, runPolled };
}
