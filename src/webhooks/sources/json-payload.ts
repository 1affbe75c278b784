/**
 * Reading sender payloads: JSON from the exact bytes, and small typed accessors so a missing or
 * mistyped field reads as undefined instead of throwing.
 */

export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: string };

/** Decodes UTF-8 (non-ASCII commit messages and names survive) and parses; never throws. */
export function parseJson(text: string, what = 'body'): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: `${what} is not valid JSON: ${(error as Error).message}` };
  }
}

export function parseJsonObject(raw: Buffer | string, what = 'body'): JsonParse {
  const parsed = parseJson(typeof raw === 'string' ? raw : raw.toString('utf8'), what);
  if (parsed.ok && !isObject(parsed.value)) return { ok: false, reason: `${what} is JSON but not an object` };
  return parsed;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path of keys, or undefined where any step is missing. */
export function at(value: unknown, ...keys: readonly (string | number)[]): unknown {
  let node = value;
  for (const key of keys) {
    if (typeof key === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[key];
    } else {
      if (!isObject(node)) return undefined;
      node = node[key];
    }
  }
  return node;
}

/** A string or number at the path, as text; undefined for anything else (null, objects, absent). */
export function text(value: unknown, ...keys: readonly (string | number)[]): string | undefined {
  const v = at(value, ...keys);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function list(value: unknown, ...keys: readonly (string | number)[]): readonly unknown[] {
  const v = at(value, ...keys);
  return Array.isArray(v) ? v : [];
}

/** First defined, non-empty text among candidates. */
export function firstText(...candidates: readonly (string | undefined)[]): string {
  for (const c of candidates) if (c !== undefined && c !== '') return c;
  return '';
}
