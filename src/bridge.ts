import type { ArtifactStore } from './ports/artifact-store';
import type { BuildRunner } from './ports/build-runner';
import type { Clock } from './ports/clock';
import type { JobSource } from './ports/job-source';
import type { JobLedger } from './ports/job-ledger';
import type { Logger } from './ports/logger';
import type { PipelineStarter } from './ports/pipeline-starter';
import type { ScheduleStore } from './ports/schedule-store';
import type { DeliveryStore } from './ports/delivery-store';
import type { BridgeConfig } from './config/schema';
import { ActiveJobs } from './core/jobs/active-jobs';
import { ArtifactTokens } from './core/jobs/artifact-tokens';
import { BuildWatch } from './core/jobs/build-watch';
import type { BuildNotice } from './core/jobs/build-notice';
import { JobRunner } from './core/jobs/run-job';
import { loadOrCreateTokenSecret } from './core/data-dir';
import { redactor as defaultRedactor, type Redactor } from './core/redact';
import { systemClock } from './core/system-clock';
import { createApp } from './http/create-app';
import { HttpServer } from './http/http-server';
import { Readiness } from './http/readiness';
import { JobWorker } from './worker/job-worker';
import { SqliteDeliveryStore, SqliteScheduleStore } from './adapters/sqlite';
import { createWebhookDelivery, type TriggerDispatcher, type WebhookIntake } from './webhooks/delivery';
import { ledgerPruneJob, Scheduler, triggerJob } from './schedules';

export interface BridgePorts {
  source: JobSource;
  runner: BuildRunner;
  store: ArtifactStore;
  /** Durable job ledger (SQLite in the data dir); closed by `stop()`. */
  ledger: JobLedger;
  /** StartPipelineExecution, for schedules (and webhook routes) that start pipelines. */
  starter?: PipelineStarter;
  /** Schedule runs and liveness (the ledger file); absent → kept in memory, so missed runs are not detected. Closed by `stop()`. */
  scheduleStore?: ScheduleStore;
  /** Webhook delivery records and dedupe (the ledger file); absent → kept in memory, so redeliveries after a restart are not recognised. Closed by `stop()`. */
  deliveryStore?: DeliveryStore;
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
  /** Shared status rounds of every followed build; Jenkins notifications make builds due here. */
  private watch: BuildWatch | undefined;
  /** Configured schedules and the ledger pruning (housekeeping), on node-cron. */
  readonly scheduler: Scheduler;
  private readonly scheduleStore: ScheduleStore;
  private readonly deliveryStore: DeliveryStore;
  /** Source-control webhooks: verify, record, route (the HTTP routes call it). */
  readonly webhookIntake: WebhookIntake;
  /** Triggers the targets of accepted webhook deliveries, and resumes pending ones at start. */
  readonly webhookDispatcher: TriggerDispatcher;
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
    for (const secret of [config.webhooks.github.secret, config.webhooks.gitlab.token, config.webhooks.bitbucket.secret, config.webhooks.jenkins.token, config.events.codepipelineToken]) {
      this.redactor.addSecret(secret);
    }
    for (const source of Object.values(config.webhooks.generic)) this.redactor.addSecret(source.secret);
    this.tokens = new ArtifactTokens(loadOrCreateTokenSecret(config.dataDir, config.artifacts.tokenSecret));
    this.readiness = new Readiness(
      [
        { name: 'codepipeline', check: (signal) => ports.source.ping(signal) },
        { name: 'jenkins', check: (signal) => ports.runner.ping(signal) },
      ],
      this.clock,
      deps.logger.child({ component: 'readiness' }),
    );
    this.scheduleStore = ports.scheduleStore ?? new SqliteScheduleStore({ file: ':memory:' }, deps.logger);
    this.deliveryStore = ports.deliveryStore ?? new SqliteDeliveryStore({ file: ':memory:' }, deps.logger);
    ({ intake: this.webhookIntake, dispatcher: this.webhookDispatcher } = createWebhookDelivery(config.webhooks, {
      store: this.deliveryStore,
      runner: ports.runner,
      starter: ports.starter,
      clock: this.clock,
      logger: deps.logger,
      redact: (text) => this.redactor.redactString(text),
    }));
    this.scheduler = new Scheduler(
      [
        ledgerPruneJob({ ledger: ports.ledger, scheduleStore: this.scheduleStore, deliveries: this.deliveryStore, cron: config.ledger.pruneCron, maxAgeMs: config.ledger.retentionMs, keep: config.ledger.keep, clock: this.clock, logger: deps.logger }),
        ...config.schedules.map((schedule) => triggerJob(schedule, { runner: ports.runner, starter: ports.starter, retry: config.worker.retry, clock: this.clock, logger: deps.logger })),
      ],
      { store: this.scheduleStore, clock: this.clock, logger: deps.logger },
    );
    const app = createApp({
      readiness: this.readiness,
      active: this.active,
      tokens: this.tokens,
      store: ports.store,
      logger: deps.logger.child({ component: 'http' }),
      schedules: this.scheduler,
      webhooks: config.webhooks,
      notices: { notice: (n) => this.onBuildNotice(n) },
      codepipelineEvents: { token: config.events.codepipelineToken, actionType: config.actionType },
      // Read at call time: the worker exists only once start() ran.
      wakeWorker: (reason) => this.worker?.wake(reason),
      webhookIntake: this.webhookIntake,
    });
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
    this.watch = new BuildWatch(ports.runner, this.clock, { statusIntervalMs: config.worker.statusIntervalMs }, deps.logger.child({ component: 'build-watch' }));
    const jobRunner = new JobRunner({
      ...ports,
      watch: this.watch,
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
        maxConcurrentPublishes: config.artifacts.maxConcurrentUploads,
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
    this.readiness.start();
    this.worker.start();
    this.scheduler.start();
    // Targets recorded pending by a previous run (crash, or stop during a Jenkins outage).
    this.webhookDispatcher.resume();
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
      await this.scheduler.stop();
      await this.worker?.close(options);
      this.watch?.close();
      this.readiness.stop();
      await this.http.stop();
      await this.webhookDispatcher.close();
      this.ports.ledger.close();
      this.scheduleStore.close();
      this.deliveryStore.close();
      this.deps.logger.info('pipeline-bridge stopped');
    })();
    return this.stopping;
  }

  /** Second signal: abort running jobs now (each still reports its failure). */
  forceStop(): void {
    this.worker?.abortJobs('forced shutdown');
  }

  /** A Jenkins build notification arrived (POST /webhooks/jenkins, already authenticated). */
  /** A Jenkins notification: the named build is looked at now (before start or after stop: dropped). */
  private onBuildNotice(notice: BuildNotice): void {
    this.deps.logger.debug('build notice', { project: notice.project, buildNumber: notice.buildNumber, queueId: notice.queueId, phase: notice.phase });
    this.watch?.notice(notice);
  }
}
