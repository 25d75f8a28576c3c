/**
 * A schema-driven request fuzzer: reads the OpenAPI document the app serves (so a route is
 * covered the day it is added) and makes bad requests of every kind for each operation —
 * wrong types, missing and extra fields, huge and deeply nested values, NUL characters and
 * invalid Unicode, numbers outside their columns' ranges, wrong and missing content types,
 * broken content encodings, malformed percent-encoding in paths and queries, duplicate keys,
 * well-formed but degenerate values (empty text, zero amounts) — plus valid ones, whose
 * values come from small pools so that unique columns collide. Seeded: the same seed makes
 * the same requests.
 */
import { gzipSync } from 'node:zlib';
import http from 'node:http';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, unknown>;

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Operation {
  method: string;
  /** The templated path, e.g. /api/v1/crm/customers/{id}. */
  template: string;
  params: { name: string; in: string; required?: boolean; schema: Schema }[];
  body?: Schema;
  isPublic: boolean;
}

export function operations(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [template, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const content = (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content;
      ops.push({
        method: method.toUpperCase(),
        template,
        params: (op.parameters as Operation['params'] | undefined) ?? [],
        ...(content?.['application/json']?.schema ? { body: content['application/json'].schema } : {}),
        isPublic: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  }
  return ops;
}

/**
 * Which operation each of `n` requests goes to: every operation at least a few, the rest in
 * proportion to its inputs (parameters and body fields): a route without inputs has little
 * to fuzz, one with a ten-field body has much.
 */
export function schedule(ops: Operation[], n: number, r: () => number): Operation[] {
  const weight = (op: Operation) =>
    1 + 2 * op.params.length + (op.body ? 8 + Object.keys((op.body.properties as object | undefined) ?? {}).length : 0);
  const total = ops.reduce((sum, op) => sum + weight(op), 0);
  const out = ops.flatMap((op) => Array.from({ length: Math.max(4, Math.round((weight(op) / total) * n)) }, () => op));
  while (out.length < n) out.push(pick(r, ops));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface FuzzRequest {
  /** What kind of bad (or good) request this is: `body.name:nul`, `header:gzip-garbage`, ... */
  kind: string;
  method: string;
  template: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const UUID = (r: () => number) =>
  'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const v = Math.floor(r() * 16);
    return (c === 'x' ? v : (v & 3) | 8).toString(16);
  });

/** Known-good strings for patterns the document uses (a pattern cannot be sampled in general). */
const FOR_PATTERN: [RegExp, string[]][] = [
  [/\\\/12/, ['6/12', '4/12']],
  [/a-z0-9\]\[a-z0-9-\]/, ['fuzz-page', 'fuzz-page-2']],
  [/\^\\d\{4\}-/, ['2026-01-01']],
];

/** A valid-looking value for `s` (best effort: the mutations are what matter). Strings come from small pools, so that unique keys collide. */
export function sample(s: Schema | undefined, r: () => number, depth = 0): Json {
  if (!s || depth > 6) return 'x';
  if ('const' in s) return s.const as Json;
  if (Array.isArray(s.enum)) return pick(r, s.enum as Json[]);
  const alts = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alts) return sample(alts.find((a) => a.type !== 'null') ?? alts[0], r, depth + 1);
  if ('default' in s && r() < 0.3) return s.default as Json;
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : (s.type as string | undefined);
  switch (type) {
    case 'string': {
      if (s.format === 'uuid') return UUID(r);
      if (s.format === 'email') return pick(r, ['a@example.com', 'b@example.com']);
      if (s.format === 'date-time') return '2026-01-01T00:00:00.000Z';
      if (s.format === 'date') return '2026-01-01';
      if (s.format === 'uri' || s.format === 'url') return 'https://example.com/';
      if (typeof s.pattern === 'string') for (const [re, vs] of FOR_PATTERN) if (re.test(s.pattern)) return pick(r, vs);
      const min = Number(s.minLength ?? 1);
      const base = pick(r, ['fuzz-a', 'fuzz-b', 'Acme Roofing', '0 9 * * 1']);
      return base.length >= min ? base.slice(0, Number(s.maxLength ?? 1e9)) : base.padEnd(min, 'x');
    }
    case 'integer':
    case 'number': {
      const min = Number(s.minimum ?? (s.exclusiveMinimum !== undefined ? Number(s.exclusiveMinimum) + 1 : 1));
      return min;
    }
    case 'boolean':
      return r() < 0.5;
    case 'array': {
      const n = Math.max(Number(s.minItems ?? 1), 1);
      return Array.from({ length: n }, () => sample(s.items as Schema, r, depth + 1));
    }
    case 'object':
    default: {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      if (!s.properties && type !== 'object') return {};
      const required = new Set((s.required as string[] | undefined) ?? []);
      const out: Record<string, Json> = {};
      for (const [k, ps] of Object.entries(props)) if (required.has(k) || r() < 0.5) out[k] = sample(ps, r, depth + 1);
      return out;
    }
  }
}

/** Values of the wrong kind, degenerate values and values outside any column's range. */
const BAD_VALUES: [string, () => Json][] = [
  ['nul', () => 'a\u0000b'],
  ['lone-surrogate', () => 'a\ud800b'],
  ['low-surrogate', () => '\udc00'],
  ['huge-string', () => 'x'.repeat(200_000)],
  ['empty-string', () => ''],
  ['blank-string', () => '   \t\n'],
  ['int32-overflow', () => 3_000_000_000],
  ['int64-overflow', () => 1e20],
  ['min-int32-underflow', () => -2_147_483_649],
  ['negative', () => -1],
  ['zero', () => 0],
  ['fraction', () => 0.5],
  ['huge-float', () => 1.7e308],
  ['true', () => true],
  ['null', () => null],
  ['array', () => ['a', 1]],
  ['huge-array', () => Array.from({ length: 20_000 }, (_, i) => i)],
  ['object', () => ({ a: 1 })],
  ['number-string', () => '12'],
  ['emoji', () => '🏠'.repeat(50)],
  ['rtl-and-zero-width', () => '\u202e\u200b\ufeff'],
  ['deep', () => nest(40)],
  ['very-deep', () => nest(3000)],
];

function nest(depth: number): Json {
  let v: Json = 'x';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

let bomb: Buffer | undefined;

/** Raw bodies that are not what they claim (bytes, not JSON values). */
const RAW_BODIES: [string, (valid: string) => { body: Buffer; headers?: Record<string, string> }][] = [
  ['malformed-json', () => ({ body: Buffer.from('{"a": ') })],
  ['empty-json', () => ({ body: Buffer.alloc(0) })],
  ['json-null', () => ({ body: Buffer.from('null') })],
  ['json-array', () => ({ body: Buffer.from('[1,2]') })],
  ['json-string', () => ({ body: Buffer.from('"hi"') })],
  ['json-number-1e400', () => ({ body: Buffer.from('1e400') })],
  ['field-1e400', (v) => ({ body: Buffer.from(v.replace(/:\s*("[^"]*"|[-\d.]+|true|false|null)/, ':1e400')) })],
  [
    'invalid-utf8',
    (v) => ({
      body: Buffer.concat([Buffer.from(v.slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
    }),
  ],
  ['escaped-nul', (v) => ({ body: Buffer.from(v.replace(/"([^"]*)"\s*:\s*"[^"]*"/, '"$1":"a\\u0000"')) })],
  ['escaped-surrogate', (v) => ({ body: Buffer.from(v.replace(/"([^"]*)"\s*:\s*"[^"]*"/, '"$1":"\\udfff"')) })],
  ['duplicate-keys', (v) => ({ body: Buffer.from(v.replace(/^\{("[^"]+")\s*:\s*([^,}]+)/, '{$1:$2,$1:{"dup":[1]}')) })],
  ['bom', (v) => ({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(v)]) })],
  ['gzip-garbage', (v) => ({ body: Buffer.from(v), headers: { 'content-encoding': 'gzip' } })],
  ['gzip-truncated', (v) => ({ body: gzipSync(v).subarray(0, 12), headers: { 'content-encoding': 'gzip' } })],
  ['gzip-valid', (v) => ({ body: gzipSync(v), headers: { 'content-encoding': 'gzip' } })],
  ['gzip-bomb', () => ({ body: (bomb ??= gzipSync(Buffer.alloc(20_000_000, 32))), headers: { 'content-encoding': 'gzip' } })],
  ['deflate-garbage', (v) => ({ body: Buffer.from(v), headers: { 'content-encoding': 'deflate' } })],
  ['br-garbage', (v) => ({ body: Buffer.from(v), headers: { 'content-encoding': 'br' } })],
  ['unknown-encoding', (v) => ({ body: Buffer.from(v), headers: { 'content-encoding': 'compress' } })],
  ['text-plain', (v) => ({ body: Buffer.from(v), headers: { 'content-type': 'text/plain' } })],
  ['form', () => ({ body: Buffer.from('a=1&b=%00'), headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
  [
    'multipart',
    (v) => ({
      body: Buffer.from(`--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n${v}\r\n--b--\r\n`),
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
    }),
  ],
  ['no-content-type', (v) => ({ body: Buffer.from(v), headers: { 'content-type': '' } })],
  ['latin1-charset', (v) => ({ body: Buffer.from(v, 'latin1'), headers: { 'content-type': 'application/json; charset=latin1' } })],
  ['utf16-charset', (v) => ({ body: Buffer.from(v, 'utf16le'), headers: { 'content-type': 'application/json; charset=utf-16' } })],
  ['content-length-short', (v) => ({ body: Buffer.from(v), headers: { 'x-fuzz-length': String(Math.max(1, v.length - 3)) } })],
];

/** Path and query values: malformed percent-encoding, NUL, and the rest. */
const BAD_URL_VALUES: [string, () => string][] = [
  ['pct-nul', () => 'a%00b'],
  ['pct-malformed', () => '%ZZ'],
  ['pct-truncated', () => '%E0%A4%A'],
  ['pct-lone-surrogate', () => '%ED%A0%80'],
  ['pct-overlong', () => '%C0%AF'],
  ['not-a-uuid', () => 'not-a-uuid'],
  ['huge', () => 'x'.repeat(6000)],
  ['dot-dot', () => '..%2F..%2Fetc'],
  ['unicode', () => encodeURIComponent('ñ🏠')],
  ['empty', () => ''],
  ['negative', () => '-1'],
  ['int32-overflow', () => '3000000000'],
  ['huge-number', () => '1e400'],
  ['fraction', () => '0.5'],
  ['word', () => 'abc'],
  ['sql', () => encodeURIComponent("' OR 1=1 --")],
];

export interface FuzzState {
  /** Ids the API returned from creates, by collection path: used as path parameters. */
  ids: Map<string, string[]>;
  key: string;
}

/** Where ids of `template`'s `{param}` come from: the collection path before it. */
const collectionOf = (template: string) => template.replace(/\/\{[^}]+\}.*$/, '');

/** One request for `op`, of a random kind. */
export function makeRequest(op: Operation, r: () => number, state: FuzzState): FuzzRequest {
  const pathParams: Record<string, string> = {};
  const query: [string, string][] = [];
  for (const p of op.params) {
    if (p.in === 'path') {
      const known = state.ids.get(collectionOf(op.template)) ?? [];
      pathParams[p.name] = known.length && r() < 0.5 ? pick(r, known) : encodeURIComponent(String(sample(p.schema, r)));
    } else if (p.in === 'query' && (p.required || 'default' in p.schema || r() < 0.5)) {
      // Not the default: a parameter like ?wait= would make each request wait that long.
      const { default: _default, ...schema } = p.schema;
      query.push([p.name, encodeURIComponent(String(sample(schema, r)))]);
    }
  }
  const valid = op.body ? sample(op.body, r) : undefined;
  let kind = 'valid';
  let body: Buffer | undefined = valid === undefined ? undefined : Buffer.from(JSON.stringify(valid));
  const headers: Record<string, string> = {};
  if (!op.isPublic) headers.authorization = `Bearer ${state.key}`;
  if (body) headers['content-type'] = 'application/json';

  const where = r();
  if (where < 0.08) {
    kind = 'valid';
  } else if (where < 0.14) {
    // Authentication: no key, a wrong key, a malformed header — with a body that is itself bad.
    const [k, h] = pick(r, [
      ['no-key', undefined],
      ['wrong-key', 'Bearer bo_wrong-key-000000000000'],
      ['basic-auth', 'Basic YTpi'],
    ] as const);
    kind = `auth:${k}`;
    if (h) headers.authorization = h;
    else delete headers.authorization;
    if (op.body && r() < 0.5) {
      body = Buffer.from('{"broken": ');
      kind += '+malformed-json';
    }
  } else if (where < 0.3 && (op.params.length > 0 || r() < 0.3)) {
    const [name, bad] = pick(r, BAD_URL_VALUES);
    const target = op.params.length ? pick(r, op.params) : undefined;
    if (!target || target.in === 'query') {
      const pname = target?.name ?? 'unexpected';
      const existing = query.findIndex(([n]) => n === pname);
      if (existing >= 0) query.splice(existing, 1);
      query.push([pname, bad()]);
      if (r() < 0.2) query.push([pname, bad()]); // the same parameter twice
      kind = `query.${pname}:${name}`;
    } else {
      pathParams[target.name] = bad();
      kind = `path.${target.name}:${name}`;
    }
  } else if (op.body && where < 0.55) {
    const [name, make] = pick(r, RAW_BODIES);
    const made = make(JSON.stringify(valid));
    body = made.body;
    for (const [k, v] of Object.entries(made.headers ?? {})) {
      if (v === '') delete headers[k];
      else headers[k] = v;
    }
    kind = `raw:${name}`;
  } else if (op.body) {
    const mutated = mutate(valid as Json, r);
    body = Buffer.from(JSON.stringify(mutated.value));
    kind = `body${mutated.at}:${mutated.kind}`;
  } else if (r() < 0.5) {
    // A body where none is expected.
    body = Buffer.from(JSON.stringify(pick(r, BAD_VALUES)[1]()));
    headers['content-type'] = pick(r, ['application/json', 'text/plain']);
    kind = 'unexpected-body';
  } else {
    const [name, bad] = pick(r, BAD_URL_VALUES);
    query.push([pick(r, ['q', 'limit', 'x']), bad()]);
    kind = `query.extra:${name}`;
  }
  const path =
    op.template.replace(/\{([^}]+)\}/g, (_, n: string) => pathParams[n] ?? 'x') +
    (query.length ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : '');
  return { kind, method: op.method, template: op.template, path, headers, ...(body ? { body } : {}) };
}

/** One change somewhere in a valid value: a field removed, added, or given a bad value. */
function mutate(value: Json, r: () => number): { value: Json; at: string; kind: string } {
  const copy = structuredClone(value);
  // Walk to a random object inside the value.
  let holder: Json = copy;
  let at = '';
  for (let i = 0; i < 4 && holder && typeof holder === 'object' && !Array.isArray(holder) && r() < 0.5; i++) {
    const objects = Object.entries(holder).filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v));
    if (!objects.length) break;
    const [k, v] = pick(r, objects);
    holder = v;
    at += `.${k}`;
  }
  if (!holder || typeof holder !== 'object' || Array.isArray(holder)) {
    const [kind, bad] = pick(r, BAD_VALUES);
    return { value: bad(), at: '', kind };
  }
  const keys = Object.keys(holder);
  const roll = r();
  if (roll < 0.12 && keys.length) {
    const k = pick(r, keys);
    delete holder[k];
    return { value: copy, at: `${at}.${k}`, kind: 'missing' };
  }
  if (roll < 0.2) {
    holder[pick(r, ['extra', '__proto__', 'constructor', 'tenantId', 'id'])] = pick(r, ['x', 1, { admin: true }]);
    return { value: copy, at, kind: 'extra-field' };
  }
  const k = keys.length ? pick(r, keys) : 'x';
  const [kind, bad] = pick(r, BAD_VALUES);
  holder[k] = bad();
  return { value: copy, at: `${at}.${k}`, kind };
}

export interface FuzzResponse {
  status: number;
  contentType: string;
  text: string;
}

/** Sends `req` over `agent` exactly as built (no URL normalisation, raw bytes). */
export function send(base: URL, req: FuzzRequest, agent: http.Agent, timeoutMs = 15_000): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    const declared = headers['x-fuzz-length'];
    delete headers['x-fuzz-length'];
    if (req.body) headers['content-length'] = declared ?? String(req.body.length);
    const r = http.request(
      { host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    r.on('error', reject);
    if (req.body) r.write(declared ? req.body.subarray(0, Number(declared)) : req.body);
    r.end();
  });
}
