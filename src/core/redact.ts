/**
 * The one serializer for errors and log metadata. It removes secrets before anything is logged:
 * AWS credentials, Jenkins tokens, Authorization headers, presign/token query parameters and
 * `user:password@` in URLs. Known secret values (the Jenkins token, a job's credentials) can be
 * registered so they are masked wherever they appear in a string.
 */

const SECRET_KEY = /(secret|password|passwd|token|authorization|credential|sessiontoken|accesskey|signature|cookie|apikey|api_key)/i;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi;
const SENSITIVE_QUERY = /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|token|access_token|signature)=)[^&\s"']+/gi;
const AUTH_HEADER_VALUE = /\b(Basic|Bearer|AWS4-HMAC-SHA256)\s+[A-Za-z0-9+/=._~,:\-]+(?:\s*,\s*[A-Za-z]+=[^\s,"']+)*/g;
const AWS_ACCESS_KEY = /\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g;
const MASK = '***';

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers a literal secret value; ignored when too short to be meaningful. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 6) this.secrets.add(value);
  }

  removeSecret(value: string | undefined): void {
    if (value) this.secrets.delete(value);
  }

  redactString(input: string): string {
    let out = input;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
    return out
      .replace(URL_USERINFO, `$1${MASK}@`)
      .replace(SENSITIVE_QUERY, `$1${MASK}`)
      .replace(AUTH_HEADER_VALUE, `$1 ${MASK}`)
      .replace(AWS_ACCESS_KEY, `$1${MASK}`);
  }

  /** Deep copy with secret-looking keys masked and every string scrubbed; Errors become plain objects. */
  redact(value: unknown, depth = 0): unknown {
    if (depth > 8) return '[depth]';
    if (typeof value === 'string') return this.redactString(value);
    if (value === null || typeof value !== 'object') return value;
    if (isErrorLike(value)) return this.serializeError(value, depth);
    if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return value.map((item) => this.redact(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = this.redactField(key, item, depth + 1);
    return out;
  }

  /** One named field: masked whole when its name says it holds a secret, scrubbed otherwise. */
  redactField(key: string, value: unknown, depth = 0): unknown {
    if (SECRET_KEY.test(key) && value !== null && (typeof value === 'string' || typeof value === 'object')) return MASK;
    return this.redact(value, depth);
  }

  serializeError(error: Error, depth = 0): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: error.name,
      message: this.redactString(error.message),
    };
    if (error.stack) out.stack = this.redactString(error.stack);
    for (const key of ['code', 'kind', 'system', 'failureType', 'statusCode', '$metadata'] as const) {
      const v = (error as unknown as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = this.redact(v, depth + 1);
    }
    if (error.cause !== undefined && depth < 4) out.cause = this.redact(error.cause, depth + 1);
    return out;
  }
}

/** Errors from other realms (Node internals under test runners) fail `instanceof Error`. */
function isErrorLike(value: object): value is Error {
  return value instanceof Error || (typeof (value as Error).message === 'string' && typeof (value as Error).stack === 'string');
}

/** Process-wide redactor used by the logger adapter; secrets are registered as they become known. */
export const redactor = new Redactor();
