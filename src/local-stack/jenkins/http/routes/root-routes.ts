import type { ServerResponse } from 'node:http';
import { rootJson } from '../../json/render-job';
import { CRUMB_FIELD } from '../auth';
import { escapeHtml, send, sendHtml } from '../replies';
import type { SimRequest } from '../sim-request';
import { sendApiJson, type SimState } from '../sim-state';

/** `/`, `/api/json`, `/crumbIssuer/api/json`. Returns false when the path is not one of them. */
export function handleRootRoutes(req: SimRequest, res: ServerResponse, state: SimState): boolean {
  const s = req.segments;
  if (s.length === 0) {
    const jobs = [...state.root.children.keys()].map((n) => `<li>${escapeHtml(n)}</li>`).join('');
    sendHtml(res, 200, 'Dashboard', `<h1>Jenkins (simulator)</h1><ul>${jobs}</ul>`);
    return true;
  }
  if (s.length === 2 && s[0] === 'api' && s[1] === 'json') {
    sendApiJson(req, res, (expand) => rootJson(state.root, { rootUrl: state.rootUrl, expand, executors: state.executors, queue: state.queue }));
    return true;
  }
  if (s.length === 3 && s[0] === 'crumbIssuer' && s[1] === 'api' && s[2] === 'json') {
    const { crumb, setCookie } = state.auth.issueCrumb(req.principal!.user, req.header('cookie'));
    const body = JSON.stringify({ _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb, crumbRequestField: CRUMB_FIELD });
    send(res, 200, 'application/json;charset=utf-8', body, setCookie ? { 'Set-Cookie': setCookie } : {});
    return true;
  }
  return false;
}
