import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { JobStore } from './job-store';
import { ServiceError, validation } from './service-error';
import type { CreateJobInput, EmulatedJob } from './types';
import * as v from './validation';

export type FaultType = 'ThrottlingException' | 'InternalFailure' | 'ServiceUnavailable';

export interface Fault {
  /** Operation name (e.g. 'PollForJobs'); any operation when absent. */
  operation?: string;
  type: FaultType;
  /** How many matching requests fail. */
  times: number;
}

export interface RecordedCall {
  operation: string;
  at: number;
  input: Record<string, any>;
  status: number;
  errorType?: string;
}

const TARGET_PREFIX = 'CodePipeline_20150709.';
const JSON_TYPE = 'application/x-amz-json-1.1';
const MAX_BODY = 1024 * 1024;

type Body = Record<string, unknown>;

/**
 * The awsJson1_1 protocol of CodePipeline: every call is `POST /` with
 * `X-Amz-Target: CodePipeline_20150709.<Operation>`; modeled errors answer 400 with
 * `{"__type": "<Exception>", "message": …}`. Requests must be SigV4-signed (presence and shape of
 * the Authorization header are checked; the signature itself is not).
 * `/__local/jobs` is the emulator's own admin API for creating and inspecting jobs.
 */
export function createCodePipelineServer(store: JobStore, state: { faults: Fault[]; calls: RecordedCall[] }): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.url?.startsWith('/__local/')) return admin(store, req, res, raw);
      handleApi(store, state, req, res, raw);
    });
  });
}

function handleApi(store: JobStore, state: { faults: Fault[]; calls: RecordedCall[] }, req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
  const requestId = randomUUID();
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
  let input: Body = {};
  const reply = (status: number, body: unknown, errorType?: string) => {
    state.calls.push({ operation, at: Date.now(), input, status, ...(errorType ? { errorType } : {}) });
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': JSON_TYPE,
      'Content-Length': Buffer.byteLength(text),
      'x-amzn-RequestId': requestId,
      ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
    });
    res.end(text);
  };
  const fail = (error: ServiceError) => reply(error.status, { __type: error.type, message: error.message }, error.type);

  if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') return fail(new ServiceError('UnknownOperationException', 'Only POST / is served', 404));
  const auth = String(req.headers.authorization ?? '');
  if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/codepipeline\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.test(auth)) {
    return fail(new ServiceError('MissingAuthenticationTokenException', 'Request is missing a valid SigV4 Authentication Token for service codepipeline', 403));
  }
  try {
    input = raw ? (JSON.parse(raw) as Body) : {};
  } catch {
    return fail(new ServiceError('SerializationException', 'Request body is not valid JSON'));
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail(new ServiceError('SerializationException', 'Request body must be a JSON object'));

  const fault = state.faults.find((f) => f.times > 0 && (!f.operation || f.operation === operation));
  if (fault) {
    fault.times--;
    if (fault.type === 'ThrottlingException') return fail(new ServiceError('ThrottlingException', 'Rate exceeded'));
    if (fault.type === 'ServiceUnavailable') return fail(new ServiceError('ServiceUnavailableException', 'Service is unavailable', 503));
    return fail(new ServiceError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500));
  }

  try {
    reply(200, dispatch(store, operation, input));
  } catch (error) {
    if (error instanceof ServiceError) return fail(error);
    fail(new ServiceError('InternalFailure', (error as Error).message, 500));
  }
}

function dispatch(store: JobStore, operation: string, input: Body): unknown {
  switch (operation) {
    case 'PollForJobs': {
      const jobs = store.poll(v.actionTypeId(input), v.maxBatchSize(input), v.queryParam(input));
      return { jobs: jobs.map((job) => ({ id: job.id, data: job.data, nonce: job.nonce, accountId: job.accountId })) };
    }
    case 'AcknowledgeJob': {
      const job = store.acknowledge(v.jobId(input), v.str(input, 'nonce', { required: true, min: 1, max: 50 })!);
      return { status: job.status };
    }
    case 'GetJobDetails': {
      const job = store.details(v.jobId(input));
      return { jobDetails: { id: job.id, data: job.data, accountId: job.accountId } };
    }
    case 'PutJobSuccessResult': {
      const jobId = v.jobId(input);
      const continuationToken = v.str(input, 'continuationToken', { min: 1, max: 2048 });
      const executionDetails = v.executionDetails(input);
      const outputVariables = v.outputVariables(input);
      const currentRevision = v.obj(input, 'currentRevision');
      if (currentRevision) {
        v.str(currentRevision, 'revision', { required: true, min: 1, max: 1500 });
        v.str(currentRevision, 'changeIdentifier', { required: true, min: 1, max: 100 });
      }
      store.succeed(jobId, {
        ...(continuationToken ? { continuationToken } : {}),
        ...(executionDetails ? { executionDetails } : {}),
        ...(outputVariables ? { outputVariables } : {}),
        ...(currentRevision ? { currentRevision } : {}),
      });
      return {};
    }
    case 'PutJobFailureResult': {
      const jobId = v.jobId(input);
      const details = v.obj(input, 'failureDetails', true)!;
      const type = v.str(details, 'type', { required: true })!;
      const message = v.str(details, 'message', { required: true, min: 1, max: 5000 })!;
      const externalExecutionId = v.str(details, 'externalExecutionId', { min: 1, max: 1500 });
      store.fail(jobId, { type, message, ...(externalExecutionId ? { externalExecutionId } : {}) });
      return {};
    }
    case 'CreateCustomActionType': {
      const category = v.str(input, 'category', { required: true })!;
      if (!(v.CATEGORIES as readonly string[]).includes(category)) throw validation(`Value '${category}' at 'category' failed to satisfy constraint: Member must satisfy enum value set`);
      const created = store.createActionType({
        category,
        provider: v.str(input, 'provider', { required: true, min: 1, max: 35, pattern: /^[0-9A-Za-z_-]+$/ })!,
        version: v.str(input, 'version', { required: true, min: 1, max: 9, pattern: /^[0-9A-Za-z_-]+$/ })!,
        ...(v.obj(input, 'settings') ? { settings: v.obj(input, 'settings') as Record<string, string> } : {}),
        ...(Array.isArray(input.configurationProperties) ? { configurationProperties: input.configurationProperties as never } : {}),
        inputArtifactDetails: artifactDetails(v.obj(input, 'inputArtifactDetails', true)!, 'inputArtifactDetails'),
        outputArtifactDetails: artifactDetails(v.obj(input, 'outputArtifactDetails', true)!, 'outputArtifactDetails'),
      });
      return { actionType: created, tags: [] };
    }
    case 'DeleteCustomActionType': {
      store.deleteActionType({
        category: v.str(input, 'category', { required: true })!,
        owner: 'Custom',
        provider: v.str(input, 'provider', { required: true })!,
        version: v.str(input, 'version', { required: true })!,
      });
      return {};
    }
    case 'ListActionTypes': {
      const owner = v.str(input, 'actionOwnerFilter');
      return { actionTypes: store.listActionTypes(owner) };
    }
    default:
      throw new ServiceError('UnknownOperationException', `Unknown operation ${operation || '(no X-Amz-Target)'}`);
  }
}

function artifactDetails(body: Body, field: string): { minimumCount: number; maximumCount: number } {
  const min = body.minimumCount;
  const max = body.maximumCount;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 5;
  if (!ok(min) || !ok(max) || min > max) throw validation(`${field}: minimumCount and maximumCount must be integers between 0 and 5`);
  return { minimumCount: min, maximumCount: max };
}

/** Admin API (not part of AWS): create jobs and read them back, for the demo, curl, and other processes. */
function admin(store: JobStore, req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body, null, 2);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const path = (req.url ?? '').split('?')[0]!;
  try {
    if (req.method === 'POST' && path === '/__local/jobs') {
      const input = JSON.parse(raw || '{}') as CreateJobInput;
      const job = store.createJob(input);
      return send(201, { jobId: job.id });
    }
    if (req.method === 'GET' && path === '/__local/jobs') return send(200, { jobs: store.list().map(view) });
    const match = /^\/__local\/jobs\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && match) {
      const job = store.get(decodeURIComponent(match[1]!));
      return job ? send(200, view(job)) : send(404, { error: 'no such job' });
    }
    send(404, { error: 'not found' });
  } catch (error) {
    send(error instanceof ServiceError || error instanceof SyntaxError ? 400 : 500, { error: (error as Error).message });
  }
}

/** A job as the admin API shows it: no artifact credentials. */
function view(job: EmulatedJob) {
  const { artifactCredentials: _hidden, ...data } = job.data;
  return { ...job, data };
}
