import type { ArtifactAccess } from '../../ports/artifact-store';
import type { Clock } from '../../ports/clock';
import type { JobSource } from '../../ports/job-source';
import type { ArtifactCredentials, PipelineJob } from '../../ports/pipeline-job';
import type { Redactor } from '../redact';
import { PermanentError } from '../errors';

/**
 * The artifact access of one job. CodePipeline's temporary credentials live about 15 minutes
 * (observed, not documented), so they are refreshed through GetJobDetails once older than
 * `refreshAfterMs`, and immediately after the store reports them expired. Concurrent callers share
 * one refresh. Each credential value is registered with the redactor while the job lives.
 */
export class JobCredentials implements ArtifactAccess {
  private current: ArtifactCredentials | undefined;
  private fetchedAt = 0;
  private refreshing: Promise<ArtifactCredentials> | undefined;
  readonly encryptionKey: PipelineJob['encryptionKey'];

  constructor(
    private readonly job: PipelineJob,
    private readonly source: JobSource,
    private readonly clock: Clock,
    private readonly refreshAfterMs: number,
    private readonly redactor: Redactor,
    private readonly signal?: AbortSignal,
  ) {
    this.encryptionKey = job.encryptionKey;
    if (job.credentials) this.accept(job.credentials);
  }

  readonly credentials = async (): Promise<ArtifactCredentials> => {
    if (this.current && this.clock.now() - this.fetchedAt < this.refreshAfterMs) return this.current;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  };

  readonly invalidate = (): void => {
    this.fetchedAt = 0;
  };

  /** Forget the secrets (job finished): nothing to mask any more. */
  dispose(): void {
    this.forget(this.current);
    this.current = undefined;
  }

  private async refresh(): Promise<ArtifactCredentials> {
    const details = await this.source.getJobDetails(this.job.id, this.signal);
    if (!details.credentials) {
      throw new PermanentError(`GetJobDetails returned no artifact credentials for job ${this.job.id}`, 'PermissionError');
    }
    this.forget(this.current);
    this.accept(details.credentials);
    return details.credentials;
  }

  private accept(credentials: ArtifactCredentials): void {
    this.current = credentials;
    this.fetchedAt = this.clock.now();
    this.redactor.addSecret(credentials.secretAccessKey);
    this.redactor.addSecret(credentials.sessionToken);
    this.redactor.addSecret(credentials.accessKeyId);
  }

  private forget(credentials: ArtifactCredentials | undefined): void {
    if (!credentials) return;
    this.redactor.removeSecret(credentials.secretAccessKey);
    this.redactor.removeSecret(credentials.sessionToken);
    this.redactor.removeSecret(credentials.accessKeyId);
  }
}
