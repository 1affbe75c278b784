/**
 * The `tree=` query of Jenkins' remote API (hudson.model.Api / stapler TreePruner):
 * `a,b[c,d],builds[number,url]{0,10}`. Selected keys keep the object's own order; `_class` is always
 * kept; an object or array of objects selected without `[...]` shrinks to its `_class`.
 */

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

export function applyTree(value: unknown, nodes: TreeNode[] | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => applyTree(v, nodes));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if ('_class' in obj) out['_class'] = obj['_class'];
  if (!nodes) return out;
  for (const [key, v] of Object.entries(obj)) {
    const node = nodes.find((n) => n.name === key);
    if (!node || key === '_class') continue;
    let selected = v;
    if (Array.isArray(selected) && node.range) selected = selected.slice(node.range.from, node.range.to);
    out[key] = applyTree(selected, node.children);
  }
  return out;
}
