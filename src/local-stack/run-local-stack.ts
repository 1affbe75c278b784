import { demoJenkinsJobs, legacyJenkinsJobs } from './demo-jobs';
import { startLocalStack } from './start-local-stack';

/**
 * `npm run local-stack`: the local CodePipeline, S3 and Jenkins on fixed loopback ports, for
 * running the bridge (`npm start`) against them from another terminal, as against real systems.
 */
async function main(): Promise<void> {
  const port = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const stack = await startLocalStack({
    jenkinsJobs: [...demoJenkinsJobs(), ...legacyJenkinsJobs()],
    ports: { codepipeline: port('codepipeline-port', 4600), s3: port('s3-port', 4601), jenkins: port('jenkins-port', 4602) },
  });
  // The pipeline the README's webhook example starts on a tag push.
  stack.codepipeline.declarePipeline({ name: 'app-release', sourceActions: [{ name: 'Source' }] });
  console.log('local stack up:');
  console.log(`  CodePipeline ${stack.codepipeline.url}  (admin: POST ${stack.codepipeline.url}/__local/jobs, GET ${stack.codepipeline.url}/__local/jobs)`);
  console.log(`  S3           ${stack.s3.url}  (bucket ${stack.bucket})`);
  console.log(`  Jenkins      ${stack.jenkins.url}  (user ${stack.jenkinsUser})`);
  console.log(`  Jenkins jobs: ${[...demoJenkinsJobs(), ...legacyJenkinsJobs()].map((j) => j.name).join(', ')}`);
  console.log(`  Pipelines (StartPipelineExecution): app-release  (GET ${stack.codepipeline.url}/__local/executions)`);
  console.log('\nrun the bridge against it in another terminal:');
  console.log(Object.entries(stack.env).map(([k, v]) => `  export ${k}=${v}`).join('\n'));
  console.log('  npm start');
  console.log('\nthen create a job:');
  console.log(
    `  curl -s -X POST ${stack.codepipeline.url}/__local/jobs -H 'content-type: application/json' -d '${JSON.stringify({
      actionTypeId: stack.actionType,
      configuration: { ProjectName: 'demo/outputs' },
      pipelineName: 'manual',
      outputArtifacts: [{ name: 'Dist', bucket: stack.bucket, key: 'manual/Dist/1' }],
    })}'`,
  );
  const stop = async () => {
    await stack.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('local stack failed:', error);
  process.exit(1);
});
