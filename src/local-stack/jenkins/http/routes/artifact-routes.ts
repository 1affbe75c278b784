import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { encodeSegment } from '../../model/sim-job';
import type { SimRun } from '../../model/sim-run';
import { escapeHtml, sendHtml, sendNotFound } from '../replies';
import type { SimRequest } from '../sim-request';

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.html': 'text/html',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.jar': 'application/java-archive',
};

/**
 * `{build}/artifact/<path>` (DirectoryBrowserSupport): a file streams from disk with its length;
 * a folder lists its files; a `*zip*` segment (`artifact/*zip*` + `/archive.zip`) zips the folder
 * with entries under its name (`archive/` for the artifact root, JENKINS-19947).
 */
export async function handleArtifactRoutes(req: SimRequest, res: ServerResponse, run: SimRun, rest: string[]): Promise<void> {
  const zipAt = rest.indexOf('*zip*');
  if (zipAt >= 0) {
    const dir = rest.slice(0, zipAt).join('/');
    if (!run.artifacts.isDirectory(dir)) return sendNotFound(res);
    return streamZip(res, run, dir);
  }
  const relative = rest.join('/');
  const file = relative === '' ? undefined : run.artifacts.file(relative);
  if (file) {
    res.statusCode = 200;
    res.setHeader('Content-Type', CONTENT_TYPES[path.extname(relative).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('Content-Length', file.size);
    if (req.method === 'HEAD') return void res.end();
    await pipeline(createReadStream(file.absolutePath), res).catch(() => res.destroy());
    return;
  }
  if (run.artifacts.isDirectory(relative)) {
    if (!req.trailingSlash && relative !== '') {
      res.statusCode = 302;
      res.setHeader('Location', `${req.origin}${req.rawPath}/`);
      return void res.end();
    }
    const base = relative === '' ? '' : `${relative}/`;
    const links = run.artifacts
      .paths(relative)
      .map((p) => p.slice(base.length))
      .map((p) => `<li><a href="${p.split('/').map(encodeSegment).join('/')}">${escapeHtml(p)}</a></li>`)
      .join('');
    return sendHtml(res, 200, `Artifacts of ${run.job.fullDisplayName} #${run.number}`, `<ul>${links}</ul><a href="*zip*/archive.zip">(all files in zip)</a>`);
  }
  sendNotFound(res);
}

async function streamZip(res: ServerResponse, run: SimRun, dir: string): Promise<void> {
  const prefix = dir === '' ? 'archive' : dir.slice(dir.lastIndexOf('/') + 1);
  const base = dir === '' ? '' : `${dir}/`;
  const zip = new ZipFile();
  for (const relative of run.artifacts.paths(dir)) {
    const file = run.artifacts.file(relative)!;
    zip.addFile(file.absolutePath, `${prefix}/${relative.slice(base.length)}`);
  }
  zip.end();
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/zip');
  await pipeline(zip.outputStream, res).catch(() => res.destroy());
}
