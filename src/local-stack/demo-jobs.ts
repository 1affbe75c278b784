import type { SimJobDefinition } from './jenkins';
import { failing, multiOutput, sleeping, transformInputs, withOutputVariables } from './jenkins/scripts';
import { REQUIRED_PARAMETERS } from '../core/jobs/build-parameters';

const declared = REQUIRED_PARAMETERS.map((name) => ({
  name,
  type: name === 'CODEPIPELINE_INPUT_ARTIFACTS' ? ('text' as const) : ('string' as const),
  default: name.endsWith('_ARTIFACTS') ? '[]' : '',
}));

/**
 * Jenkins jobs of the local stack, used by the demo and the end-to-end tests. They behave like
 * real jobs written for the bridge: they declare the CODEPIPELINE_* parameters, download their
 * inputs from the URLs they are given, and archive their outputs.
 */
export function demoJenkinsJobs(): SimJobDefinition[] {
  return [
    { name: 'demo/transform', kind: 'pipeline', parameters: declared, script: transformInputs() },
    { name: 'demo/multi-output', kind: 'pipeline', parameters: declared, script: multiOutput() },
    { name: 'demo/failing', kind: 'freestyle', parameters: declared, script: failing('unit tests failed: 3 of 120') },
    { name: 'demo/slow', kind: 'pipeline', parameters: declared, script: sleeping(3_000) },
    { name: 'demo/outputs', kind: 'pipeline', parameters: declared, script: withOutputVariables({ IMAGE_TAG: 'v1.4.2', BUILD_FLAVOR: 'release' }) },
    // A legacy job that nobody taught about CodePipeline: the bridge must refuse to run it.
    { name: 'demo/unconfigured', kind: 'freestyle', parameters: [{ name: 'GIT_BRANCH', default: 'main' }], script: sleeping(100) },
  ];
}

/**
 * A legacy job started by source-control webhooks (README "Webhooks"): the parameters a
 * GitHub-plugin era job declares, filled by a route's templates.
 */
export function legacyJenkinsJobs(): SimJobDefinition[] {
  return [
    {
      name: 'legacy/app',
      kind: 'freestyle',
      parameters: [{ name: 'GIT_COMMIT', default: '' }, { name: 'GIT_BRANCH', default: 'main' }, { name: 'GIT_URL', default: '' }],
      script: sleeping(500),
    },
  ];
}
