import { createHash } from 'node:crypto';
import { PermanentError } from '../errors';

/**
 * What a job hands to its continuation job through CodePipeline (PutJobSuccessResult
 * `continuationToken`, ≤ 2048 chars): which build to keep following. Any replica that receives the
 * continuation job resumes that build; none starts a new one while the token names a build.
 *
 * Format `pb1.<base64url JSON>.<check>`: `pb1` is the version, `check` the first 16 base64url
 * chars of a SHA-256 over the payload, so a garbled or truncated token is recognised and fails the
 * job with a clear message instead of following the wrong build. (Not a signature: the token only
 * travels through CodePipeline, which authenticates both ends.)
 */
export interface ContinuationState {
  /** The job that requested the build: the build's CODEPIPELINE_JOB_ID, the artifact URLs' job id. */
  originalJobId: string;
  project: string;
  queueId?: number;
  buildNumber?: number;
  /** When the first job of the chain started (ms since epoch). */
  startedAt: number;
  /** How many hand-offs led here. */
  hops: number;
}

const VERSION = 'pb1';
const MAX_LENGTH = 2048;

function check(payload: string): string {
  return createHash('sha256').update(payload).digest('base64url').slice(0, 16);
}

export function encodeContinuationToken(state: ContinuationState): string {
  const payload = Buffer.from(
    JSON.stringify({
      j: state.originalJobId,
      p: state.project,
      ...(state.queueId !== undefined ? { q: state.queueId } : {}),
      ...(state.buildNumber !== undefined ? { b: state.buildNumber } : {}),
      s: state.startedAt,
      h: state.hops,
    }),
  ).toString('base64url');
  const token = `${VERSION}.${payload}.${check(payload)}`;
  if (token.length > MAX_LENGTH) throw new Error(`continuation token of ${token.length} chars exceeds ${MAX_LENGTH}`);
  return token;
}

export function decodeContinuationToken(token: string): ContinuationState {
  const garbled = (why: string) =>
    new PermanentError(`The continuation token of this job is not one pipeline-bridge can resume (${why}); the action has to be retried.`, 'JobFailed');
  const [version, payload, sum, ...rest] = token.split('.');
  if (version !== VERSION) throw garbled(version?.startsWith('pb') ? `unsupported version "${version}"` : 'unknown format');
  if (!payload || !sum || rest.length > 0) throw garbled('malformed');
  if (check(payload) !== sum) throw garbled('checksum mismatch');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw garbled('payload is not JSON');
  }
  const r = raw as Record<string, unknown>;
  const int = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0);
  if (typeof r.j !== 'string' || !r.j || typeof r.p !== 'string' || !r.p || !int(r.q) || !int(r.b) || typeof r.s !== 'number' || typeof r.h !== 'number') {
    throw garbled('missing fields');
  }
  return {
    originalJobId: r.j,
    project: r.p,
    ...(r.q !== undefined ? { queueId: r.q as number } : {}),
    ...(r.b !== undefined ? { buildNumber: r.b as number } : {}),
    startedAt: r.s,
    hops: r.h,
  };
}
