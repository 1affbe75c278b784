import type { BuildArtifactFile } from '../../ports/build-runner';
import type { JobArtifact } from '../../ports/pipeline-job';
import { PermanentError } from '../errors';

/** Archived file whose key/value pairs become the success result's outputVariables. */
export const OUTPUT_VARIABLES_FILE = 'codepipeline-outputs.json';

export interface OutputPlan {
  artifact: JobArtifact;
  /** `source` is the path in the build, `path` the path inside the zip. */
  files: { source: string; path: string; size?: number }[];
}

/**
 * Decides which archived files go into which output artifact:
 *  - one output artifact: every archived file (paths kept);
 *  - several: the files under a top-level folder named after each artifact, prefix stripped.
 * The output-variables file is metadata and never goes into an artifact.
 * An expected output with no files fails the job, naming what was looked for.
 */
export function planOutputs(outputs: readonly JobArtifact[], archived: readonly BuildArtifactFile[], buildLabel: string): OutputPlan[] {
  const files = archived.filter((f) => f.path !== OUTPUT_VARIABLES_FILE);
  if (outputs.length === 0) return [];
  if (outputs.length === 1) {
    const artifact = outputs[0]!;
    if (files.length === 0) {
      throw new PermanentError(`Output artifact "${artifact.name}" expected, but ${buildLabel} archived no files (use archiveArtifacts in the job).`);
    }
    return [{ artifact, files: files.map((f) => ({ source: f.path, path: f.path, size: f.size })) }];
  }
  const missing: string[] = [];
  const plans = outputs.map((artifact) => {
    const prefix = `${artifact.name}/`;
    const mine = files.filter((f) => f.path.startsWith(prefix) && f.path.length > prefix.length);
    if (mine.length === 0) missing.push(artifact.name);
    return { artifact, files: mine.map((f) => ({ source: f.path, path: f.path.slice(prefix.length), size: f.size })) };
  });
  if (missing.length > 0) {
    throw new PermanentError(
      `Output artifact(s) ${missing.map((m) => `"${m}"`).join(', ')} expected, but ${buildLabel} archived nothing under ` +
        `${missing.map((m) => `"${m}/"`).join(', ')}. With several output artifacts, archive each one's files under a folder named after it.`,
    );
  }
  return plans;
}
