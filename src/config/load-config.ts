import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { configSchema, type BridgeConfig } from './schema';
import { ENV_BINDINGS, type EnvBinding } from './env-mapping';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;
type Tree = Record<string, unknown>;

export interface LoadConfigOptions {
  /** Folder holding default.yaml; defaults to <package root>/config. */
  configDir?: string;
  /** Skip config/default.yaml (tests build configs from scratch). */
  skipDefaults?: boolean;
  /** Extra layer applied after files and before env (tests, the local stack). */
  overrides?: Tree;
}

/**
 * Reads the config once, in this order (later wins): config/default.yaml, the file named by
 * BRIDGE_CONFIG, `overrides`, then the environment variables of ENV_BINDINGS. Validates it,
 * with errors naming the bad key (and the env variable that set it), and returns a frozen value.
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Readonly<BridgeConfig> {
  const configDir = options.configDir ?? path.resolve(__dirname, '..', '..', 'config');
  let tree: Tree = {};
  if (!options.skipDefaults) tree = deepMerge(tree, readYaml(path.join(configDir, 'default.yaml'), false));
  const file = env.BRIDGE_CONFIG;
  if (file) tree = deepMerge(tree, readYaml(path.resolve(file), true));
  if (options.overrides) tree = deepMerge(tree, options.overrides);

  const origins = new Map<string, string>();
  for (const binding of ENV_BINDINGS) {
    const raw = env[binding.env];
    if (raw === undefined || raw === '') continue;
    setPath(tree, binding.path, convert(binding, raw));
    origins.set(binding.path.join('.'), binding.env);
  }
  tree = resolveGenericSecrets(tree, env, origins);

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error, origins, tree);
    throw new ConfigError(`Invalid configuration:\n  - ${issues.join('\n  - ')}`, issues);
  }
  return deepFreeze(parsed.data);
}

function readYaml(file: string, required: boolean): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Config file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`Config file ${file} must hold a mapping at the top level`);
  return value as Tree;
}

function convert(binding: EnvBinding, raw: string): unknown {
  switch (binding.type) {
    case 'int': {
      const n = Number(raw);
      // Leave non-numbers as strings so the schema reports them against the key.
      return Number.isFinite(n) && raw.trim() !== '' ? n : raw;
    }
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      return raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return raw;
  }
}

function describeIssues(error: ZodError, origins: Map<string, string>, tree: Tree): string[] {
  return error.issues.map((issue) => {
    const dotted = issue.path.map(String).join('.');
    const key = displayKey(issue.path) || '(root)';
    const origin = origins.get(issue.path.slice(0, 2).map(String).join('.')) ?? origins.get(dotted);
    const from = origin ? ` (from ${origin})` : '';
    if (issue.code === 'invalid_type' && valueAt(tree, issue.path) === undefined) return `${key}: is required${hintFor(dotted)}`;
    if (issue.code === 'unrecognized_keys') return `${key === '(root)' ? '' : key + ': '}unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${key}${from}: ${issue.message}`;
  });
}

/** `webhooks.routes[1].match.branches`: array indexes in brackets, as people write them. */
function displayKey(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${String(seg)}` : String(seg)), '');
}

/**
 * `webhooks.generic.<name>.secretEnv: NAME` → `secret` from env NAME (modules never read the
 * environment). Copies instead of mutating: the tree may share objects with `overrides`. An unset
 * variable, or `secret` given too, is left for the schema to report against `secretEnv`.
 */
function resolveGenericSecrets(tree: Tree, env: Env, origins: Map<string, string>): Tree {
  const webhooks = tree.webhooks;
  if (!isPlainObject(webhooks) || !isPlainObject(webhooks.generic)) return tree;
  const generic: Tree = { ...webhooks.generic };
  for (const [name, source] of Object.entries(generic)) {
    if (!isPlainObject(source) || typeof source.secretEnv !== 'string' || source.secret !== undefined) continue;
    const value = env[source.secretEnv];
    if (value === undefined || value === '') continue;
    const { secretEnv, ...rest } = source;
    generic[name] = { ...rest, secret: value };
    origins.set(`webhooks.generic.${name}.secret`, secretEnv);
  }
  return { ...tree, webhooks: { ...webhooks, generic } };
}

function valueAt(tree: Tree, keys: readonly PropertyKey[]): unknown {
  let node: unknown = tree;
  for (const key of keys) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function hintFor(key: string): string {
  const binding = ENV_BINDINGS.find((b) => b.path.join('.') === key);
  return binding ? ` (set ${binding.env} or ${key} in the config file)` : '';
}

function setPath(tree: Tree, keys: readonly string[], value: unknown): void {
  let node = tree;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  });
}

function deepMerge(base: Tree, layer: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    const prev = out[key];
    out[key] =
      isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
