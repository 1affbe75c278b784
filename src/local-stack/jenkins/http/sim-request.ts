import type { IncomingMessage } from 'node:http';
import { HttpError } from '../model/parameters';

/** Form bodies beyond this are refused (the simulator has no file parameters). */
const MAX_FORM_BYTES = 10 * 1024 * 1024;

export interface Principal {
  user: string;
  kind: 'token' | 'password';
}

/** A parsed request as the routes see it. */
export class SimRequest {
  readonly method: string;
  readonly rawPath: string;
  /** Percent-decoded path segments (a name with an encoded '/' stays one segment). */
  readonly segments: string[];
  readonly trailingSlash: boolean;
  readonly query: URLSearchParams;
  /** `scheme://host[:port]` from the request, the base Stapler uses for Location headers. */
  readonly origin: string;
  principal: Principal | undefined;
  private formPromise: Promise<Map<string, string[]>> | undefined;

  constructor(readonly raw: IncomingMessage) {
    this.method = (raw.method ?? 'GET').toUpperCase();
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    this.rawPath = q < 0 ? url : url.slice(0, q);
    this.query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const parts = this.rawPath.split('/').slice(1);
    this.trailingSlash = parts.length > 0 && parts[parts.length - 1] === '';
    try {
      this.segments = parts.filter((p) => p !== '').map((p) => decodeURIComponent(p));
    } catch {
      throw new HttpError(400, 'Invalid URL encoding');
    }
    this.origin = `http://${raw.headers.host ?? `${raw.socket.localAddress}:${raw.socket.localPort}`}`;
  }

  header(name: string): string | undefined {
    const v = this.raw.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  /** Whether the verb counts as a read (Node answers HEAD without a body). */
  get isRead(): boolean {
    return this.method === 'GET' || this.method === 'HEAD';
  }

  /**
   * Query parameters merged with an urlencoded or multipart form body, like the servlet's
   * `getParameterValues` (Stapler merges multipart fields too). Read once, on demand.
   */
  form(): Promise<Map<string, string[]>> {
    this.formPromise ??= this.readForm();
    return this.formPromise;
  }

  async param(name: string): Promise<string | undefined> {
    return (await this.form()).get(name)?.[0];
  }

  private async readForm(): Promise<Map<string, string[]>> {
    const merged = new Map<string, string[]>();
    const add = (k: string, v: string): void => {
      merged.set(k, [...(merged.get(k) ?? []), v]);
    };
    for (const [k, v] of this.query) add(k, v);
    const type = (this.header('content-type') ?? '').toLowerCase();
    const isUrlEncoded = type.startsWith('application/x-www-form-urlencoded');
    const isMultipart = type.startsWith('multipart/form-data');
    if (this.isRead || (!isUrlEncoded && !isMultipart)) return merged;
    const body = await this.readBody();
    if (isUrlEncoded) {
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) add(k, v);
    } else {
      // undici's multipart parser (the global Response) spares a hand-written one.
      let data: FormData;
      try {
        data = await new Response(body, { headers: { 'content-type': this.header('content-type')! } }).formData();
      } catch {
        throw new HttpError(400, 'Malformed multipart/form-data body');
      }
      for (const [k, v] of data) if (typeof v === 'string') add(k, v);
    }
    return merged;
  }

  private async readBody(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.raw) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_FORM_BYTES) throw new HttpError(413, 'Form too large');
      chunks.push(buf);
    }
    return Buffer.concat(chunks);
  }
}
