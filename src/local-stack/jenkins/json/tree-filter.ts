/**
 * The `tree=` query of Jenkins' remote API (hudson.model.Api / stapler NamedPathPruner):
 * `a,b[c,d],builds[number,url]{0,10}`. Selected keys keep the object's own order; `_class` is always
 * kept; an object or array of objects selected without `[...]` shrinks to its `_class`; `*` selects
 * every key not named at its level. Ranges (Stapler `Range`) apply to any collection at any level:
 * `{M,N}` = [M, N), `{M,}` = from M, `{,N}` = first N, `{N}` = just index N.
 */

/**
 * A value rendered only when a `tree=` selection reaches it, as Stapler calls an exported getter
 * only for selected properties (e.g. a permalink's Run).
 */
export class Lazy {
  constructor(readonly resolve: () => unknown) {}
}

/**
 * A collection materialised only for the selected range, like Jenkins' RunList under a Stapler
 * Range (`allBuilds{0,50}` renders 50 runs, not the job's whole history).
 */
export class LazyList {
  constructor(
    readonly length: number,
    readonly slice: (from: number, to: number) => unknown[],
  ) {}
}

export interface TreeNode {
  name: string;
  children: TreeNode[] | undefined;
  range: { from: number; to: number | undefined } | undefined;
}

export class TreeSyntaxError extends Error {}

export function parseTree(spec: string): TreeNode[] {
  const text = spec.replace(/\s+/g, '');
  let pos = 0;
  const list = (): TreeNode[] => {
    const nodes: TreeNode[] = [];
    for (;;) {
      const start = pos;
      while (pos < text.length && !',[]{}'.includes(text[pos]!)) pos++;
      const name = text.slice(start, pos);
      if (name === '') throw new TreeSyntaxError(`Malformed tree expression at ${start}: ${spec}`);
      let children: TreeNode[] | undefined;
      let range: TreeNode['range'];
      if (text[pos] === '[') {
        pos++;
        children = list();
        if (text[pos] !== ']') throw new TreeSyntaxError(`Unbalanced '[' in tree expression: ${spec}`);
        pos++;
      }
      if (text[pos] === '{') {
        const end = text.indexOf('}', pos);
        if (end < 0) throw new TreeSyntaxError(`Unbalanced '{' in tree expression: ${spec}`);
        range = parseRange(text.slice(pos + 1, end), spec);
        pos = end + 1;
      }
      nodes.push({ name, children, range });
      if (text[pos] !== ',') return nodes;
      pos++;
    }
  };
  const nodes = list();
  if (pos !== text.length) throw new TreeSyntaxError(`Unexpected '${text[pos]}' in tree expression: ${spec}`);
  return nodes;
}

/** `{M,N}` → [M, N); `{M,}` → from M; `{,N}` → up to N; `{N}` → just index N. */
function parseRange(body: string, spec: string): { from: number; to: number | undefined } {
  const num = (s: string): number => {
    if (!/^\d+$/.test(s)) throw new TreeSyntaxError(`Bad range {${body}} in tree expression: ${spec}`);
    return Number(s);
  };
  const comma = body.indexOf(',');
  if (comma < 0) {
    const n = num(body);
    return { from: n, to: n + 1 };
  }
  const from = body.slice(0, comma);
  const to = body.slice(comma + 1);
  return { from: from === '' ? 0 : num(from), to: to === '' ? undefined : num(to) };
}

/** Lazy values resolved; a LazyList materialised for `range` (all of it without one). */
function materialise(value: unknown, range: TreeNode['range']): unknown {
  const resolved = value instanceof Lazy ? value.resolve() : value;
  if (resolved instanceof LazyList) {
    const from = Math.min(range?.from ?? 0, resolved.length);
    const to = Math.min(range?.to ?? resolved.length, resolved.length);
    return to > from ? resolved.slice(from, to) : [];
  }
  if (Array.isArray(resolved) && range) return resolved.slice(range.from, range.to);
  return resolved;
}

export function applyTree(value: unknown, nodes: TreeNode[] | undefined): unknown {
  const current = materialise(value, undefined);
  if (Array.isArray(current)) return current.map((v) => applyTree(v, nodes));
  if (current === null || typeof current !== 'object') return current;
  const obj = current as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if ('_class' in obj) out['_class'] = obj['_class'];
  if (!nodes) return out;
  const wildcard = nodes.find((n) => n.name === '*');
  for (const [key, v] of Object.entries(obj)) {
    const node = nodes.find((n) => n.name === key) ?? wildcard;
    if (!node || key === '_class') continue;
    out[key] = applyTree(materialise(v, node.range), node.children);
  }
  return out;
}
