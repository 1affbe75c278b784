import type { ArtifactStore } from './ports/artifact-store';
import type { BuildRunner } from './ports/build-runner';
import type { Clock } from './ports/clock';
import type { JobSource } from './ports/job-source';
import type { JobLedger } from './ports/job-ledger';
import type { Logger } from './ports/logger';
import type { BridgeConfig } from './config/schema';
import { ActiveJobs } from './core/jobs/active-jobs';
import { ArtifactTokens } from './core/jobs/artifact-tokens';
import { JobRunner } from './core/jobs/run-job';
import { loadOrCreateTokenSecret } from './core/data-dir';
import { redactor as defaultRedactor, type Redactor } from './core/redact';
import { systemClock } from './core/system-clock';
import { createApp } from './http/create-app';
import { HttpServer } from './http/http-server';
import { Readiness } from './http/readiness';
import { JobWorker } from './worker/job-worker';
import { createLedgerPruneTask } from './adapters/sqlite';

export interface BridgePorts {
  source: JobSource;
  runner: BuildRunner;
  store: ArtifactStore;
  /** Durable job ledger (SQLite in the data dir); closed by `stop()`. */
  ledger: JobLedger;
}

export interface BridgeDeps {
  logger: Logger;
  clock?: Clock;
  redactor?: Redactor;
}

/**
 * The running service: HTTP (health, readiness, input artifacts) and the job worker, wired to the
 * three ports. `start()` binds HTTP first, because the build parameters carry URLs under the
 * bridge's public address; `stop()` is the graceful shutdown (idempotent).
 */
export class Bridge {
  readonly active = new ActiveJobs();
  readonly readiness: Readiness;
  readonly tokens: ArtifactTokens;
  private readonly http: HttpServer;
  private readonly clock: Clock;
  private readonly redactor: Redactor;
  private worker: JobWorker | undefined;
  private pruneTask: ReturnType<typeof createLedgerPruneTask> | undefined;
  private stopping: Promise<void> | undefined;
  private _url: string | undefined;

  constructor(
    private readonly config: Readonly<BridgeConfig>,
    private readonly ports: BridgePorts,
    private readonly deps: BridgeDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.redactor = deps.redactor ?? defaultRedactor;
    this.redactor.addSecret(config.jenkins.apiToken);
    this.redactor.addSecret(config.aws.secretAccessKey);
    this.redactor.addSecret(config.aws.sessionToken);
    this.tokens = new ArtifactTokens(loadOrCreateTokenSecret(config.dataDir, config.artifacts.tokenSecret));
    this.readiness = new Readiness(
      [
        { name: 'codepipeline', check: (signal) => ports.source.ping(signal) },
        { name: 'jenkins', check: (signal) => ports.runner.ping(signal) },
      ],
      this.clock,
      deps.logger.child({ component: 'readiness' }),
    );
    const app = createApp({ readiness: this.readiness, active: this.active, tokens: this.tokens, store: ports.store, logger: deps.logger.child({ component: 'http' }) });
    this.http = new HttpServer(app, config.http.host, config.http.port);
  }

  /** Base URL builds use to reach this bridge. */
  get url(): string {
    if (!this._url) throw new Error('bridge not started');
    return this._url;
  }

  get jobWorker(): JobWorker | undefined {
    return this.worker;
  }

  async start(): Promise<void> {
    const { config, deps, ports } = this;
    const address = await this.http.start();
    const localHost = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
    this._url = (config.http.publicUrl ?? `http://${localHost}:${address.port}`).replace(/\/+$/, '');
    const jobRunner = new JobRunner({
      ...ports,
      clock: this.clock,
      logger: deps.logger.child({ component: 'job' }),
      active: this.active,
      tokens: this.tokens,
      redactor: this.redactor,
      settings: {
        statusIntervalMs: config.worker.statusIntervalMs,
        queueTimeoutMs: config.worker.queueTimeoutMs,
        credentialsRefreshMs: config.worker.credentialsRefreshMs,
        maxJobDurationMs: config.worker.maxJobDurationMs,
        logTailBytes: config.artifacts.logTailBytes,
        retry: config.worker.retry,
        publicUrl: this._url,
      },
    });
    this.worker = new JobWorker({
      source: ports.source,
      ledger: ports.ledger,
      runJob: (job, signals, entry) => jobRunner.run(job, signals, entry),
      canTakeWork: () => this.readiness.dependencyOk('jenkins'),
      clock: this.clock,
      logger: deps.logger.child({ component: 'worker' }),
      settings: config.worker,
    });
    this.pruneTask = createLedgerPruneTask(
      ports.ledger,
      { cron: config.ledger.pruneCron, maxAgeMs: config.ledger.retentionMs, keep: config.ledger.keep, timezone: 'UTC' },
      deps.logger.child({ component: 'ledger' }),
    );
    this.readiness.start();
    this.worker.start();
    this.pruneTask.start();
    deps.logger.info('pipeline-bridge started', {
      actionType: config.actionType,
      http: `${address.address}:${address.port}`,
      publicUrl: this._url,
      jenkins: config.jenkins.url,
      maxConcurrentJobs: config.worker.maxConcurrentJobs,
    });
  }

  /** Graceful stop: not ready at once, no new polls, in-flight jobs get the grace period. */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      this.readiness.setDraining();
      this.pruneTask?.stop();
      await this.worker?.close(options);
      this.readiness.stop();
      await this.http.stop();
      this.ports.ledger.close();
      this.deps.logger.info('pipeline-bridge stopped');
    })();
    return this.stopping;
  }

  /** Second signal: abort running jobs now (each still reports its failure). */
  forceStop(): void {
    this.worker?.abortJobs('forced shutdown');
  }
}
