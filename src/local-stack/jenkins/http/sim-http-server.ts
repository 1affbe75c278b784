import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError } from '../model/parameters';
import type { SimDownMode, SimRequestRecord } from '../types';
import { CRUMB_FIELD } from './auth';
import { sendError, sendHtml } from './replies';
import { route } from './router';
import { SimRequest } from './sim-request';
import type { SimState } from './sim-state';

/** Version announced in `X-Jenkins` (a 2.5xx LTS: 303 on duplicates, api-token CSRF exemption, text queue index). */
export const JENKINS_VERSION = '2.504.1';

/**
 * The simulator's HTTP front: common Jenkins headers, fault injection, request log, Basic auth
 * and the CSRF crumb filter, then routing.
 */
export class SimHttpServer {
  readonly requests: SimRequestRecord[] = [];
  private readonly server: Server;
  /** X-Jenkins-Session: changes per controller start. */
  private readonly session = randomBytes(4).toString('hex');
  private down: SimDownMode = false;

  constructor(private readonly state: SimState) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  setDown(mode: SimDownMode): void {
    this.down = mode;
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    const record: SimRequestRecord = {
      at: Date.now(),
      method: raw.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: Object.fromEntries(new URLSearchParams(q < 0 ? '' : url.slice(q + 1))),
      status: 0,
    };
    const crumbHeader = raw.headers[CRUMB_FIELD.toLowerCase()];
    if (typeof crumbHeader === 'string') record.crumb = crumbHeader;
    this.requests.push(record);
    if (this.down === 'reset') {
      raw.socket.destroy();
      return;
    }
    res.on('finish', () => (record.status = res.statusCode));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Jenkins', JENKINS_VERSION);
    res.setHeader('X-Jenkins-Session', this.session);
    res.setHeader('X-Hudson', '1.395');
    res.setHeader('Server', 'Jetty(12.0.19)');
    if (this.down === '503') {
      return sendHtml(res, 503, 'Service Unavailable', '<h1>Service Unavailable</h1><p>Jenkins is not available right now.</p>');
    }
    try {
      const req = new SimRequest(raw);
      if (!(await this.admit(req, res, record))) return;
      await route(req, res, this.state);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof HttpError) {
        sendError(res, error.status, error.message);
      } else {
        sendError(res, 500, error instanceof Error ? error.message : String(error));
      }
    }
  }

  /** BasicHeaderProcessor + authorization + CrumbFilter. Answers and returns false when refused. */
  private async admit(req: SimRequest, res: ServerResponse, record: SimRequestRecord): Promise<boolean> {
    const outcome = this.state.auth.authenticate(req.header('authorization'));
    if (outcome.kind === 'invalid') {
      sendError(res, 401, `Invalid password/token for user: ${outcome.user}`, { 'WWW-Authenticate': 'Basic realm="Jenkins"' });
      return false;
    }
    if (outcome.kind === 'anonymous') {
      if (req.segments.length === 1 && req.segments[0] === 'login') {
        sendHtml(res, 200, 'Sign in', '<form method="post" action="j_spring_security_check"><input name="j_username"><input name="j_password" type="password"></form>');
        return false;
      }
      this.forbidAnonymous(req, res);
      return false;
    }
    req.principal = outcome.principal;
    record.authUser = outcome.principal.user;
    record.authKind = outcome.principal.kind;
    // ApiCrumbExclusion: API-token requests are exempt; password (session-style) POSTs need a crumb.
    if (req.method === 'POST' && outcome.principal.kind === 'password') {
      const crumb = req.header(CRUMB_FIELD) ?? (await req.param(CRUMB_FIELD));
      if (!this.state.auth.crumbValid(outcome.principal.user, req.header('cookie'), crumb)) {
        sendError(res, 403, 'No valid crumb was included in the request');
        return false;
      }
    }
    return true;
  }

  /** HudsonAuthenticationEntryPoint: 403 (not a redirect) with a meta refresh to the login page. */
  private forbidAnonymous(req: SimRequest, res: ServerResponse): void {
    const login = `/login?from=${encodeURIComponent(req.rawPath)}`;
    res.statusCode = 403;
    res.setHeader('X-You-Are-Authenticated-As', 'anonymous');
    res.setHeader('X-You-Are-In-Group-Disabled', 'JENKINS-39402: use -Dhudson.security.AccessDeniedException2.REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose');
    res.setHeader('X-Required-Permission', 'hudson.model.Hudson.Read');
    res.setHeader('X-Permission-Implied-By', 'hudson.model.Hudson.Administer');
    const body =
      `<html><head><meta http-equiv='refresh' content='1;url=${login}'/></head>` +
      `<body style='background-color:white; color:white;'>\nAuthentication required\n</body></html>\n`;
    res.setHeader('Content-Type', 'text/html;charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  }
}
