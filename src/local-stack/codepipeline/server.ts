import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ADMIN_PREFIX, handleAdmin } from './admin-routes';
import type { FaultInjector } from './faults';
import type { JobStore } from './job-store';
import type { PipelineStore } from './pipeline-store';
import { runOperation } from './operations';
import { ServiceError } from './service-error';

/** One API call as received, for test assertions. `input` is the parsed JSON body. */
export interface RecordedCall {
  operation: string;
  /** Epoch ms of the answer. */
  at: number;
  input: Record<string, unknown>;
  status: number;
  /** `__type` of an error answer. */
  errorType?: string;
}

const TARGET_PREFIX = 'CodePipeline_20150709.';
const JSON_1_1 = 'application/x-amz-json-1.1';
/** Larger than any valid request (output variables ≤ 120 KiB); bigger bodies are refused with 413. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Shape of a SigV4 Authorization header. The signature itself is not verified (no secret to check against). */
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=[^,\s]+,\s*Signature=[0-9a-f]{64}$/;

/** What the protocol layer works on, shared with the programmatic API. */
export interface ServerState {
  store: JobStore;
  pipelines: PipelineStore;
  faults: FaultInjector;
  calls: RecordedCall[];
}

/**
 * CodePipeline's awsJson1_1 protocol: every call is `POST /` with
 * `X-Amz-Target: CodePipeline_20150709.<Operation>` and a JSON body; answers are
 * `application/x-amz-json-1.1` with an `x-amzn-RequestId`; modeled errors are HTTP 400
 * `{"__type": "<Exception>", "message": …}`. Requests must carry a SigV4 Authorization header
 * scoped to the `codepipeline` service. Paths under `/__local/` are the emulator's admin API.
 */
export function createCodePipelineServer(state: ServerState): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.url?.startsWith(ADMIN_PREFIX)) return handleAdmin(state, req, res, raw);
      handleApiCall(state, req, res, tooLarge ? undefined : raw);
    });
  });
}

function handleApiCall(state: ServerState, req: http.IncomingMessage, res: http.ServerResponse, raw: string | undefined): void {
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  let input: Record<string, unknown> = {};

  const reply = (status: number, body: unknown, errorType?: string) => {
    state.calls.push({ operation, at: Date.now(), input, status, ...(errorType ? { errorType } : {}) });
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': JSON_1_1,
      'Content-Length': Buffer.byteLength(text),
      'x-amzn-RequestId': randomUUID(),
      ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
    });
    res.end(text);
  };
  const fail = (error: ServiceError) => reply(error.status, { __type: error.type, message: error.message }, error.type);

  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'POST' || path !== '/') {
    return fail(new ServiceError('UnknownOperationException', `${req.method ?? ''} ${path ?? ''} is not an operation: the awsJson1_1 protocol uses POST /`, 404));
  }
  const authError = checkAuthorization(req.headers.authorization);
  if (authError) return fail(authError);
  if (raw === undefined) return fail(new ServiceError('SerializationException', 'Request body too large', 413));
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SyntaxError('not an object');
    input = parsed as Record<string, unknown>;
  } catch {
    return fail(new ServiceError('SerializationException', 'Request body is not a JSON object'));
  }

  const fault = state.faults.take(operation);
  if (fault) return fail(fault);
  try {
    reply(200, runOperation({ jobs: state.store, pipelines: state.pipelines }, operation, input));
  } catch (error) {
    if (error instanceof ServiceError) return fail(error);
    fail(new ServiceError('InternalFailure', `Emulator error: ${(error as Error).message}`, 500));
  }
}

/** AWS front-end checks, minus the signature verification: present, SigV4-shaped, scoped to codepipeline. */
function checkAuthorization(header: string | undefined): ServiceError | undefined {
  if (!header) return new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
  const match = SIGV4.exec(header);
  if (!match) {
    return new ServiceError('IncompleteSignatureException', "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters (AWS4-HMAC-SHA256).", 400);
  }
  if (match[4] !== 'codepipeline') {
    return new ServiceError('InvalidSignatureException', `Credential should be scoped to correct service: 'codepipeline'.`, 403);
  }
  return undefined;
}
