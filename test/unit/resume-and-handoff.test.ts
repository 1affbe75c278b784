import { describe, expect, it } from '@jest/globals';
import { coreHarness } from '../support/core-harness';
import { decodeContinuationToken, encodeContinuationToken } from '../../src/core/jobs/continuation-token';
import { TransientError } from '../../src/core/errors';
import type { LedgerEntry } from '../../src/ports/job-ledger';
import type { PipelineJob } from '../../src/ports/pipeline-job';

const out = { name: 'Out', location: { bucket: 'artifacts', key: 'demo/Out/obj' } };

/**
 * Each resume point of the ledger: a process that crashed right after writing state S left the
 * entry at S (and the side effects before it). A new process resumes from the entry alone.
 */
describe('resume from the ledger after a crash', () => {
  async function crashedAt(h: ReturnType<typeof coreHarness>, state: LedgerEntry['state'], patch: Parameters<typeof h.ledger.advance>[2] = {}) {
    const [job] = await h.source.poll(1);
    h.ledger.begin(job!, Date.now());
    await h.source.acknowledge(job!.id, job!.nonce!);
    h.ledger.advance(job!.id, 'acknowledged', {}, Date.now());
    const entry = state === 'acknowledged' ? h.ledger.get(job!.id)! : h.ledger.advance(job!.id, state, patch, Date.now());
    return { job: job!, entry };
  }
  const resume = (h: ReturnType<typeof coreHarness>, job: PipelineJob, entry: LedgerEntry) =>
    h.jobRunner.run({ ...job, credentials: undefined } as PipelineJob, { abort: h.abort.signal, handoff: h.handoff.signal }, entry);

  it('after the acknowledge: starts the one build and finishes', async () => {
    const h = coreHarness();
    h.runner.define('app', { artifacts: { 'a.txt': 'A' } });
    h.source.add({ outputArtifacts: [out] });
    const { job, entry } = await crashedAt(h, 'acknowledged');
    expect((await resume(h, job, entry)).kind).toBe('succeeded');
    expect(h.runner.builds).toHaveLength(1);
    expect(h.ledger.get(job.id)?.state).toBe('reported');
  });

  it('after build-requested when the trigger had reached Jenkins: finds that build, starts none', async () => {
    const h = coreHarness();
    h.runner.define('app', { artifacts: { 'a.txt': 'A' } });
    h.source.add({ outputArtifacts: [out] });
    const { job, entry } = await crashedAt(h, 'build-requested', { project: 'app' });
    await h.runner.trigger('app', { CODEPIPELINE_JOB_ID: job.id });
    expect((await resume(h, job, entry)).kind).toBe('succeeded');
    expect(h.runner.builds).toHaveLength(1);
  });

  it('after build-requested when the trigger never left: starts exactly one build', async () => {
    const h = coreHarness();
    h.runner.define('app');
    h.source.add();
    const { job, entry } = await crashedAt(h, 'build-requested', { project: 'app' });
    expect((await resume(h, job, entry)).kind).toBe('succeeded');
    expect(h.runner.builds).toHaveLength(1);
  });

  it('after the build number is known: follows that build, triggers nothing', async () => {
    const h = coreHarness();
    h.runner.define('app', { runningPolls: 2 });
    h.source.add();
    const { job } = await crashedAt(h, 'acknowledged');
    const ref = await h.runner.trigger('app', { CODEPIPELINE_JOB_ID: job.id });
    const entry = h.ledger.advance(job.id, 'build-known', { project: 'app', queueId: ref.queueId, buildNumber: 1 }, Date.now());
    expect((await resume(h, job, entry)).kind).toBe('succeeded');
    expect(h.runner.builds).toHaveLength(1);
    expect(h.source.entries.get(job.id)?.success?.executionDetails?.externalExecutionId).toBe('1');
  });

  it('after the upload, before the result: reports the recorded success without uploading again', async () => {
    const h = coreHarness();
    h.runner.define('app');
    h.source.add({ outputArtifacts: [out] });
    const recorded = { executionDetails: { summary: 'Jenkins build #7 SUCCESS in 3s', externalExecutionId: '7', percentComplete: 100 }, outputVariables: { V: '1' } };
    const { job, entry } = await crashedAt(h, 'artifacts-uploaded', { project: 'app', buildNumber: 7, outcome: { kind: 'success', detail: JSON.stringify(recorded) } });
    expect((await resume(h, job, entry)).kind).toBe('succeeded');
    expect(h.source.entries.get(job.id)?.success).toEqual(recorded);
    expect(h.store.puts).toHaveLength(0);
    expect(h.runner.builds).toHaveLength(0);
  });
});

describe('hand-off and continuation jobs', () => {
  it('hands a running build over with a continuation token on shutdown, and the continuation job finishes that same build', async () => {
    const h = coreHarness();
    h.runner.define('app', { runningPolls: 1000, artifacts: { 'a.txt': 'A' } });
    const first = h.source.add({ outputArtifacts: [out] });
    const running = h.runPolled();
    // Let it start following the build, then ask for the hand-off (SIGTERM).
    await new Promise((r) => setTimeout(r, 30));
    h.handoff.abort();
    const { outcome } = await running;
    expect(outcome.kind).toBe('handedOff');
    const success = h.source.entries.get(first.id)!.success!;
    expect(success.continuationToken).toMatch(/^pb1\./);
    expect(success.executionDetails).toMatchObject({ externalExecutionId: '1', summary: expect.stringContaining('handed over') });
    expect(h.ledger.get(first.id)?.state).toBe('handed-off');

    // A fresh bridge (no hand-off pending) takes the continuation job; the build then completes.
    const next = coreHarness();
    next.runner.builds.push(...h.runner.builds);
    next.runner.define('app', { runningPolls: 1, artifacts: { 'a.txt': 'A' } });
    next.runner.builds[0]!.polls = 0;
    const continuationId = h.source.continuations.get(first.id)!;
    next.source.entries.set(continuationId, h.source.entries.get(continuationId)!);
    const { job: cont, outcome: finished } = await next.runPolled();
    expect(cont.continuationToken).toBe(success.continuationToken);
    expect(finished.kind).toBe('succeeded');
    expect(next.runner.builds).toHaveLength(1);
    expect(next.store.objects.has('artifacts/demo/Out/obj')).toBe(true);
    // The build's input URLs carry the first job's id: the continuation job serves them.
    expect(next.runner.builds[0]!.parameters.CODEPIPELINE_JOB_ID).toBe(first.id);
  });

  it('hands over at once, starting no build, when a shutdown comes while Jenkins retries are backing off', async () => {
    const h = coreHarness({ retry: { maxAttempts: 6, baseDelayMs: 2_000, maxDelayMs: 5_000 } });
    h.runner.define('app');
    h.runner.failures.describeProject = Array.from({ length: 6 }, () => new TransientError('503 Service Unavailable', 'jenkins'));
    const job = h.source.add();
    const started = Date.now();
    const running = h.runPolled();
    setTimeout(() => h.handoff.abort(), 50);
    const { outcome } = await running;
    expect(outcome.kind).toBe('handedOff');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(h.runner.builds).toHaveLength(0);
    const token = h.source.entries.get(job.id)!.success!.continuationToken!;
    expect(decodeContinuationToken(token)).toMatchObject({ originalJobId: job.id, project: 'app' });
    expect(decodeContinuationToken(token).buildNumber).toBeUndefined();
  });

  it('hands over a build that runs past the per-job duration bound', async () => {
    const h = coreHarness({ maxJobDurationMs: 20 });
    h.runner.define('app', { runningPolls: 1000 });
    const job = h.source.add();
    const { outcome } = await h.runPolled();
    expect(outcome.kind).toBe('handedOff');
    expect(h.source.entries.get(job.id)!.success?.executionDetails?.summary).toContain('ran longer than');
  });

  it('fails a continuation job whose token is garbled with a clear JobFailed', async () => {
    const h = coreHarness();
    h.runner.define('app');
    const job = h.source.add();
    const token = encodeContinuationToken({ originalJobId: job.id, project: 'app', buildNumber: 3, startedAt: Date.now(), hops: 1 });
    h.source.entries.get(job.id)!.job = { ...job, continuationToken: token.slice(0, -2) + 'zz' };
    const { outcome } = await h.runPolled();
    expect(outcome.kind).toBe('failed');
    expect(h.source.entries.get(job.id)!.failure).toMatchObject({ type: 'JobFailed', message: expect.stringContaining('continuation token') });
    expect(h.runner.builds).toHaveLength(0);
  });
});
