import type http from 'node:http';
import type { JobStore } from './job-store';
import type { PipelineStore } from './pipeline-store';
import { pipelineDeclaration } from './pipeline-validation';
import { ServiceError } from './service-error';
import type { EmulatedJob } from './types';
import { createJobInput, type Body } from './validation';

/** Path prefix of the emulator's own API (not part of AWS). */
export const ADMIN_PREFIX = '/__local/';

/** A job as the admin API shows it: without artifact credentials, which are secrets even locally. */
export function adminView(job: EmulatedJob): Omit<EmulatedJob, 'data'> & { data: Omit<EmulatedJob['data'], 'artifactCredentials'> } {
  const { artifactCredentials: _hidden, ...data } = job.data;
  return { ...job, data };
}

/**
 * The admin API for other processes (demo, curl):
 *   POST /__local/jobs      body = createJob input → 201 {jobId}
 *   GET  /__local/jobs      → 200 {jobs: [...]}
 *   GET  /__local/jobs/:id  → 200 job | 404
 *   POST /__local/pipelines body = pipeline declaration → 201 {name}
 *   GET  /__local/pipelines → 200 {pipelines: [...]}
 *   GET  /__local/executions[?pipeline=name] → 200 {executions: [...]} (start order)
 *   GET  /__local/executions/:id → 200 execution | 404
 * Plain JSON, no signing.
 */
export function handleAdmin(state: { store: JobStore; pipelines: PipelineStore }, req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
  const { store, pipelines } = state;
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body, null, 2);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const url = new URL(req.url ?? '/', 'http://local');
  const path = url.pathname;
  const jsonBody = (): Body | undefined => {
    const body: unknown = JSON.parse(raw || '{}');
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Body) : undefined;
  };
  try {
    if (path === '/__local/jobs' && req.method === 'POST') {
      const body = jsonBody();
      if (!body) return send(400, { error: 'body must be a JSON object' });
      return send(201, { jobId: store.createJob(createJobInput(body)).id });
    }
    if (path === '/__local/pipelines' && req.method === 'POST') {
      const body = jsonBody();
      if (!body) return send(400, { error: 'body must be a JSON object' });
      const declaration = pipelineDeclaration(body);
      pipelines.declare(declaration);
      return send(201, { name: declaration.name });
    }
    if (path === '/__local/pipelines' && req.method === 'GET') return send(200, { pipelines: pipelines.listPipelines() });
    if (path === '/__local/executions' && req.method === 'GET') {
      return send(200, { executions: pipelines.list(url.searchParams.get('pipeline') ?? undefined) });
    }
    const execution = /^\/__local\/executions\/([^/]+)$/.exec(path);
    if (execution?.[1] && req.method === 'GET') {
      const found = pipelines.find(decodeURIComponent(execution[1]));
      return found ? send(200, found) : send(404, { error: `no execution ${execution[1]}` });
    }
    if (path === '/__local/jobs' && req.method === 'GET') return send(200, { jobs: store.list().map(adminView) });
    const match = /^\/__local\/jobs\/([^/]+)$/.exec(path);
    if (match?.[1] && req.method === 'GET') {
      const job = store.get(decodeURIComponent(match[1]));
      return job ? send(200, adminView(job)) : send(404, { error: `no job ${match[1]}` });
    }
    send(404, { error: `no admin route ${req.method} ${path}` });
  } catch (error) {
    if (error instanceof ServiceError) return send(400, { error: error.type, message: error.message });
    if (error instanceof SyntaxError) return send(400, { error: 'SerializationException', message: error.message });
    send(500, { error: 'InternalFailure', message: (error as Error).message });
  }
}
