/**
 * Ready-made build scripts for the simulator (demo, tests, benchmarks). Each factory returns a
 * SimBuildScript; scripts read the bridge's CODEPIPELINE_* parameters where relevant.
 */
import { generatedStream } from './scripts/generated-content';
import { outputArtifactNames, outputPrefixes } from './scripts/pipeline-params';
import type { SimBuildScript, SimResult } from './types';

export { transformInputs } from './scripts/transform-inputs';
export { inputArtifacts, outputArtifactNames, outputPrefixes, type InputArtifactParam } from './scripts/pipeline-params';

/** Logs a few lines, then reports FAILURE (not an exception: the "tests failed" kind of failure). */
export function failing(message = 'Build failed'): SimBuildScript {
  return async (ctx) => {
    ctx.log('Running checks...');
    ctx.log(`ERROR: ${message}`);
    return 'FAILURE';
  };
}

/** Sleeps `ms` in ≤ 1 s steps, logging progress after each; abortable by stop. */
export function sleeping(ms: number): SimBuildScript {
  return async (ctx) => {
    ctx.log(`Sleeping for ${ms} ms`);
    let elapsed = 0;
    while (elapsed < ms) {
      const step = Math.min(1_000, ms - elapsed);
      await ctx.sleep(step);
      elapsed += step;
      ctx.log(`... ${elapsed} ms elapsed`);
    }
    ctx.log('Done sleeping');
    return 'SUCCESS';
  };
}

/**
 * Archives a `<outputName>/…` folder per name in CODEPIPELINE_OUTPUT_ARTIFACTS (or `fallback`),
 * each with distinct content.
 */
export function multiOutput(fallback: string[] = ['out1', 'out2']): SimBuildScript {
  return async (ctx) => {
    const names = outputArtifactNames(ctx);
    for (const name of names.length > 0 ? names : fallback) {
      ctx.log(`Writing output artifact ${name}`);
      await ctx.archive(`${name}/README.txt`, `Output ${name} of ${ctx.job} #${ctx.number}\n`);
      await ctx.archive(`${name}/data/${name}.json`, `${JSON.stringify({ output: name, job: ctx.job, build: ctx.number })}\n`);
    }
  };
}

/** Archives `codepipeline-outputs.json` with `vars`, plus a result file for the output artifact(s). */
export function withOutputVariables(vars: Record<string, string | number | boolean>): SimBuildScript {
  return async (ctx) => {
    ctx.log(`Exporting ${Object.keys(vars).length} output variable(s)`);
    await ctx.archive('codepipeline-outputs.json', `${JSON.stringify(vars, null, 2)}\n`);
    for (const prefix of outputPrefixes(ctx)) {
      await ctx.archive(`${prefix}result.txt`, `Build ${ctx.job} #${ctx.number} exported ${Object.keys(vars).join(', ')}\n`);
    }
  };
}

/** Archives the given files verbatim (path → content) and returns `result`. */
export function archiving(files: Record<string, string | Buffer>, result: SimResult = 'SUCCESS'): SimBuildScript {
  return async (ctx) => {
    for (const [relativePath, content] of Object.entries(files)) {
      await ctx.archive(relativePath, content);
      ctx.log(`Archived ${relativePath}`);
    }
    return result;
  };
}

export interface GeneratedOptions {
  /** Total bytes per output artifact, split over `files`. */
  bytes: number;
  /** Default 1. */
  files?: number;
  /** Repetitive text (true) or random bytes (false, default). */
  compressible?: boolean;
}

/**
 * Benchmark build: each output artifact (folder when several) receives `files` generated files
 * totalling `bytes`, streamed to disk chunk by chunk.
 */
export function generated({ bytes, files = 1, compressible = false }: GeneratedOptions): SimBuildScript {
  return async (ctx) => {
    const count = Math.max(1, files);
    for (const prefix of outputPrefixes(ctx)) {
      for (let i = 0; i < count; i++) {
        const size = Math.floor(bytes / count) + (i < bytes % count ? 1 : 0);
        const name = `${prefix}data/part-${String(i + 1).padStart(4, '0')}.bin`;
        await ctx.archive(name, generatedStream(size, compressible));
        ctx.log(`Archived ${name} (${size} bytes)`);
      }
    }
  };
}
