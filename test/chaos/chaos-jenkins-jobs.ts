import { createHash } from 'node:crypto';
import type { SimBuildContext, SimJobDefinition } from '../../src/local-stack/jenkins';
import { inputArtifacts, loggableUrl } from '../../src/local-stack/jenkins/scripts/pipeline-params';
import { REQUIRED_PARAMETERS } from '../../src/core/jobs/build-parameters';
import type { SeededRandom } from './seeded-random';

export const CHAOS_OK_JOB = 'chaos/ok';
export const CHAOS_FAIL_JOB = 'chaos/fail';
/** The file every chaos/ok build archives: the harness checks it arrived in the output artifact. */
export const CHAOS_RESULT_FILE = 'result.txt';
export const CHAOS_FAILURE_LINE = 'ERROR: chaos/fail fails on purpose';

/**
 * How long a build keeps retrying the download of an input artifact. The URL points at the
 * bridge, which the harness kills and restarts; a real Jenkinsfile would use `curl --retry` the
 * same way. Long enough to cover a restart and a resume, short enough to finish in the run.
 */
const DOWNLOAD_RETRY_MS = 20_000;
const DOWNLOAD_PAUSE_MS = 250;

const declared = REQUIRED_PARAMETERS.map((name) => ({
  name,
  type: name === 'CODEPIPELINE_INPUT_ARTIFACTS' ? ('text' as const) : ('string' as const),
  default: name.endsWith('_ARTIFACTS') ? '[]' : '',
}));

/**
 * The two Jenkins jobs of the chaos run. Durations come from `random`, a stream that does not
 * depend on the parameters, so a duplicate build of the same job does not mirror the first one.
 */
export function chaosJenkinsJobs(random: SeededRandom): SimJobDefinition[] {
  return [
    {
      name: CHAOS_OK_JOB,
      kind: 'pipeline',
      parameters: declared,
      script: async (ctx) => {
        const ms = random.int(200, 4_000);
        const jobId = ctx.params.CODEPIPELINE_JOB_ID ?? '';
        ctx.log(`chaos/ok for job ${jobId}: will take ${ms} ms`);
        const inputs: string[] = [];
        for (const input of inputArtifacts(ctx)) inputs.push(`${input.name} sha256=${await download(ctx, input.name, input.url)}`);
        await ctx.sleep(ms);
        await ctx.archive(CHAOS_RESULT_FILE, `job=${jobId}\nbuild=${ctx.number}\ninputs=${inputs.join(',')}\n`);
        ctx.log(`Archived ${CHAOS_RESULT_FILE}`);
        return 'SUCCESS';
      },
    },
    {
      name: CHAOS_FAIL_JOB,
      kind: 'freestyle',
      parameters: declared,
      script: async (ctx) => {
        await ctx.sleep(random.int(100, 600));
        ctx.log(CHAOS_FAILURE_LINE);
        return 'FAILURE';
      },
    },
  ];
}

/** Downloads one input zip from the bridge, retrying while the bridge restarts. Returns its sha256. */
async function download(ctx: SimBuildContext, name: string, url: string): Promise<string> {
  const deadline = Date.now() + DOWNLOAD_RETRY_MS;
  let lastProblem = '';
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { signal: ctx.signal });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.ok && body.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
        ctx.log(`Downloaded input "${name}" (${body.length} bytes) from ${loggableUrl(url)} on attempt ${attempt}`);
        return createHash('sha256').update(body).digest('hex');
      }
      lastProblem = res.ok ? 'HTTP 200 but not a zip' : `HTTP ${res.status}`;
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      lastProblem = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
    }
    if (Date.now() >= deadline) throw new Error(`Download of input "${name}" failed after ${attempt} attempts: ${lastProblem}`);
    ctx.log(`Download of input "${name}" failed (${lastProblem}); retrying`);
    await ctx.sleep(DOWNLOAD_PAUSE_MS);
  }
}
