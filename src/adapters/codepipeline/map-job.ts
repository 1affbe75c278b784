import type { Artifact, Job, JobData, JobDetails } from '@aws-sdk/client-codepipeline';
import type { JobArtifact, PipelineJob } from '../../ports/pipeline-job';

/**
 * SDK `Job` (PollForJobs, with nonce) or `JobDetails` (GetJobDetails, without) → the domain job.
 * Copies every field, so no SDK object leaves this folder.
 */
export function toPipelineJob(job: Job | JobDetails): PipelineJob {
  const data: JobData = job.data ?? {};
  const type = data.actionTypeId;
  const context = data.pipelineContext;
  const credentials = data.artifactCredentials;
  return {
    id: job.id ?? '',
    ...('nonce' in job && job.nonce ? { nonce: job.nonce } : {}),
    ...(job.accountId ? { accountId: job.accountId } : {}),
    actionType: {
      category: type?.category ?? '',
      owner: type?.owner ?? '',
      provider: type?.provider ?? '',
      version: type?.version ?? '',
    },
    configuration: { ...(data.actionConfiguration?.configuration ?? {}) },
    pipeline: {
      pipelineName: context?.pipelineName ?? '',
      ...(context?.pipelineArn ? { pipelineArn: context.pipelineArn } : {}),
      ...(context?.pipelineExecutionId ? { pipelineExecutionId: context.pipelineExecutionId } : {}),
      stage: context?.stage?.name ?? '',
      action: context?.action?.name ?? '',
      ...(context?.action?.actionExecutionId ? { actionExecutionId: context.action.actionExecutionId } : {}),
    },
    inputArtifacts: (data.inputArtifacts ?? []).map(toArtifact),
    outputArtifacts: (data.outputArtifacts ?? []).map(toArtifact),
    ...(credentials?.accessKeyId && credentials.secretAccessKey && credentials.sessionToken
      ? { credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken } }
      : {}),
    ...(data.encryptionKey?.id ? { encryptionKey: { id: data.encryptionKey.id, type: data.encryptionKey.type ?? 'KMS' } } : {}),
    ...(data.continuationToken ? { continuationToken: data.continuationToken } : {}),
  };
}

function toArtifact(artifact: Artifact): JobArtifact {
  const s3 = artifact.location?.s3Location;
  return {
    name: artifact.name ?? '',
    ...(artifact.revision ? { revision: artifact.revision } : {}),
    location: { bucket: s3?.bucketName ?? '', key: s3?.objectKey ?? '' },
  };
}
