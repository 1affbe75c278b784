import type { SimParameterDefinition, SimParameterType } from '../types';

/** One resolved parameter of a queue item / build (hudson.model.ParameterValue). */
export interface ParamValue {
  name: string;
  type: SimParameterType;
  value: string;
}

/** Thrown for request shapes Jenkins rejects; carries the HTTP status Jenkins would answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const CLASS_PREFIX: Record<SimParameterType, string> = {
  string: 'hudson.model.String',
  text: 'hudson.model.Text',
  boolean: 'hudson.model.Boolean',
  password: 'hudson.model.Password',
};

const typeOf = (d: SimParameterDefinition): SimParameterType => d.type ?? 'string';

/** BooleanParameterDefinition: Boolean.parseBoolean semantics. */
const normalize = (type: SimParameterType, raw: string): string =>
  type === 'boolean' ? String(raw.trim().toLowerCase() === 'true') : raw;

export function defaultValue(d: SimParameterDefinition): ParamValue {
  const type = typeOf(d);
  return { name: d.name, type, value: normalize(type, d.default ?? (type === 'boolean' ? 'false' : '')) };
}

/**
 * ParametersDefinitionProperty.buildWithParameters: each DECLARED parameter reads
 * `getParameterValues(name)` (query and form merged); missing → default; twice → 500
 * "Illegal number of parameter values"; undeclared names are never looked at.
 */
export function valuesFromRequest(defs: readonly SimParameterDefinition[], params: ReadonlyMap<string, string[]>): ParamValue[] {
  return defs.map((d) => {
    const given = params.get(d.name);
    if (given === undefined || given.length === 0) return defaultValue(d);
    if (given.length !== 1) {
      throw new HttpError(500, `java.lang.IllegalArgumentException: Illegal number of parameter values for ${d.name}: ${given.length}`);
    }
    const type = typeOf(d);
    return { name: d.name, type, value: normalize(type, given[0]!) };
  });
}

/**
 * ParametersDefinitionProperty._doBuild (UI form protocol): form field `json` =
 * `{"parameter":[{"name":"X","value":"v"}]}`; an unknown name is an error, missing ones get defaults.
 */
export function valuesFromJsonForm(defs: readonly SimParameterDefinition[], json: string | undefined): ParamValue[] {
  if (json === undefined) throw new HttpError(400, 'Nothing is submitted');
  let form: unknown;
  try {
    form = JSON.parse(json);
  } catch {
    throw new HttpError(400, 'This page expects a form submission');
  }
  const raw = (form as { parameter?: unknown }).parameter;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const given = new Map<string, string>();
  for (const entry of list as { name?: unknown; value?: unknown }[]) {
    const name = String(entry?.name);
    if (!defs.some((d) => d.name === name)) {
      throw new HttpError(500, `java.lang.IllegalArgumentException: No such parameter definition: ${name}`);
    }
    given.set(name, String(entry.value ?? ''));
  }
  return defs.map((d) => (given.has(d.name) ? { name: d.name, type: typeOf(d), value: normalize(typeOf(d), given.get(d.name)!) } : defaultValue(d)));
}

/** `{_class, name, value}` as exported in ParametersAction; password values are never exported. */
export function paramValueJson(p: ParamValue): Record<string, unknown> {
  const json: Record<string, unknown> = { _class: `${CLASS_PREFIX[p.type]}ParameterValue`, name: p.name };
  if (p.type === 'boolean') json['value'] = p.value === 'true';
  else if (p.type !== 'password') json['value'] = p.value;
  return json;
}

/** Queue.Item#getParams: "\nNAME=value" per parameter (ParameterValue#getShortDescription). */
export function paramsString(values: readonly ParamValue[]): string {
  return values.map((p) => `\n${p.name}=${p.type === 'password' ? '****' : p.value}`).join('');
}

export function parametersActionJson(values: readonly ParamValue[]): Record<string, unknown> {
  return { _class: 'hudson.model.ParametersAction', parameters: values.map(paramValueJson) };
}

/** hudson.model.ParametersDefinitionProperty as exported in a job's `actions` and `property`. */
export function parametersDefinitionPropertyJson(defs: readonly SimParameterDefinition[]): Record<string, unknown> {
  return {
    _class: 'hudson.model.ParametersDefinitionProperty',
    parameterDefinitions: defs.map((d) => {
      const type = typeOf(d);
      const json: Record<string, unknown> = {
        _class: `${CLASS_PREFIX[type]}ParameterDefinition`,
        defaultParameterValue: paramValueJson(defaultValue(d)),
        description: d.description ?? null,
        name: d.name,
        type: `${CLASS_PREFIX[type].slice('hudson.model.'.length)}ParameterDefinition`,
      };
      if (type === 'string' || type === 'text') json['trim'] = false;
      return json;
    }),
  };
}

export function sameValues(a: readonly ParamValue[], b: readonly ParamValue[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.value === b[i]!.value);
}
