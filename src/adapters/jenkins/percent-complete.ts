/**
 * Progress of a running build from Jenkins' `timestamp` and `estimatedDuration` (-1 when there is no
 * previous successful build). The core reports it as CodePipeline's percentComplete; the one formula
 * lives in core/jobs/progress.ts (0–99 while running: an overrun estimate must not look finished),
 * re-exported here so Jenkins callers find it beside the fields it reads.
 */
export { percentComplete } from '../../core/jobs/progress';
