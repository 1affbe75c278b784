import { JSONPath } from 'jsonpath-plus';
import type { PathsKnowledge } from './build-event';

/**
 * JSONPath evaluation over an untrusted body. The paths themselves come from config; `eval: 'safe'`
 * keeps filter expressions (`[?(@.x)]`) in jsonpath-plus' sandboxed evaluator, never `eval`.
 */
export function evaluate(path: string, json: unknown): unknown[] {
  const found = JSONPath({ path, json: json as object, wrap: true, eval: 'safe', ignoreEvalErrors: true }) as unknown;
  return Array.isArray(found) ? found : [];
}

/**
 * One variable's text from its JSONPath results: nothing → "", one scalar → its text, objects
 * → JSON, several results → joined with "," (GWT renders lists as JSON; a flat list suits
 * job parameters better).
 */
export function valueText(results: readonly unknown[]): string {
  return results.map(scalarText).join(',');
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Changed files from the configured JSONPaths: every string result, de-duplicated, in order. */
export function mappedPaths(paths: string | readonly string[] | undefined, json: unknown): PathsKnowledge {
  if (paths === undefined) return { unknown: 'this generic source maps no changed paths (changedPaths)' };
  const seen = new Set<string>();
  for (const path of typeof paths === 'string' ? [paths] : paths) {
    for (const value of evaluate(path, json).flat()) if (typeof value === 'string') seen.add(value);
  }
  return { paths: [...seen] };
}
