import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApp } from '../../src/http/create-app';
import { Readiness } from '../../src/http/readiness';
import { ActiveJobs } from '../../src/core/jobs/active-jobs';
import { ArtifactTokens } from '../../src/core/jobs/artifact-tokens';
import { systemClock } from '../../src/core/system-clock';
import { FakeArtifactStore } from '../fakes/fake-artifact-store';
import { FakeJobSource } from '../fakes/fake-job-source';
import { CaptureLogger } from '../support/capture-logger';

function setup(checks: { ok: boolean }[] = [{ ok: true }, { ok: true }]) {
  const logger = new CaptureLogger();
  const readiness = new Readiness(
    checks.map((c, i) => ({
      name: `dep${i}`,
      check: async () => {
        if (!c.ok) throw new Error('unreachable');
      },
    })),
    systemClock,
    logger,
  );
  const active = new ActiveJobs();
  const tokens = new ArtifactTokens('http-test-secret-0123456789');
  const store = new FakeArtifactStore();
  const source = new FakeJobSource();
  const app = createApp({ readiness, active, tokens, store, logger });
  return { app, readiness, active, tokens, store, source, logger };
}

describe('HTTP app', () => {
  it('answers /healthz always and /readyz only once every dependency answered, 503 while draining', async () => {
    const checks = [{ ok: true }, { ok: false }];
    const { app, readiness } = setup(checks);
    await request(app).get('/healthz').expect(200, { status: 'ok' });
    await readiness.runChecks();
    const notReady = await request(app).get('/readyz').expect(503);
    expect(notReady.body.dependencies.dep1).toMatchObject({ ok: false, error: 'unreachable' });
    checks[1]!.ok = true;
    await readiness.runChecks();
    await request(app).get('/readyz').expect(200);
    readiness.setDraining();
    const draining = await request(app).get('/readyz').expect(503);
    expect(draining.body.draining).toBe(true);
  });

  it('streams an input artifact of an active job to a holder of the job token, and refuses everyone else', async () => {
    const { app, active, tokens, store, source } = setup();
    const location = { bucket: 'artifacts', key: 'demo/Source/abc' };
    store.seed(location, 'PK-zip-bytes');
    const job = source.add({ inputArtifacts: [{ name: 'Source', location }] });
    let credentialCalls = 0;
    active.add({
      job,
      access: {
        credentials: async () => {
          credentialCalls++;
          return job.credentials!;
        },
      },
      phase: 'queued',
      startedAt: Date.now(),
    });
    const token = tokens.issue(job.id);

    const ok = await request(app).get(`/artifacts/${job.id}/Source`).query({ token }).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(ok.status).toBe(200);
    expect((ok.body as Buffer).toString()).toBe('PK-zip-bytes');
    expect(ok.headers['content-type']).toBe('application/zip');
    expect(credentialCalls).toBe(1);

    await request(app).get(`/artifacts/${job.id}/Source`).set('Authorization', `Bearer ${token}`).expect(200);
    await request(app).get(`/artifacts/${job.id}/Source`).query({ token: 'forged' }).expect(401);
    await request(app).get(`/artifacts/${job.id}/Source`).expect(401);
    await request(app).get(`/artifacts/${job.id}/Other`).query({ token }).expect(404);
    const listed = await request(app).get('/jobs').expect(200);
    expect(listed.body.jobs).toEqual([expect.objectContaining({ jobId: job.id, phase: 'queued', percentComplete: 0 })]);
    expect(JSON.stringify(listed.body)).not.toContain(job.credentials!.secretAccessKey);
    active.remove(job.id);
    await request(app).get(`/artifacts/${job.id}/Source`).query({ token }).expect(404);
  });

  it('answers unknown paths with JSON 404', async () => {
    const { app } = setup();
    const res = await request(app).get('/nope').expect(404);
    expect(res.body).toEqual({ error: 'not found' });
  });
});
