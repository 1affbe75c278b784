import type http from 'node:http';
import type { JobStore } from './job-store';
import { ServiceError } from './service-error';
import type { EmulatedJob } from './types';
import { createJobInput } from './validation';

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
 * Plain JSON, no signing.
 */
export function handleAdmin(store: JobStore, req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body, null, 2);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const path = (req.url ?? '').split('?')[0] ?? '';
  try {
    if (path === '/__local/jobs' && req.method === 'POST') {
      const body: unknown = JSON.parse(raw || '{}');
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return send(400, { error: 'body must be a JSON object' });
      return send(201, { jobId: store.createJob(createJobInput(body as Record<string, unknown>)).id });
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
