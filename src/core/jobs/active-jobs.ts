import type { ArtifactAccess } from '../../ports/artifact-store';
import type { JobArtifact, PipelineJob } from '../../ports/pipeline-job';

/** What the bridge knows of a job it is running right now (input serving, status pages). */
export interface ActiveJob {
  job: PipelineJob;
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

  add(entry: ActiveJob): void {
    this.jobs.set(entry.job.id, entry);
  }
  get(jobId: string): ActiveJob | undefined {
    return this.jobs.get(jobId);
  }
  update(jobId: string, patch: Partial<Omit<ActiveJob, 'job' | 'access'>>): void {
    const entry = this.jobs.get(jobId);
    if (entry) Object.assign(entry, patch);
  }
  remove(jobId: string): void {
    this.jobs.delete(jobId);
  }
  list(): ActiveJob[] {
    return [...this.jobs.values()];
  }
  get size(): number {
    return this.jobs.size;
  }
  inputArtifact(jobId: string, name: string): { entry: ActiveJob; artifact: JobArtifact } | undefined {
    const entry = this.jobs.get(jobId);
    const artifact = entry?.job.inputArtifacts.find((a) => a.name === name);
    return entry && artifact ? { entry, artifact } : undefined;
  }
}
