import { randomBytes } from 'node:crypto';
import { startLocalCodePipeline, type EventDeliveryOptions, type EventTarget, type LocalCodePipeline } from './codepipeline';
import { startJenkinsSimulator, type JenkinsSimulator, type SimJobDefinition, type SimNotificationEndpoint } from './jenkins';
import { startLocalS3, type LocalS3 } from './s3';
import { zipBuffer } from './zip-buffer';

export const LOCAL_ARTIFACT_BUCKET = 'codepipeline-us-east-1-000000000000';
export const LOCAL_REGION = 'us-east-1';
const LOCAL_JENKINS_USER = 'bridge';

export interface LocalStackOptions {
  jenkinsJobs?: SimJobDefinition[];
  host?: string;
  ports?: { codepipeline?: number; s3?: number; jenkins?: number };
  /** How long issued artifact credentials live (real CodePipeline: about 15 minutes). */
  credentialsTtlMs?: number;
  /** Real CodePipeline re-offers an unacknowledged job after about 30 s. */
  ackTimeoutMs?: number;
  continuationDelayMs?: number;
  jenkinsQuietPeriodMs?: number;
  jenkinsExecutors?: number;
  /**
   * Notification plugin endpoints on every simulated job (e.g. the bridge's
   * `/webhooks/jenkins?token=…`). Set later with `stack.jenkins.setNotificationEndpoints()` when
   * the bridge's port is only known after it starts.
   */
  jenkinsNotifications?: SimNotificationEndpoint[];
  actionType?: { category: string; provider: string; version: string };
  /**
   * EventBridge-like "CodePipeline Action Execution State Change" deliveries from the local
   * CodePipeline to API-destination targets (e.g. a bridge's POST /events/codepipeline). Targets
   * can also be set later with `codepipeline.setEventTargets` (once the bridge's port is known).
   */
  codepipelineEvents?: { targets?: EventTarget[]; delivery?: EventDeliveryOptions };
}

export interface SubmitJobInput {
  project: string;
  pipelineName?: string;
  stage?: string;
  action?: string;
  /** Each input artifact as files; zipped and stored in the artifact bucket like a source action would. */
  inputs?: { name: string; files: Record<string, string | Buffer>; revision?: string }[];
  outputs?: string[];
  encryptionKeyId?: string;
}

export interface LocalStack {
  codepipeline: LocalCodePipeline;
  s3: LocalS3;
  jenkins: JenkinsSimulator;
  bucket: string;
  region: string;
  actionType: { category: string; provider: string; version: string };
  jenkinsUser: string;
  jenkinsToken: string;
  /** Environment that points `npm start` (or any bridge) at this stack. */
  env: Record<string, string>;
  submitJob(input: SubmitJobInput): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts local S3, CodePipeline and Jenkins on loopback, wired together as in AWS: the
 * CodePipeline stand-in issues per-job artifact credentials that the S3 stand-in accepts (and
 * lets expire), and the Jenkins action type is registered as the AWS CDK registers it.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const actionType = options.actionType ?? { category: 'Build', provider: 'Jenkins', version: '1' };
  const jenkinsToken = randomBytes(17).toString('hex');
  const s3 = await startLocalS3({ host, port: options.ports?.s3 ?? 0, buckets: [LOCAL_ARTIFACT_BUCKET] });
  let codepipeline: LocalCodePipeline | undefined;
  let jenkins: JenkinsSimulator | undefined;
  try {
    const ttl = options.credentialsTtlMs ?? 15 * 60_000;
    codepipeline = await startLocalCodePipeline({
      host,
      port: options.ports?.codepipeline ?? 0,
      region: LOCAL_REGION,
      credentialsTtlMs: ttl,
      ...(options.ackTimeoutMs !== undefined ? { ackTimeoutMs: options.ackTimeoutMs } : {}),
      ...(options.continuationDelayMs !== undefined ? { continuationDelayMs: options.continuationDelayMs } : {}),
      ...(options.codepipelineEvents?.targets ? { eventTargets: options.codepipelineEvents.targets } : {}),
      ...(options.codepipelineEvents?.delivery ? { eventDelivery: options.codepipelineEvents.delivery } : {}),
      issueCredentials: () => {
        const credentials = {
          accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
          secretAccessKey: randomBytes(30).toString('base64'),
          sessionToken: randomBytes(48).toString('base64'),
        };
        const expiresAt = Date.now() + ttl;
        s3.registerCredentials(credentials, { expiresAt });
        return { ...credentials, expiresAt };
      },
    });
    jenkins = await startJenkinsSimulator({
      host,
      port: options.ports?.jenkins ?? 0,
      users: [{ user: LOCAL_JENKINS_USER, apiToken: jenkinsToken }],
      ...(options.jenkinsQuietPeriodMs !== undefined ? { quietPeriodMs: options.jenkinsQuietPeriodMs } : {}),
      ...(options.jenkinsExecutors !== undefined ? { executors: options.jenkinsExecutors } : {}),
      ...(options.jenkinsNotifications ? { notificationEndpoints: options.jenkinsNotifications } : {}),
      jobs: options.jenkinsJobs ?? [],
    });
    codepipeline.createActionType({
      ...actionType,
      settings: {
        entityUrlTemplate: `${jenkins.url}job/{Config:ProjectName}`,
        executionUrlTemplate: `${jenkins.url}job/{Config:ProjectName}/{ExternalExecutionId}`,
      },
      configurationProperties: [{ name: 'ProjectName', required: true, key: true, secret: false, queryable: true, type: 'String' }],
    });
  } catch (error) {
    await Promise.allSettled([s3.close(), codepipeline?.close(), jenkins?.close()]);
    throw error;
  }
  const cp = codepipeline;
  const jk = jenkins;

  const stack: LocalStack = {
    codepipeline: cp,
    s3,
    jenkins: jk,
    bucket: LOCAL_ARTIFACT_BUCKET,
    region: LOCAL_REGION,
    actionType,
    jenkinsUser: LOCAL_JENKINS_USER,
    jenkinsToken,
    env: {
      AWS_REGION: LOCAL_REGION,
      // The local CodePipeline checks that requests are signed, not by whom.
      AWS_ACCESS_KEY_ID: 'AKIALOCALSTACK0000000',
      AWS_SECRET_ACCESS_KEY: 'local-stack-secret',
      AWS_ENDPOINT_URL_CODEPIPELINE: cp.url,
      AWS_ENDPOINT_URL_S3: s3.url,
      BRIDGE_S3_FORCE_PATH_STYLE: 'true',
      // s3rver stores aws-chunked (streamed, trailing-checksum) bodies verbatim; real S3 does not need this.
      BRIDGE_S3_CHECKSUMS: 'WHEN_REQUIRED',
      BRIDGE_ACTION_CATEGORY: actionType.category,
      BRIDGE_ACTION_PROVIDER: actionType.provider,
      BRIDGE_ACTION_VERSION: actionType.version,
      JENKINS_URL: jk.url,
      JENKINS_USER: LOCAL_JENKINS_USER,
      JENKINS_API_TOKEN: jenkinsToken,
    },
    async submitJob(input) {
      const pipelineName = input.pipelineName ?? 'local-pipeline';
      const suffix = () => randomBytes(4).toString('hex');
      const inputArtifacts = [];
      for (const artifact of input.inputs ?? []) {
        const key = `${pipelineName.slice(0, 20)}/${artifact.name.slice(0, 20)}/${suffix()}`;
        await s3.putObject(LOCAL_ARTIFACT_BUCKET, key, await zipBuffer(artifact.files), 'application/zip');
        inputArtifacts.push({ name: artifact.name, bucket: LOCAL_ARTIFACT_BUCKET, key, revision: artifact.revision ?? randomBytes(20).toString('hex') });
      }
      const outputArtifacts = (input.outputs ?? []).map((name) => ({
        name,
        bucket: LOCAL_ARTIFACT_BUCKET,
        key: `${pipelineName.slice(0, 20)}/${name.slice(0, 20)}/${suffix()}`,
      }));
      return cp.createJob({
        actionTypeId: { ...actionType, owner: 'Custom' },
        configuration: { ProjectName: input.project },
        pipelineName,
        stage: input.stage ?? 'Build',
        action: input.action ?? input.project.replace(/[^A-Za-z0-9.@_-]/g, '-'),
        pipelineExecutionId: randomBytes(16).toString('hex').replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5'),
        inputArtifacts,
        outputArtifacts,
        ...(input.encryptionKeyId ? { encryptionKey: { id: input.encryptionKeyId, type: 'KMS' as const } } : {}),
      });
    },
    async close() {
      await Promise.allSettled([jk.close(), cp.close(), s3.close()]);
    },
  };
  return stack;
}
