/**
 * What the generated forms need from an agent's input JSON Schema: initial values, the
 * widget for a field, client-side validation (the server's zod check stays the authority)
 * and the mapping of a 400's zod issues onto fields.
 * @module
 */
import type { Issue, JsonSchema } from './api.ts';

export type Errors = Record<string, string>;

export const pathKey = (path: (string | number)[]): string => path.join('.');

/** The schema without a `null` branch (zod's optional/nullable as anyOf). */
export function unwrap(s: JsonSchema): JsonSchema {
  const branches = s.anyOf ?? s.oneOf;
  if (!branches) return s;
  const real = branches.filter((b) => b.type !== 'null');
  if (real.length === 1 && real[0])
    return {
      ...real[0],
      ...(s.description ? { description: s.description } : {}),
      ...(s.default !== undefined ? { default: s.default } : {}),
    };
  return s;
}

export type Widget = 'select' | 'number' | 'integer' | 'checkbox' | 'array' | 'object' | 'text' | 'json';

export function widgetOf(raw: JsonSchema): Widget {
  const s = unwrap(raw);
  if (s.enum) return 'select';
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'checkbox';
    case 'array':
      return 'array';
    case 'object':
      return s.properties ? 'object' : 'json';
    case 'string':
      return 'text';
    default:
      return 'json';
  }
}

/** Defaults from the schema; required enums start on their first option. */
export function initialValue(raw: JsonSchema, required = true): unknown {
  const s = unwrap(raw);
  if (s.default !== undefined) return s.default;
  const w = widgetOf(s);
  if (w === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(s.properties ?? {})) {
      const v = initialValue(p, s.required?.includes(k) ?? false);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (w === 'array') return [];
  if (w === 'checkbox') return required ? false : undefined;
  if (w === 'select' && required) return s.enum?.[0];
  return undefined;
}

const label = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());
export { label as fieldLabel };

/** Client-side check of `value` against `schema`: one message per field path. */
export function validate(raw: JsonSchema, value: unknown, path: (string | number)[] = [], required = true, errors: Errors = {}): Errors {
  const s = unwrap(raw);
  const key = pathKey(path);
  const empty = value === undefined || value === '' || value === null;
  if (empty) {
    if (required && widgetOf(s) !== 'checkbox' && widgetOf(s) !== 'array') errors[key] = 'Required';
    return errors;
  }
  switch (widgetOf(s)) {
    case 'integer':
    case 'number': {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(n)) errors[key] = 'Must be a number';
      else if (widgetOf(s) === 'integer' && !Number.isInteger(n)) errors[key] = 'Must be a whole number';
      else if (s.minimum !== undefined && n < s.minimum) errors[key] = `Must be at least ${s.minimum}`;
      else if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum) errors[key] = `Must be more than ${s.exclusiveMinimum}`;
      else if (s.maximum !== undefined && n > s.maximum) errors[key] = `Must be at most ${s.maximum}`;
      else if (s.exclusiveMaximum !== undefined && n >= s.exclusiveMaximum) errors[key] = `Must be less than ${s.exclusiveMaximum}`;
      break;
    }
    case 'text': {
      const t = String(value);
      if (s.minLength !== undefined && t.length < s.minLength) errors[key] = `At least ${s.minLength} characters`;
      else if (s.maxLength !== undefined && t.length > s.maxLength) errors[key] = `At most ${s.maxLength} characters`;
      else if (s.pattern && !safeRegex(s.pattern).test(t))
        errors[key] = `Does not match the expected format${s.description ? ` (${s.description})` : ''}`;
      break;
    }
    case 'array': {
      const items = Array.isArray(value) ? value : [];
      if (s.minItems !== undefined && items.length < s.minItems) errors[key] = `Add at least ${s.minItems}`;
      if (s.maxItems !== undefined && items.length > s.maxItems) errors[key] = `At most ${s.maxItems}`;
      if (s.items) items.forEach((v, i) => validate(s.items as JsonSchema, v, [...path, i], true, errors));
      break;
    }
    case 'object': {
      const obj = (value ?? {}) as Record<string, unknown>;
      for (const [k, p] of Object.entries(s.properties ?? {})) validate(p, obj[k], [...path, k], s.required?.includes(k) ?? false, errors);
      break;
    }
    case 'json':
      if (typeof value === 'string') {
        try {
          JSON.parse(value);
        } catch {
          errors[key] = 'Must be valid JSON';
        }
      }
      break;
    default:
      break;
  }
  return errors;
}

function safeRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return /.*/;
  }
}

/** Turns form state into the input to send: numbers parsed, empty optionals dropped. */
export function toInput(raw: JsonSchema, value: unknown): unknown {
  const s = unwrap(raw);
  if (value === '' || value === undefined) return undefined;
  switch (widgetOf(s)) {
    case 'integer':
    case 'number':
      return typeof value === 'number' ? value : Number(value);
    case 'array':
      return (Array.isArray(value) ? value : []).map((v) => toInput(s.items ?? {}, v));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(s.properties ?? {})) {
        const v = toInput(p, (value as Record<string, unknown>)[k]);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    case 'json':
      return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
    default:
      return value;
  }
}

/** The server's zod issues as field errors (paths may start with `input`). */
export function issuesToErrors(issues: Issue[]): Errors {
  const errors: Errors = {};
  for (const i of issues) {
    const path = i.path[0] === 'input' ? i.path.slice(1) : i.path;
    errors[pathKey(path)] ??= i.message;
  }
  return errors;
}
