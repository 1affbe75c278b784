import type { ServerResponse } from 'node:http';
import { runJson, runUrl } from '../../json/render-run';
import type { SimRun } from '../../model/sim-run';
import { escapeHtml, sendHtml, sendNotFound, sendPostRequired, sendRedirect, sendText } from '../replies';
import type { SimRequest } from '../sim-request';
import { sendApiJson, type SimState } from '../sim-state';
import { handleArtifactRoutes } from './artifact-routes';

/** `{job}/<n>/...` for an existing run. */
export async function handleBuildRoutes(req: SimRequest, res: ServerResponse, state: SimState, run: SimRun, rest: string[]): Promise<void> {
  const [first] = rest;
  if (rest.length === 0) {
    if (!req.trailingSlash) return sendRedirect(res, 302, `${req.origin}${req.rawPath}/`);
    return sendHtml(res, 200, `${run.job.fullDisplayName} #${run.number}`, `<h1>Build #${run.number}</h1><p>${escapeHtml(run.result ?? 'running')}</p>`);
  }
  if (rest.length === 2 && first === 'api' && rest[1] === 'json') {
    return sendApiJson(req, res, () => runJson(run, state.rootUrl));
  }
  if (rest.length === 1 && first === 'consoleText') {
    // Run#doConsoleText: whole log so far, always declared UTF-8.
    return sendText(res, 200, run.log.whole());
  }
  if (rest.length === 2 && first === 'logText' && rest[1] === 'progressiveText') {
    return progressiveText(req, res, run);
  }
  if (rest.length === 1 && (first === 'stop' || ((first === 'term' || first === 'kill') && run.job.kind === 'pipeline'))) {
    // @RequirePOST; then HttpResponses.forwardToPreviousPage(): 302 to the Referer, else to the build.
    if (req.isRead) return sendPostRequired(res);
    run.stop(req.principal!.user, first);
    return sendRedirect(res, 302, req.header('referer') ?? runUrl(run, `${req.origin}/`));
  }
  if (first === 'artifact') return handleArtifactRoutes(req, res, run, rest.slice(1));
  sendNotFound(res);
}

/**
 * Stapler LargeText#doProgressText: bytes from `start` (query or form), `X-Text-Size` = next start
 * (byte offset), `X-More-Data: true` only while the log is still being written.
 */
async function progressiveText(req: SimRequest, res: ServerResponse, run: SimRun): Promise<void> {
  const raw = await req.param('start');
  const start = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : 0;
  const { text, end } = run.log.readFrom(start);
  const headers: Record<string, string> = { 'X-Text-Size': String(end) };
  if (!run.log.complete) headers['X-More-Data'] = 'true';
  sendText(res, 200, text, headers);
}
