import type { ArtifactAccess } from '../../ports/artifact-store';
import type { JobArtifact, PipelineJob } from '../../ports/pipeline-job';

/** What the bridge knows of a job it is running right now (input serving, status pages). */
export interface ActiveJob {
  job: PipelineJob;
  /**
   * Other job ids this entry answers to: a continuation job follows the build its first job
   * started, and that build's artifact URLs carry the first job's id.
   */
  aliases?: readonly string[];
  access: ArtifactAccess;
  project?: string;
  buildNumber?: number;
  buildUrl?: string;
  phase: 'acknowledged' | 'triggering' | 'queued' | 'running' | 'uploading' | 'reporting';
  percentComplete?: number;
  startedAt: number;
}

/** In-memory registry of the jobs this process is running, keyed by CodePipeline job id. */
export class ActiveJobs {
  private readonly jobs = new Map<string, ActiveJob>();

  private readonly aliases = new Map<string, string>();

  add(entry: ActiveJob): void {
    this.jobs.set(entry.job.id, entry);
    for (const alias of entry.aliases ?? []) if (alias !== entry.job.id) this.aliases.set(alias, entry.job.id);
  }
  get(jobId: string): ActiveJob | undefined {
    return this.jobs.get(jobId);
  }
  update(jobId: string, patch: Partial<Omit<ActiveJob, 'job' | 'access'>>): void {
    const entry = this.jobs.get(jobId);
    if (entry) Object.assign(entry, patch);
  }
  remove(jobId: string): void {
    const entry = this.jobs.get(jobId);
    for (const alias of entry?.aliases ?? []) if (this.aliases.get(alias) === jobId) this.aliases.delete(alias);
    this.jobs.delete(jobId);
  }
  list(): ActiveJob[] {
    return [...this.jobs.values()];
  }
  get size(): number {
    return this.jobs.size;
  }
  /** Looks the job up by its own id or an alias (the first job id of a continuation chain). */
  inputArtifact(jobId: string, name: string): { entry: ActiveJob; artifact: JobArtifact } | undefined {
    const entry = this.jobs.get(jobId) ?? this.jobs.get(this.aliases.get(jobId) ?? '');
    const artifact = entry?.job.inputArtifacts.find((a) => a.name === name);
    return entry && artifact ? { entry, artifact } : undefined;
  }
}
