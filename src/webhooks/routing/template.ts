import type { WebhookEvent } from '../webhook-event';

/**
 * `{{name}}` templates for route parameters (and a generic source's regexp filter text). No
 * expressions, no escaping: a value is inserted as is. Names are checked against the known
 * variables when the config loads, so rendering never meets an unknown name; a variable that
 * does not apply to an event (e.g. `tag` on a branch push) renders as "".
 */

const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type TemplateValues = Readonly<Record<string, string>>;

export interface CompiledTemplate {
  readonly text: string;
  /** Variable names used, in order of first use. */
  readonly variables: readonly string[];
  render(values: TemplateValues): string;
}

export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

/** Parses a template; throws TemplateSyntaxError for `{{ }}` that is unbalanced or holds a non-name. */
export function compileTemplate(text: string): CompiledTemplate {
  const parts: Array<string | { name: string }> = [];
  const variables: string[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const name = match[1]!;
    if (!NAME.test(name)) throw new TemplateSyntaxError(`"{{${name}}}" is not a variable name`);
    parts.push(text.slice(last, match.index));
    parts.push({ name });
    if (!variables.includes(name)) variables.push(name);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  for (const literal of parts) {
    if (typeof literal === 'string' && (literal.includes('{{') || literal.includes('}}'))) {
      throw new TemplateSyntaxError('unbalanced "{{" or "}}"');
    }
  }
  return {
    text,
    variables,
    render: (values) => parts.map((part) => (typeof part === 'string' ? part : (values[part.name] ?? ''))).join(''),
  };
}

/** The values an event offers to templates; a generic source's extra names never shadow standard ones. */
export function eventTemplateValues(event: WebhookEvent): TemplateValues {
  return { ...event.extraVariables, ...event.variables };
}
