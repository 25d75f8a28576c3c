/**
 * The business tools' REST routes, derived from the tool registry: each tool's route with
 * input validation (path params + query for GET/DELETE, + JSON body otherwise), its scope,
 * tenant binding and the one error shape; plus `GET /api/v1/tools`. Nothing here names a tool.
 * @module
 */
import type { Request } from 'express';
import { z } from 'zod';
import type { Config } from '../../runtime/config.ts';
import { badRequest } from '../../runtime/errors.ts';
import { routeOf, type AnyTool, type ToolRegistry } from '../../runtime/tools.ts';
import type { AppExtension } from '../app.ts';
import { RouteSet } from '../define.ts';
import { idempotencyKeyHeader, idempotencyKeyOf, isPlainObject, requireScope } from '../http.ts';
import { checkBodyNames, checkQueryNames } from '../input.ts';
import { answerOnce, requestOf } from '../idempotency.ts';
import type { Db } from '../../runtime/db/driver.ts';

const toolsQuery = z.object({
  check: z.enum(['true', 'false']).optional().describe('true: also check each tool’s integration (available, error)'),
});
const toolInfo = z.looseObject({
  name: z.string(),
  description: z.string(),
  scope: z.string(),
  route: z.object({ method: z.string(), path: z.string() }),
  available: z.boolean().optional(),
  error: z.string().optional(),
});

/** `GET /api/v1/tools` and every tool's own route (the tools' operations come from the registry). */
export function toolRoutes(tools: ToolRegistry, config: Config, db: Db): AppExtension {
  const api = new RouteSet();
  api.add(
    {
      method: 'get',
      path: '/api/v1/tools',
      summary: 'Every business tool with its JSON schemas and its REST route',
      access: 'read',
      tags: ['tools'],
      query: toolsQuery,
      responses: { 200: { description: 'The tools', schema: z.object({ tools: z.array(toolInfo) }) } },
    },
    async ({ principal, query }) => {
      const list = tools.tools.map((t) => tools.describe(t));
      if (query.check !== 'true') return { tools: list };
      const availability = new Map((await tools.availability(principal!.tenantId)).map((a) => [a.name, a]));
      return {
        tools: list.map((t) => ({
          ...t,
          available: availability.get(t.name)?.ok ?? false,
          ...(availability.get(t.name)?.error ? { error: availability.get(t.name)!.error } : {}),
        })),
      };
    },
  );
  const r = api.router;

  // Static paths before parameterised ones, so /x/upsert is never taken for /x/:id.
  const ordered = [...tools.tools].sort((a, b) => Number(routeOf(a).path.includes(':')) - Number(routeOf(b).path.includes(':')));
  for (const t of ordered) {
    const route = routeOf(t);
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
    r[method](route.path, async (req, res) => {
      const tenantId = t.scope === 'public' ? config.PUBLIC_TENANT : requireScope(req, t.scope).tenantId;
      const keyId = t.scope === 'public' ? undefined : requireScope(req, 'read').keyId;
      // The call's key: the header's, else the body's (a tool that reads `idempotencyKey`, as
      // email_send, keeps its own record of it and answers a repeat itself). A public tool's body
      // names no key: a visitor does not choose the key its work runs under.
      const header = idempotencyKeyHeader(req);
      const key = t.scope === 'public' ? header : idempotencyKeyOf(req);
      // A public tool's links carry what they like (utm_source=...): its query names are not checked.
      const input = inputOf(req, route.method, t.input, t.scope !== 'public');
      const work = async () => {
        const body = await tools.call(t.name, input, {
          tenantId,
          ...(key ? { idempotencyKey: key } : {}),
          caller: { kind: 'http', ...(keyId ? { keyId } : {}) },
        });
        // The status may depend on the answer too (a link reused, not created: 200).
        return { status: t.statusOf?.(input, body) ?? route.status ?? 200, body };
      };
      // A write with an Idempotency-Key is done once per key; sent again, it answers as it did.
      // Not on public routes: an anonymous visitor's key would reach another visitor's answer.
      const once = header !== undefined && route.method !== 'GET' && t.scope !== 'public';
      const answer = once
        ? await answerOnce(db, tenantId, header, requestOf(route.method, route.path, withoutKey(asRead(t, input))), work, t.replaysItself)
        : await work();
      if ('replayed' in answer && answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
      res.status(answer.status).json(answer.body);
    });
  }
  return { routes: r, paths: api.paths };
}

/**
 * A request's input as the tool reads it (defaults filled, text trimmed), so that a repeat
 * spelling out a default (`reuseOpen: false`) is the same request; as sent when it does not parse.
 */
function asRead(t: AnyTool, input: Record<string, unknown>): Record<string, unknown> {
  const parsed = t.input.safeParse(input);
  return parsed.success ? (parsed.data as Record<string, unknown>) : input;
}

/**
 * The tool input of a request: query (GET/DELETE) or JSON body, with the path params on top.
 * With `checkNames`, a query name or body field the tool's input (`schema`) does not have is a
 * 400, and so is any query beside a body.
 */
function inputOf(req: Request, method: string, schema: z.ZodType, checkNames: boolean): Record<string, unknown> {
  const params = req.params as Record<string, string>;
  const reads = method === 'GET' || method === 'DELETE';
  if (checkNames) checkQueryNames(reads ? schema : undefined, req.query, Object.keys(params));
  if (reads) return { ...(req.query as Record<string, unknown>), ...params };
  const body: unknown = req.body ?? {};
  if (!isPlainObject(body)) throw badRequest('INVALID_REQUEST', 'The request body must be a JSON object.');
  if (checkNames) checkBodyNames(schema, body, 'body', Object.keys(params));
  return { ...body, ...params };
}

/**
 * What a request asks, without the key it is sent under: the body's `idempotencyKey` is the
 * same key as the header (idempotencyKeyOf), so a repeat that also states it in the body, or
 * only there, is the same request.
 */
function withoutKey(input: Record<string, unknown>): Record<string, unknown> {
  const asked = { ...input };
  delete asked.idempotencyKey;
  return asked;
}
