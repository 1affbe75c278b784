import type { ServerResponse } from 'node:http';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function send(res: ServerResponse, status: number, contentType: string | undefined, body: string | Buffer, headers: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (contentType) res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', buf.length);
  res.end(buf);
}

export function sendJson(res: ServerResponse, value: unknown, pretty = false): void {
  send(res, 200, 'application/json;charset=utf-8', JSON.stringify(value, null, pretty ? 2 : undefined));
}

export function sendText(res: ServerResponse, status: number, text: string | Buffer, headers: Record<string, string> = {}): void {
  send(res, status, 'text/plain;charset=UTF-8', text, headers);
}

export function sendHtml(res: ServerResponse, status: number, title: string, bodyHtml: string, headers: Record<string, string> = {}): void {
  const page = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)} [Jenkins]</title></head><body>${bodyHtml}</body></html>`;
  send(res, status, 'text/html;charset=utf-8', page, headers);
}

/** Jetty's error page, which is what Jenkins' HttpResponses.error / sendError produce. */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const m = escapeHtml(message);
  const page =
    `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error ${status} ${m}</title>\n</head>\n` +
    `<body>\n<h2>HTTP ERROR ${status} ${m}</h2>\n<table>\n<tr><th>MESSAGE:</th><td>${m}</td></tr>\n<tr><th>STATUS:</th><td>${status}</td></tr>\n</table>\n</body>\n</html>\n`;
  send(res, status, 'text/html;charset=utf-8', page, headers);
}

/** Stapler's 404 for a URL nothing handles. */
export function sendNotFound(res: ServerResponse): void {
  sendHtml(res, 404, 'Not Found', '<h1>Not Found</h1><p>Oops! This page does not exist.</p>');
}

/** requirePOST.jelly: GET on a @RequirePOST action. */
export function sendPostRequired(res: ServerResponse): void {
  sendHtml(res, 405, 'This URL requires POST', '<h1>This URL requires POST</h1><p>The URL you\'re trying to access requires that requests be sent using POST (like a form submission).</p>', {
    Allow: 'POST',
  });
}

/** A redirect with an empty body (Stapler sendRedirect with an explicit status). */
export function sendRedirect(res: ServerResponse, status: number, location: string): void {
  res.statusCode = status;
  res.setHeader('Location', location);
  res.setHeader('Content-Length', 0);
  res.end();
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.statusCode = status;
  if (status !== 204) res.setHeader('Content-Length', 0);
  res.end();
}

export { escapeHtml };
