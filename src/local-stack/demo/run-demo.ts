import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/load-config';
import { createWinstonLogger } from '../../adapters/winston/winston-logger';
import { createAdapters } from '../../adapters/create-adapters';
import { Bridge } from '../../bridge';
import { formatBytes, formatDuration } from '../../core/jobs/progress';
import { demoJenkinsJobs } from '../demo-jobs';
import { startLocalStack, type LocalStack, type SubmitJobInput } from '../start-local-stack';
import { listZip } from './list-zip';

interface DemoCase {
  title: string;
  expect: 'Succeeded' | 'Failed';
  job: SubmitJobInput;
}

const SOURCE = {
  name: 'SourceOutput',
  revision: '4d705f846285a6ffe42a1e3764930875ddec9d82',
  files: {
    'README.md': '# hello pipeline\n',
    'src/app.js': 'console.log("hello from the pipeline");\n',
    'src/util/strings.js': 'module.exports = (s) => s.trim();\n',
  },
};

const CASES: DemoCase[] = [
  { title: 'build with input and output artifacts', expect: 'Succeeded', job: { project: 'demo/transform', inputs: [SOURCE], outputs: ['BuildOutput'] } },
  {
    title: 'same, pipeline with a KMS key',
    expect: 'Succeeded',
    job: { project: 'demo/transform', pipelineName: 'kms-pipeline', inputs: [SOURCE], outputs: ['BuildOutput'], encryptionKeyId: 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
  },
  { title: 'several output artifacts', expect: 'Succeeded', job: { project: 'demo/multi-output', inputs: [SOURCE], outputs: ['WebApp', 'Infra'] } },
  { title: 'output variables', expect: 'Succeeded', job: { project: 'demo/outputs', outputs: ['Dist'] } },
  { title: 'failing build', expect: 'Failed', job: { project: 'demo/failing', inputs: [SOURCE] } },
  { title: 'Jenkins job without the CODEPIPELINE_* parameters', expect: 'Failed', job: { project: 'demo/unconfigured' } },
  { title: 'unknown Jenkins job', expect: 'Failed', job: { project: 'demo/does-not-exist' } },
];

/** Demo-only shared secrets between the local stack and the bridge (a deployment sets its own). */
const DEMO_NOTIFY_TOKEN = 'demo-jenkins-notification-token';
const DEMO_EVENTS_TOKEN = 'demo-eventbridge-token';

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const started = Date.now();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pipeline-bridge-demo-'));
  console.log('pipeline-bridge demo: starting the local CodePipeline, S3 and Jenkins on loopback…');
  const stack = await startLocalStack({ jenkinsJobs: demoJenkinsJobs() });
  const config = loadConfig(
    {
      ...stack.env,
      BRIDGE_HTTP_HOST: '127.0.0.1',
      BRIDGE_HTTP_PORT: keep ? '8080' : '0',
      BRIDGE_DATA_DIR: dataDir,
      BRIDGE_LOG_LEVEL: 'debug',
      // Push channels, as a production setup would have them: Jenkins notifications end a job the
      // moment its build does, EventBridge events start a poll the moment a job is queued.
      BRIDGE_WEBHOOK_JENKINS_TOKEN: DEMO_NOTIFY_TOKEN,
      BRIDGE_EVENTS_TOKEN: DEMO_EVENTS_TOKEN,
    },
    {},
  );
  // The bridge's own JSON log goes to a file (stdout shows it with --verbose) so the summary stays readable.
  const logFile = path.join(tmpdir(), 'pipeline-bridge-demo.log');
  const logger = createWinstonLogger({
    level: config.log.level,
    format: config.log.format,
    ...(process.argv.includes('--verbose') ? {} : { stream: createWriteStream(logFile) }),
  });
  const bridge = new Bridge(config, createAdapters(config, logger), { logger });
  await bridge.start();
  stack.jenkins.setNotificationEndpoints([{ url: `${bridge.url}/webhooks/jenkins?token=${DEMO_NOTIFY_TOKEN}`, event: 'all' }]);
  stack.codepipeline.setEventTargets([{ url: `${bridge.url}/events/codepipeline`, authorization: `Bearer ${DEMO_EVENTS_TOKEN}` }]);
  console.log(`  CodePipeline ${stack.codepipeline.url}   S3 ${stack.s3.url}   Jenkins ${stack.jenkins.url}   bridge ${bridge.url}\n`);

  try {
    const submitted = [];
    for (const demo of CASES) submitted.push({ demo, jobId: await stack.submitJob(demo.job), at: Date.now() });
    console.log(`submitted ${submitted.length} CodePipeline jobs for action type Custom/${stack.actionType.category}/${stack.actionType.provider}/${stack.actionType.version}\n`);

    let mismatches = 0;
    for (const [index, { demo, jobId, at }] of submitted.entries()) {
      const job = await stack.codepipeline.waitForCompletion(jobId, { timeoutMs: 120_000 });
      const took = Date.now() - at;
      const ok = job.status === demo.expect;
      if (!ok) mismatches++;
      console.log(`${index + 1}. ${demo.title}  [${demo.job.project}]`);
      console.log(`   ${ok ? 'as expected' : 'UNEXPECTED'}: ${job.status} after ${formatDuration(took)} (job ${jobId})`);
      if (job.result?.kind === 'success') {
        const d = job.result.executionDetails;
        console.log(`   summary: ${d?.summary ?? '-'}   (externalExecutionId ${d?.externalExecutionId ?? '-'} → ${stack.jenkins.url}job/${demo.job.project.split('/').join('/job/')}/${d?.externalExecutionId ?? ''})`);
        if (job.result.outputVariables) console.log(`   output variables: ${JSON.stringify(job.result.outputVariables)}`);
        for (const artifact of job.data.outputArtifacts ?? []) await printArtifact(stack, artifact.name, artifact.location.s3Location.bucketName, artifact.location.s3Location.objectKey);
      } else if (job.result?.kind === 'failure') {
        const f = job.result.failureDetails;
        const message = f.message.split('\n');
        console.log(`   ${f.type}: ${message[0]}`);
        for (const line of message.slice(1).slice(-4)) console.log(`      | ${line}`);
      }
      console.log('');
    }
    const stats = bridge.jobWorker?.stats;
    console.log(`done in ${formatDuration(Date.now() - started)}: ${submitted.length - mismatches}/${submitted.length} jobs ended as expected; bridge polled ${stats?.polls ?? 0} times (${stats?.wakes ?? 0} woken by EventBridge events), acknowledged ${stats?.acknowledged ?? 0} jobs; Jenkins sent ${stack.jenkins.notifications.length} build notifications.`);
    if (!process.argv.includes('--verbose')) console.log(`bridge log (JSON lines): ${logFile}`);
    if (keep) {
      console.log('\n--keep: the stack and the bridge stay up. Point another bridge at it with:');
      for (const [k, v] of Object.entries(stack.env)) console.log(`  export ${k}=${v}`);
      console.log(`Create more jobs: curl -X POST ${stack.codepipeline.url}/__local/jobs -H 'content-type: application/json' -d '{"actionTypeId":{"category":"Build","provider":"Jenkins","version":"1"},"configuration":{"ProjectName":"demo/outputs"},"outputArtifacts":[{"name":"Dist","bucket":"${stack.bucket}","key":"manual/Dist/1"}]}'`);
      console.log('Ctrl-C to stop.');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    process.exitCode = mismatches === 0 ? 0 : 1;
  } finally {
    await bridge.stop({ graceMs: 1_000 });
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function printArtifact(stack: LocalStack, name: string, bucket: string, key: string): Promise<void> {
  const body = await stack.s3.getObject(bucket, key);
  const entries = await listZip(body);
  const sse = stack.s3.objectEncryption(bucket, key);
  console.log(`   artifact ${name}: s3://${bucket}/${key}  ${formatBytes(body.length)}, ${entries.length} file(s), SSE ${sse?.sse ?? 'none'}${sse?.kmsKeyId ? ` (key ${sse.kmsKeyId})` : ''}`);
  for (const entry of entries.slice(0, 5)) console.log(`      - ${entry}`);
  if (entries.length > 5) console.log(`      - … ${entries.length - 5} more`);
}

main().catch((error: unknown) => {
  console.error('demo failed:', error);
  process.exit(1);
});
