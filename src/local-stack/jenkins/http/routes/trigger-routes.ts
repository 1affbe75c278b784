import type { ServerResponse } from 'node:http';
import { HttpError, valuesFromJsonForm, valuesFromRequest, type ParamValue } from '../../model/parameters';
import type { SimJob } from '../../model/sim-job';
import { escapeHtml, sendHtml, sendPostRequired, sendRedirect } from '../replies';
import type { SimRequest } from '../sim-request';
import type { SimState } from '../sim-state';

/**
 * TimeDuration.fromString + getTimeInSeconds: "<n>sec"/"<n>secs" are seconds, a bare number is
 * MILLISECONDS; the queue then uses whole seconds (`delay=10` → 0 s).
 */
export function parseDelayMs(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  let text = raw.trim();
  let unit = 1;
  if (text.endsWith('sec') || text.endsWith('secs')) {
    text = text.slice(0, text.lastIndexOf('sec')).trim();
    unit = 1_000;
  }
  if (!/^-?\d+$/.test(text)) throw new HttpError(400, `Invalid time duration value: ${raw}`);
  return Math.floor((Number(text) * unit) / 1_000) * 1_000;
}

async function schedule(req: SimRequest, state: SimState, job: SimJob, params: ParamValue[] | null) {
  const delay = parseDelayMs(await req.param('delay'));
  const quiet = delay ?? job.quietPeriodMs ?? state.defaultQuietPeriodMs;
  return state.queue.schedule(job, params, req.principal!.user, quiet);
}

/** Stapler's sendRedirect(status, contextPath + '/' + item.getUrl()): absolute from the REQUEST's host. */
const itemLocation = (req: SimRequest, id: number): string => `${req.origin}/queue/item/${id}/`;

/**
 * ParameterizedJobMixIn#doBuild. Buildable check first (409), then a GET on a parameterized job
 * shows the parameter form, other GETs are 405; a parameterized job needs the UI `json` form field.
 * A duplicate still answers 201 with the existing item (JENKINS-66105 TODO in core).
 */
export async function handleBuild(req: SimRequest, res: ServerResponse, state: SimState, job: SimJob): Promise<void> {
  if (job.disabled) throw new HttpError(409, `${job.fullName} is not buildable`);
  if (job.parameterized && req.isRead) {
    const fields = job.parameters.map((p) => `<li>${escapeHtml(p.name)}</li>`).join('');
    return sendHtml(res, 200, job.fullName, `<h1>Pipeline ${escapeHtml(job.fullName)}</h1><p>This build requires parameters:</p><ul>${fields}</ul>`);
  }
  if (req.isRead) return sendPostRequired(res);
  let params: ParamValue[] | null = null;
  if (job.parameterized) params = valuesFromJsonForm(job.parameters, await req.param('json'));
  const { item } = await schedule(req, state, job, params);
  sendRedirect(res, 201, itemLocation(req, item.id));
}

/**
 * ParameterizedJobMixIn#doBuildWithParameters → ParametersDefinitionProperty#buildWithParameters:
 * 201 for a new item, 303 See Other to the existing one for a duplicate (≥ 2.308).
 */
export async function handleBuildWithParameters(req: SimRequest, res: ServerResponse, state: SimState, job: SimJob): Promise<void> {
  if (req.isRead) return sendPostRequired(res);
  if (job.disabled) throw new HttpError(409, `${job.fullName} is not buildable`);
  if (!job.parameterized) throw new HttpError(400, `${job.fullName} is not parameterized`);
  const params = valuesFromRequest(job.parameters, await req.form());
  const { item, created } = await schedule(req, state, job, params);
  sendRedirect(res, created ? 201 : 303, itemLocation(req, item.id));
}
