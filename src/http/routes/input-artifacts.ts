import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import type { ArtifactStore } from '../../ports/artifact-store';
import type { Logger } from '../../ports/logger';
import type { ActiveJobs } from '../../core/jobs/active-jobs';
import type { ArtifactTokens } from '../../core/jobs/artifact-tokens';
import { PermanentError } from '../../core/errors';

/**
 * GET /artifacts/:jobId/:artifactName?token=… streams an input artifact to a build.
 *
 * Why through the bridge and not a presigned S3 URL: a presigned URL dies with the job's temporary
 * credentials (~15 min), and builds can wait in the Jenkins queue longer. The bridge refreshes the
 * credentials (GetJobDetails) for as long as the job runs, so this URL works exactly that long.
 * The token (also accepted as `Authorization: Bearer`) is an HMAC of the job id; the job must be
 * running in this bridge. Bytes stream from S3 to the build; nothing is buffered.
 */
export function inputArtifactRoutes(deps: { active: ActiveJobs; tokens: ArtifactTokens; store: ArtifactStore; logger: Logger }): Router {
  const router = Router();
  router.get('/artifacts/:jobId/:artifactName', async (req, res) => {
    const { jobId, artifactName } = req.params;
    const header = req.get('authorization');
    const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    const token = typeof req.query.token === 'string' ? req.query.token : bearer;
    if (!deps.tokens.verify(jobId, token)) {
      res.status(401).json({ error: 'invalid or missing artifact token' });
      return;
    }
    const found = deps.active.inputArtifact(jobId, artifactName);
    if (!found) {
      res.status(404).json({ error: `no input artifact "${artifactName}" for an active job ${jobId}` });
      return;
    }
    const log = deps.logger.child({ jobId, artifact: artifactName });
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    let object;
    try {
      object = await deps.store.get(found.artifact.location, found.entry.access, controller.signal);
    } catch (error) {
      log.warn('input artifact download failed', { error });
      const status = error instanceof PermanentError ? 502 : 503;
      res.status(status).json({ error: `could not read the artifact from S3: ${(error as Error).message}` });
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', object.contentType ?? 'application/zip');
    if (object.contentLength !== undefined) res.setHeader('Content-Length', String(object.contentLength));
    res.setHeader('Content-Disposition', `attachment; filename="${artifactName}.zip"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      await pipeline(object.body, res);
      log.info('input artifact served', { bytes: object.contentLength });
    } catch (error) {
      log.warn('input artifact stream ended early', { error });
      res.destroy();
    }
  });
  return router;
}
