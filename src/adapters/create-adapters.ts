import type { BridgeConfig } from '../config/schema';
import type { Logger } from '../ports/logger';
import type { BridgePorts } from '../bridge';
import { CodePipelineJobSource, CodePipelinePipelineStarter, type CodePipelineClientOptions } from './codepipeline';
import { createJenkinsBuildRunner } from './jenkins';
import { S3ArtifactStore } from './s3';
import { SqliteDeliveryStore, SqliteJobLedger, SqliteScheduleStore } from './sqlite';
import path from 'node:path';

/** Builds the real adapters from the config: one per external system, each owning its client. */
export function createAdapters(config: Readonly<BridgeConfig>, logger: Logger): BridgePorts {
  // The bridge's own CodePipeline identity and endpoint, for the job source and the pipeline starter alike.
  const codepipelineClient: CodePipelineClientOptions = {
    region: config.aws.region,
    ...(config.aws.codepipelineEndpoint ? { endpoint: config.aws.codepipelineEndpoint } : {}),
    ...(config.aws.accessKeyId && config.aws.secretAccessKey
      ? {
          credentials: {
            accessKeyId: config.aws.accessKeyId,
            secretAccessKey: config.aws.secretAccessKey,
            ...(config.aws.sessionToken ? { sessionToken: config.aws.sessionToken } : {}),
          },
        }
      : {}),
  };
  // One file holds all durable state: the ledger, schedule runs and webhook deliveries (own tables and connections).
  const ledgerFile = path.join(config.dataDir, 'ledger.sqlite3');
  return {
    source: new CodePipelineJobSource(
      { actionType: { ...config.actionType, owner: 'Custom' }, ...codepipelineClient },
      logger.child({ component: 'codepipeline' }),
    ),
    runner: createJenkinsBuildRunner(
      {
        baseUrl: config.jenkins.url,
        user: config.jenkins.user,
        apiToken: config.jenkins.apiToken,
        crumb: config.jenkins.crumb,
        requestTimeoutMs: config.jenkins.requestTimeoutMs,
      },
      logger.child({ component: 'jenkins' }),
    ),
    store: new S3ArtifactStore(
      {
        region: config.aws.region,
        ...(config.aws.s3Endpoint ? { endpoint: config.aws.s3Endpoint } : {}),
        forcePathStyle: config.s3.forcePathStyle,
        checksums: config.s3.checksums,
        partSizeBytes: config.s3.partSizeBytes,
        queueSize: config.s3.queueSize,
      },
      logger.child({ component: 's3' }),
    ),
    ledger: new SqliteJobLedger({ file: ledgerFile }, logger.child({ component: 'ledger' })),
    starter: new CodePipelinePipelineStarter(codepipelineClient, logger.child({ component: 'codepipeline' })),
    scheduleStore: new SqliteScheduleStore({ file: ledgerFile }, logger.child({ component: 'schedules' })),
    deliveryStore: new SqliteDeliveryStore({ file: ledgerFile }, logger.child({ component: 'webhooks' })),
  };
}
