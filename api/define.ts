/**
 * Routes defined once: each definition registers the Express handler and yields its OpenAPI
 * operation (path parameters, query, body and response schemas from the same zod schemas the
 * handler parses with), so the document cannot drift from what the route accepts.
 *
 *   const api = new RouteSet();
 *   api.add({ method: 'get', path: '/api/v1/things/:id', summary: '…', scope: 'read',
 *             responses: { 200: { description: 'The thing', schema: thingSchema } } },
 *           async ({ params }) => ({ thing: await get(params.id) }));
 *   app.use(api.router); paths = api.paths;
 * @module
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../runtime/errors.ts';
import { jsonSchema } from '../runtime/registry.ts';
import type { Principal, Scope } from '../runtime/keys.ts';
import { checkMediaType, parse, requireScope } from './http.ts';
import { checkBodyNames, checkQuery, checkQueryNames } from './input.ts';
import type { Paths } from './openapi.ts';

/** The tenant whose admin keys are the operator's (the key `npm start` writes, BRAINOPS_ADMIN_KEY). */
export const OPERATOR_TENANT = 'default';

/** Who may call: a scope of the caller's tenant, `operator` (an admin key of the operator tenant), or `public` (no key). */
export type Access = Scope | 'operator' | 'public';

export interface RouteDef<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express-style path (`/api/v1/things/:id`); the document shows `{id}`. */
  path: string;
  summary: string;
  description?: string;
  access: Access;
  tags?: string[];
  body?: B;
  query?: Q;
  /** Descriptions of the path parameters (`:id` → `id`), for the document. */
  params?: Record<string, string>;
  /** Status → description, the body's schema (zod, or JSON Schema such as a `$ref`) and media type (default JSON). */
  responses: Record<number, { description: string; schema?: z.ZodType | JsonSchema; type?: string }>;
  /** Status of a successful answer when the handler sets none (default 200). */
  status?: number;
  /** Middleware run before the handler (rate limits, body parsers). */
  use?: RequestHandler[];
  /**
   * The request body's schema when the handler reads the body itself (not `body`): zod, or JSON
   * Schema (e.g. built from the registry). Documented only; the handler parses it.
   */
  bodySchema?: z.ZodType | JsonSchema;
  /** Media types the request body may have (default `application/json`), e.g. `text/csv` or a form. */
  bodyTypes?: string[];
  /** What the request body is, for the document (e.g. size limit and encodings). */
  bodyDescription?: string;
}

/** A JSON Schema object, as OpenAPI 3.1 embeds it. */
export type JsonSchema = Record<string, unknown>;

const isZod = (s: unknown): s is z.ZodType => typeof s === 'object' && s !== null && '_zod' in s;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Handled<B, Q> {
  req: Request;
  res: Response;
  principal: Principal | undefined;
  params: Record<string, string>;
  body: B;
  query: Q;
}

const ERROR_RESPONSES: Record<string, { description: string }> = {
  '400': { description: 'The request is invalid (details name the field)' },
  '401': { description: 'Missing, malformed or unknown API key' },
  '403': { description: 'The key lacks the scope this route needs' },
};

/** What a route without a body schema reads of a JSON body: nothing. */
const NO_BODY = z.object({}).strict();

const errorRef = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

/** A router plus the OpenAPI paths of what was added to it. */
export class RouteSet {
  readonly router = Router();
  readonly paths: Paths = {};

  add<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
    def: RouteDef<B, Q>,
    handler: (h: Handled<Out<B>, Out<Q>>) => Promise<unknown> | unknown,
  ): this {
    const takes = def.body || def.bodySchema || def.bodyTypes ? (def.bodyTypes ?? ['application/json']) : undefined;
    this.router[def.method](def.path, ...(def.use ?? []), async (req: Request, res: Response) => {
      const principal = authorize(req, def.access);
      // After the key (401/403 first), like the upload route's own check.
      if (takes) checkMediaType(req, takes);
      // Again for the routes mounted before the input normaliser (uploads, webhooks): every route's query.
      checkQuery(req);
      // A body field the route does not read is a 400; a route that reads no body refuses one with
      // fields (`POST /admin/migrate {"dryRun": true}` must not quietly migrate). A handler that
      // reads the body itself checks it against its `bodySchema` when that is a zod schema, or
      // itself (an agent's input, a raw upload).
      if (def.access !== 'public') {
        if (!def.bodySchema) checkBodyNames(def.body ?? NO_BODY, req.body);
        else if (isZod(def.bodySchema)) checkBodyNames(def.bodySchema, req.body);
      }
      const body = (def.body ? parse(def.body, req.body ?? {}, 'body') : undefined) as Out<B>;
      if (def.access !== 'public') checkQueryNames(def.query, req.query);
      const query = (def.query ? parse(def.query, req.query, 'query') : undefined) as Out<Q>;
      const params = Object.fromEntries(Object.entries(req.params).map(([k, v]) => [k, String(v)]));
      const result = await handler({ req, res, principal, params, body, query });
      if (res.headersSent || res.writableEnded) return;
      if (def.status && res.statusCode === 200) res.status(def.status);
      res.json(result);
    });
    return this.document(def);
  }

  /** Adds the operation of `def` to the document only (its handler is registered elsewhere, e.g. a template route). */
  document(def: RouteDef<z.ZodType | undefined, z.ZodType | undefined> & { extensions?: Record<string, unknown> }): this {
    const names = [...def.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(def.responses)) {
      const schema = r.schema === undefined ? undefined : isZod(r.schema) ? jsonSchema(r.schema, 'output') : r.schema;
      const type = r.type ?? 'application/json';
      responses[status] = { description: r.description, ...(schema || r.type ? { content: { [type]: schema ? { schema } : {} } } : {}) };
    }
    if (names.length) responses['404'] ??= { description: 'Not found', ...errorRef };
    for (const [status, r] of Object.entries(ERROR_RESPONSES)) {
      if (status === '400' && !def.body && !def.bodySchema && !def.query) continue;
      if (def.access === 'public' && status !== '400') continue;
      responses[status] ??= { ...r, ...errorRef };
    }
    const op: Record<string, unknown> = {
      summary: def.summary,
      ...(def.description ? { description: def.description } : {}),
      operationId: operationId(def.method, def.path),
      ...(def.tags ? { tags: def.tags } : {}),
      ...(def.access === 'public' ? { security: [] } : {}),
      ...(names.length || def.query
        ? {
            parameters: [
              ...names.map((name) => ({
                name,
                in: 'path',
                required: true,
                ...(def.params?.[name] ? { description: def.params[name] } : {}),
                schema: { type: 'string' },
              })),
              ...queryParams(def.query),
            ],
          }
        : {}),
      ...(def.body || def.bodySchema ? { requestBody: requestBody(def) } : {}),
      responses,
      ...def.extensions,
    };
    const key = def.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    this.paths[key] = { ...this.paths[key], [def.method]: op };
    return this;
  }
}

function requestBody(def: RouteDef<z.ZodType | undefined, z.ZodType | undefined>): Record<string, unknown> {
  const given = def.bodySchema ?? def.body!;
  const schema = isZod(given) ? jsonSchema(given, 'input') : given;
  return {
    required: true,
    ...(def.bodyDescription ? { description: def.bodyDescription } : {}),
    content: Object.fromEntries((def.bodyTypes ?? ['application/json']).map((t) => [t, { schema }])),
  };
}

function queryParams(q: z.ZodType | undefined): Record<string, unknown>[] {
  if (!q) return [];
  const js = jsonSchema(q, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema,
  }));
}

const operationId = (method: string, path: string): string =>
  `${method}_${path
    .replace(/^\/api\/v1\//, '')
    .replace(/:([A-Za-z_]+)/g, 'by_$1')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')}`;

function authorize(req: Request, access: Access): Principal | undefined {
  if (access === 'public') return (req as Request & { principal?: Principal }).principal;
  if (access !== 'operator') return requireScope(req, access);
  const p = requireScope(req, 'admin');
  if (p.tenantId !== OPERATOR_TENANT) {
    throw new AppError(
      'FORBIDDEN',
      `Operator routes need an admin key of the '${OPERATOR_TENANT}' tenant (the key \`npm start\` keeps in .brainops/admin.key, or BRAINOPS_ADMIN_KEY).`,
      { status: 403 },
    );
  }
  return p;
}
