import type { SimBuildContext } from '../types';
import type { InputArtifactParam } from '../../../core/jobs/build-parameters';

/** One entry of CODEPIPELINE_INPUT_ARTIFACTS: the bridge's own contract type. */
export type { InputArtifactParam };

function parseJson(ctx: SimBuildContext, name: string): unknown {
  const raw = ctx.params[name];
  if (raw === undefined || raw.trim() === '') return [];
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`Parameter ${name} is not valid JSON`);
  }
}

export function inputArtifacts(ctx: SimBuildContext): InputArtifactParam[] {
  const value = parseJson(ctx, 'CODEPIPELINE_INPUT_ARTIFACTS');
  if (!Array.isArray(value)) throw new Error('CODEPIPELINE_INPUT_ARTIFACTS must be a JSON array');
  return value.map((v: Partial<InputArtifactParam>, i) => {
    if (typeof v?.name !== 'string' || typeof v.url !== 'string') {
      throw new Error(`CODEPIPELINE_INPUT_ARTIFACTS[${i}] needs string "name" and "url"`);
    }
    return { name: v.name, url: v.url, bucket: String(v.bucket ?? ''), key: String(v.key ?? ''), revision: v.revision ?? null };
  });
}

export function outputArtifactNames(ctx: SimBuildContext): string[] {
  const value = parseJson(ctx, 'CODEPIPELINE_OUTPUT_ARTIFACTS');
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new Error('CODEPIPELINE_OUTPUT_ARTIFACTS must be a JSON array of names');
  }
  return value as string[];
}

/**
 * Where a script archives files for the outputs, following the bridge's convention: one output
 * artifact takes every archived file; several take the files under a folder named after each.
 */
export function outputPrefixes(ctx: SimBuildContext): string[] {
  const names = outputArtifactNames(ctx);
  return names.length <= 1 ? [''] : names.map((n) => `${n}/`);
}

/** A URL safe to log: no query string (pre-signed or token-bearing URLs carry secrets there). */
export function loggableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
