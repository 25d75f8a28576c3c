/**
 * The one converter from JSON Schema (what zod and LangChain produce) to the schema subset
 * that Gemini accepts in function declarations (`tools[].functionDeclarations[].parameters`)
 * and structured output (`generationConfig.responseSchema`): Google's `Schema` object, "a
 * select subset of an OpenAPI 3.0 schema object" (ai.google.dev/api/caching#Schema).
 *
 * Kept, as Gemini defines them: `type` (one name), `nullable`, `description`, `enum` (strings),
 * `format` (only `float`/`double` on numbers, `int32`/`int64` on integers, `enum`/`date-time`
 * on strings), `properties` (never empty), `required`, `items`, `anyOf`, `minItems`/`maxItems`,
 * `minLength`/`maxLength`, `minimum`/`maximum`, `minProperties`/`maxProperties`, `default`.
 *
 * Rewritten: `type: [T, "null"]` and `anyOf: [X, {type: "null"}]` → `nullable: true`;
 * `oneOf` → `anyOf`; `const` and string `enum`s → `enum`; `allOf` → its parts merged;
 * `exclusiveMinimum`/`exclusiveMaximum` → `minimum`/`maximum` (+1 on integers, stated in the
 * description on numbers); tuples (`prefixItems`) → `items: anyOf`; `$ref` → inlined;
 * other `format`s and numeric `enum`/`const` → a sentence in the description.
 * Dropped: `additionalProperties`, `propertyNames`, `pattern`, `$schema`, `$defs`, `title`,
 * `examples`, `not`, ...; a record keyed by an enum becomes the object of its keys; an object
 * without properties (a free-form record) is left out of
 * its parent (a sentence in the parent's description says so) — Gemini refuses an OBJECT
 * with empty `properties` — and a declaration whose parameters end up empty has none.
 * @module
 */

/** A JSON Schema node, as parsed JSON. */
export type JsonSchema = Record<string, unknown>;

/** The keywords Gemini's function-declaration schema accepts (see the module comment). */
export const GEMINI_SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'nullable',
  'description',
  'enum',
  'format',
  'properties',
  'required',
  'items',
  'anyOf',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minProperties',
  'maxProperties',
  'default',
]);

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(['enum', 'date-time']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};

const isObj = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);
const sentence = (s: string): string => (/[.!?]$/.test(s) ? s : `${s}.`);
const addNote = (description: unknown, note: string): string =>
  [typeof description === 'string' ? sentence(description.trim()) : '', note].filter(Boolean).join(' ');

/**
 * `schema` reduced to Gemini's subset, or `undefined` when nothing of it can be expressed
 * (a free-form object, `{}`, `type: "null"`). Idempotent: a converted schema converts to itself.
 */
export function toGeminiSchema(schema: unknown): JsonSchema | undefined {
  const root = isObj(schema) ? schema : {};
  const defs = { ...(isObj(root.$defs) ? root.$defs : {}), ...(isObj(root.definitions) ? root.definitions : {}) };
  return convert(root, defs, 0);
}

/** Parameters for a function declaration: an object schema with at least one property, or undefined. */
export function toGeminiParameters(schema: unknown): JsonSchema | undefined {
  const s = toGeminiSchema(schema);
  return s && s.type === 'object' && isObj(s.properties) && Object.keys(s.properties).length > 0 ? s : undefined;
}

function resolve(node: JsonSchema, defs: JsonSchema, depth: number): JsonSchema {
  const ref = node.$ref;
  if (typeof ref !== 'string' || depth > 8) return node;
  const name = ref.replace(/^#\/(\$defs|definitions)\//, '');
  const target = defs[name];
  const { $ref: _ref, ...rest } = node;
  return isObj(target) ? resolve({ ...target, ...rest }, defs, depth + 1) : rest;
}

function convert(input: JsonSchema, defs: JsonSchema, depth: number): JsonSchema | undefined {
  if (depth > 12) return { type: 'string', description: 'A value (nested too deep to describe).' };
  let node = resolve(input, defs, depth);
  if (Array.isArray(node.allOf)) node = mergeAll(node, defs, depth);
  const union = (Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined) as unknown[] | undefined;
  if (union) return convertUnion(node, union, defs, depth);

  let nullable = node.nullable === true;
  let type = node.type;
  if (Array.isArray(type)) {
    nullable ||= type.includes('null');
    const real = type.filter((t) => t !== 'null');
    if (real.length > 1)
      return convertUnion(
        node,
        real.map((t) => ({ ...node, type: t })),
        defs,
        depth,
      );
    type = real[0];
  }
  if (type === undefined) type = inferType(node);
  if (typeof type !== 'string' || !TYPES.has(type)) return undefined;

  const out: JsonSchema = { type };
  const notes: string[] = [];
  if (typeof node.description === 'string' && node.description.trim()) out.description = node.description.trim();
  if (nullable) out.nullable = true;

  const format = typeof node.format === 'string' ? node.format : undefined;
  if (format) {
    if (FORMATS[type]?.has(format)) out.format = format;
    else notes.push(`Format: ${format}.`);
  }
  values(node, type, out, notes);

  for (const k of ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'] as const) {
    if (typeof node[k] === 'number') out[k] = node[k];
  }
  bounds(node, type, out, notes);

  if (type === 'array') {
    const items = Array.isArray(node.prefixItems)
      ? convertUnion({}, node.prefixItems as unknown[], defs, depth + 1)
      : isObj(node.items)
        ? convert(node.items, defs, depth + 1)
        : undefined;
    out.items = items ?? { type: 'string' };
  }
  if (type === 'object') {
    const props: JsonSchema = {};
    const left: string[] = [];
    for (const [name, child] of Object.entries(isObj(node.properties) ? node.properties : recordByEnum(node))) {
      const c = isObj(child) ? convert(child, defs, depth + 1) : undefined;
      if (c) props[name] = c;
      else left.push(name);
    }
    if (Object.keys(props).length === 0) return undefined;
    out.properties = props;
    // A property with a default is not the caller's to give (zod lists it as required on output).
    const required = (Array.isArray(node.required) ? node.required : []).filter(
      (r): r is string =>
        typeof r === 'string' &&
        r in props &&
        !(isObj(node.properties) && isObj(node.properties[r]) && node.properties[r].default !== undefined),
    );
    if (required.length) out.required = required;
    if (left.length) notes.push(`Free-form field(s) not described here: ${left.join(', ')}.`);
  }
  if (node.default !== undefined && node.default !== null && typeof node.default !== 'object') out.default = node.default;
  else if (isObj(node.default) || Array.isArray(node.default)) notes.push(`Default: ${JSON.stringify(node.default).slice(0, 200)}.`);
  if (notes.length) out.description = addNote(out.description, notes.join(' '));
  return out;
}

/** `enum` and `const`: string values stay an enum; other values become a sentence. */
function values(node: JsonSchema, type: string, out: JsonSchema, notes: string[]): void {
  const list = node.const !== undefined ? [node.const] : Array.isArray(node.enum) ? (node.enum as unknown[]) : undefined;
  if (!list) return;
  if (type === 'string') {
    // Gemini refuses an empty string among enum values: the empty choice is said in words.
    const strings = list.filter((v): v is string => typeof v === 'string');
    const nonEmpty = strings.filter((v) => v !== '');
    if (nonEmpty.length) {
      out.enum = nonEmpty;
      out.format = 'enum';
    }
    if (nonEmpty.length < strings.length) notes.push('May be an empty string.');
  } else {
    notes.push(list.length === 1 ? `Always ${JSON.stringify(list[0])}.` : `One of ${list.map((v) => JSON.stringify(v)).join(', ')}.`);
  }
}

function bounds(node: JsonSchema, type: string, out: JsonSchema, notes: string[]): void {
  if (type !== 'number' && type !== 'integer') return;
  // zod's int() bounds every integer by ±MAX_SAFE_INTEGER: noise to a model, left out.
  const real = (n: unknown): n is number => typeof n === 'number' && Math.abs(n) < Number.MAX_SAFE_INTEGER;
  if (real(node.minimum)) out.minimum = node.minimum;
  if (real(node.maximum)) out.maximum = node.maximum;
  const exMin = node.exclusiveMinimum;
  const exMax = node.exclusiveMaximum;
  if (typeof exMin === 'number') {
    if (type === 'integer') out.minimum = Math.max(Math.floor(exMin) + 1, typeof out.minimum === 'number' ? out.minimum : -Infinity);
    else {
      out.minimum = Math.max(exMin, typeof out.minimum === 'number' ? out.minimum : -Infinity);
      notes.push(`Must be greater than ${exMin}.`);
    }
  }
  if (typeof exMax === 'number') {
    if (type === 'integer') out.maximum = Math.min(Math.ceil(exMax) - 1, typeof out.maximum === 'number' ? out.maximum : Infinity);
    else {
      out.maximum = Math.min(exMax, typeof out.maximum === 'number' ? out.maximum : Infinity);
      notes.push(`Must be less than ${exMax}.`);
    }
  }
}

/** `anyOf`/`oneOf`: a nullable single branch, one string enum, or Gemini's `anyOf`. */
function convertUnion(node: JsonSchema, branches: unknown[], defs: JsonSchema, depth: number): JsonSchema | undefined {
  const nonNull = branches.filter((b) => isObj(b) && b.type !== 'null') as JsonSchema[];
  const nullable = nonNull.length < branches.length || node.nullable === true;
  const converted = nonNull.map((b) => convert(b, defs, depth + 1)).filter((b): b is JsonSchema => b !== undefined);
  const description = typeof node.description === 'string' && node.description.trim() ? node.description.trim() : undefined;
  let out: JsonSchema | undefined;
  if (converted.length === 0) return undefined;
  if (converted.length === 1) out = { ...converted[0] };
  else if (
    converted.every(
      (b) =>
        b.type === 'string' && Array.isArray(b.enum) && Object.keys(b).every((k) => ['type', 'enum', 'format', 'description'].includes(k)),
    )
  ) {
    out = { type: 'string', format: 'enum', enum: [...new Set(converted.flatMap((b) => b.enum as string[]))] };
  } else out = { anyOf: converted };
  if (description) out.description = out.description ? addNote(description, String(out.description)) : description;
  if (nullable) out.nullable = true;
  if (node.default !== undefined && node.default !== null && typeof node.default !== 'object') out.default = node.default;
  return out;
}

function mergeAll(node: JsonSchema, defs: JsonSchema, depth: number): JsonSchema {
  const { allOf, ...rest } = node;
  let merged: JsonSchema = { ...rest };
  for (const part of allOf as unknown[]) {
    if (!isObj(part)) continue;
    const p = resolve(part, defs, depth);
    merged = {
      ...p,
      ...merged,
      ...(isObj(p.properties) || isObj(merged.properties)
        ? { properties: { ...(isObj(p.properties) ? p.properties : {}), ...(isObj(merged.properties) ? merged.properties : {}) } }
        : {}),
      ...(Array.isArray(p.required) || Array.isArray(merged.required)
        ? { required: [...new Set([...((p.required as string[]) ?? []), ...((merged.required as string[]) ?? [])])] }
        : {}),
    };
  }
  return merged;
}

/** A record keyed by an enum (`z.record(z.enum([...]), V)`) as the object of its keys; any other record as nothing. */
function recordByEnum(node: JsonSchema): JsonSchema {
  const keys = isObj(node.propertyNames) && Array.isArray(node.propertyNames.enum) ? node.propertyNames.enum : undefined;
  if (!keys || !isObj(node.additionalProperties)) return {};
  const value = node.additionalProperties;
  return Object.fromEntries(keys.filter((k): k is string => typeof k === 'string' && k !== '').map((k) => [k, value]));
}

function inferType(node: JsonSchema): string | undefined {
  if (isObj(node.properties)) return 'object';
  if (node.items !== undefined || node.prefixItems !== undefined) return 'array';
  const v = node.const ?? (Array.isArray(node.enum) ? node.enum[0] : undefined);
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return undefined;
}

/**
 * Every place in `schema` where a keyword or value lies outside Gemini's subset, as
 * `path: problem` strings (empty when the schema is acceptable). What the tests assert on
 * every declaration actually sent.
 */
export function geminiSchemaViolations(schema: unknown, path = '$'): string[] {
  if (!isObj(schema)) return [`${path}: not an object`];
  const found: string[] = [];
  for (const k of Object.keys(schema)) if (!GEMINI_SCHEMA_KEYWORDS.has(k)) found.push(`${path}: keyword '${k}'`);
  const { type, format } = schema;
  if (schema.anyOf === undefined && (typeof type !== 'string' || !TYPES.has(type))) found.push(`${path}: type ${JSON.stringify(type)}`);
  if (format !== undefined && !(typeof type === 'string' && typeof format === 'string' && FORMATS[type]?.has(format))) {
    found.push(`${path}: format ${JSON.stringify(format)} on ${String(type)}`);
  }
  if (
    schema.enum !== undefined &&
    (type !== 'string' || !Array.isArray(schema.enum) || schema.enum.some((v) => typeof v !== 'string' || v === ''))
  ) {
    found.push(`${path}: enum ${JSON.stringify(schema.enum)}`);
  }
  if (type === 'object') {
    const props = isObj(schema.properties) ? schema.properties : {};
    if (Object.keys(props).length === 0) found.push(`${path}: object without properties`);
    for (const [k, v] of Object.entries(props)) found.push(...geminiSchemaViolations(v, `${path}.${k}`));
  }
  if (type === 'array') {
    if (!isObj(schema.items)) found.push(`${path}: array without items`);
    else found.push(...geminiSchemaViolations(schema.items, `${path}[]`));
  }
  if (Array.isArray(schema.anyOf)) schema.anyOf.forEach((b, i) => found.push(...geminiSchemaViolations(b, `${path}.anyOf[${i}]`)));
  return found;
}
