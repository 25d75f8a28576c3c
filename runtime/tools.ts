/**
 * Business tools, defined once. A `defineTool({name, description, input, output, scope,
 * handler, route?})` is the single source from which everything else is derived: the REST
 * route (api/routes/tools.ts mounts it with validation, scope, tenant binding and the error
 * shape), the tenant-bound callables agents get as `ctx.tools` (journaled through
 * `ctx.step`, so a retried task never repeats a side effect), the LangChain tool for
 * tool-calling models, the OpenAPI entry, the `GET /api/v1/tools` listing and the
 * availability check. A tool that cannot be served fails start-up with a sentence saying why.
 * @module
 */
import { inSpan } from './tracing.ts';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { tool as langChainTool, type StructuredToolInterface } from '@langchain/core/tools';
import type { JSONSchema } from '@langchain/core/utils/json_schema';
import {
  refNames,
  type AnyAgent,
  type AnyTool,
  type HttpMethod,
  type ToolAudit,
  type ToolCaller,
  type ToolContext,
  type ToolInputSchema,
  type ToolRoute,
} from '@brainops/sdk';
import type { Db } from './db/driver.ts';
import { AppError, badRequest, fromDatabaseError } from './errors.ts';
import { recordAudit, type Actor } from './guardrails/audit.ts';
import type { Scope } from './keys.ts';
import type { Logger } from './logger.ts';
import { jsonSchema } from './registry.ts';
import type { ContextExtension, ExtensionBase } from './runner.ts';

// The tool contract (defineTool, ToolDefinition, ToolContext, ...) is the SDK's; the registry is the runtime's.
export {
  defineTool,
  type AnyTool,
  type HttpMethod,
  type ToolCaller,
  type ToolContext,
  type ToolDefinition,
  type ToolInputSchema,
  type ToolRoute,
} from '@brainops/sdk';

/** The public description of a tool (`GET /api/v1/tools`). */
export interface ToolInfo {
  name: string;
  description: string;
  scope: Scope | 'public';
  sideEffect: boolean;
  /** The audit action each call records (side-effecting tools). */
  auditAction?: string;
  route: { method: HttpMethod; path: string; status: number };
  inputSchema: unknown;
  outputSchema: unknown;
}

export interface CallOptions {
  tenantId: string;
  idempotencyKey?: string;
  caller: ToolCaller;
}

/** The tool definitions a bound `ctx.tools` record was made from (for LangChain wrapping). */
const DEFINITIONS = Symbol.for('brainops.tools.definitions');

type Bound = Record<string, (input: unknown) => Promise<unknown>>;

/** The one list of business tools a process serves. Checks at construction that each can be served. */
export class ToolRegistry<S = unknown> {
  readonly #tools = new Map<string, AnyTool>();

  constructor(
    tools: readonly AnyTool[],
    private readonly deps: { db: Db; services: S; logger: Logger },
  ) {
    const routes = new Map<string, string>();
    for (const t of tools) {
      if (this.#tools.has(t.name)) throw new Error(`Tool '${t.name}' is defined twice.`);
      const route = routeOf(t);
      const shape = (t.input as ToolInputSchema).shape as Record<string, unknown>;
      for (const p of pathParams(route.path)) {
        if (!(p in shape))
          throw new Error(`Tool '${t.name}' cannot be served at ${route.method} ${route.path}: its input has no field '${p}'.`);
      }
      const key = `${route.method} ${route.path.replace(/:[A-Za-z_]+/g, ':')}`;
      const other = routes.get(key);
      if (other) throw new Error(`Tools '${other}' and '${t.name}' both claim ${route.method} ${route.path}.`);
      routes.set(key, t.name);
      try {
        jsonSchema(t.input, 'input');
        jsonSchema(t.output, 'output');
      } catch (e) {
        throw new Error(`Tool '${t.name}' has a schema that cannot be described as JSON Schema: ${(e as Error).message}`);
      }
      this.#tools.set(t.name, t);
    }
  }

  get tools(): AnyTool[] {
    return [...this.#tools.values()];
  }

  get(name: string): AnyTool | undefined {
    return this.#tools.get(name);
  }

  describe(t: AnyTool): ToolInfo {
    const r = routeOf(t);
    return {
      name: t.name,
      description: t.description,
      scope: t.scope,
      sideEffect: t.sideEffect ?? false,
      ...(t.sideEffect ? { auditAction: auditActionOf(t) } : {}),
      route: { method: r.method, path: r.path, status: r.status ?? 200 },
      inputSchema: jsonSchema(t.input, 'input'),
      outputSchema: jsonSchema(t.output, 'output'),
    };
  }

  /** Validates the input (400 with the zod issues), runs the handler, checks the output. */
  async call(name: string, input: unknown, o: CallOptions): Promise<unknown> {
    const t = this.#tools.get(name);
    if (!t) throw new AppError('TOOL_UNKNOWN', `No tool '${name}' is registered.`, { status: 404 });
    const parsed = (t.input as z.ZodType).safeParse(input ?? {});
    if (!parsed.success) {
      throw badRequest('INVALID_INPUT', `The input of ${name} is invalid: ${describeIssue(parsed.error.issues[0])}.`, parsed.error.issues);
    }
    const { db } = this.deps;
    // Only the tenant's transaction: the owner role (which row-level security does not bind) stays here.
    const ctx: ToolContext<S> = {
      tenantId: o.tenantId,
      tx: (fn) => db.tenant(o.tenantId, fn),
      services: this.deps.services,
      idempotencyKey: o.idempotencyKey ?? randomUUID(),
      caller: o.caller,
      logger: this.deps.logger.child({ tool: name, tenant: o.tenantId }),
    };
    let raw: unknown;
    try {
      raw = await inSpan(`tool ${name}`, { attributes: { 'brainops.tool': name, 'brainops.tenant_id': o.tenantId } }, () =>
        (t.handler as (i: unknown, c: ToolContext<S>) => Promise<unknown>)(parsed.data, ctx),
      );
    } catch (thrown) {
      // The database's refusals (unique, reference, range) are 4xx like any other, mapped here
      // where they start. A refusal changed nothing; a failure past validation may have
      // half-happened, so it is audited.
      const e = fromDatabaseError(thrown) ?? thrown;
      if (t.sideEffect && !(e instanceof AppError && e.status < 500))
        await this.#audit(t, parsed.data, undefined, ctx, e).catch(() => undefined);
      throw e;
    }
    const out = (t.output as z.ZodType).safeParse(raw);
    if (!out.success)
      throw new AppError('TOOL_OUTPUT_INVALID', `Tool '${name}' returned output that does not match its schema.`, {
        details: out.error.issues,
      });
    if (t.sideEffect) await this.#audit(t, parsed.data, out.data, ctx);
    return out.data;
  }

  /**
   * The audit row of one side-effecting call, derived from the tool's definition. Keyed by
   * the call's idempotency key, so a replayed call (a retried step, a repeated
   * Idempotency-Key) does not record the same effect twice.
   */
  async #audit(t: AnyTool, input: unknown, output: unknown, ctx: ToolContext<S>, error?: unknown): Promise<void> {
    const a = t.audit as ToolAudit | undefined;
    const caller = ctx.caller;
    const actor: Actor =
      caller.kind === 'agent'
        ? { type: 'task', id: caller.taskId }
        : caller.kind === 'http'
          ? { type: 'api_key', id: caller.keyId ?? 'unknown' }
          : { type: 'system', id: caller.id ?? 'system' };
    const own = error === undefined && a?.details ? a.details(input, output) : {};
    const details: Record<string, unknown> = {
      tool: t.name,
      ...(caller.kind === 'agent' ? { taskId: caller.taskId, agent: caller.agent } : {}),
      ...own,
      ...(error !== undefined
        ? {
            outcome: 'failed',
            error: { code: (error as { code?: string }).code ?? 'ERROR', message: String((error as Error).message ?? error).slice(0, 500) },
          }
        : { outcome: 'done' }),
    };
    const subject = error === undefined && a?.subject ? a.subject(input, output) : subjectOnFailure(t, input);
    const key = error === undefined ? `tool:${t.name}:${ctx.idempotencyKey}` : null;
    await ctx.tx((sql) => recordAudit(sql, ctx.tenantId, { actor, action: auditActionOf(t), subject, details, ...(key ? { key } : {}) }));
  }

  /**
   * Tenant-bound callables (what agents get as `ctx.tools`). With `step` (a task's step
   * scope), each call is a journaled step `tool:<name>` keyed like any step — nested under
   * the step it is called from — so a retried task gets the recorded result back instead of
   * calling again, and the call's idempotency key (`<task id>:<step key>`) is the same on
   * every attempt and never another call's. Without it (the API), every call gets a new key.
   */
  bind(tenantId: string, o: { names?: readonly string[]; caller: ToolCaller; step?: ExtensionBase['step'] }): Bound {
    const names = o.names ?? [...this.#tools.keys()];
    const bound: Bound = {};
    for (const name of names) {
      if (!this.#tools.has(name)) continue;
      const call = (input: unknown, idempotencyKey: string) => this.call(name, input, { tenantId, idempotencyKey, caller: o.caller });
      const step = o.step;
      bound[name] = step
        ? (input: unknown) =>
            step(`tool:${name}`, ({ idempotencyKey }) => call(input, idempotencyKey), { tool: name, input: input ?? null })
        : (input: unknown) => call(input, randomUUID());
    }
    Object.defineProperty(bound, DEFINITIONS, { value: names.map((n) => this.#tools.get(n)).filter(Boolean), enumerable: false });
    return bound;
  }

  /**
   * What an agent's `validate` gets as `ctx.tools` (runtime/service.ts): its declared tools
   * bound to the tenant, outside any task. Read-only tools run; a side-effecting one rejects
   * (VALIDATE_SIDE_EFFECT): a request that is refused must change nothing.
   */
  forValidation(tenantId: string, agent: AnyAgent): Bound {
    const declared = refNames(agent.tools) ?? [...this.#tools.keys()];
    const bound = this.bind(tenantId, { names: declared, caller: { kind: 'system', id: `validate:${agent.name}` } });
    for (const name of Object.keys(bound)) {
      if (!this.#tools.get(name)?.sideEffect) continue;
      bound[name] = () =>
        Promise.reject(
          new AppError(
            'VALIDATE_SIDE_EFFECT',
            `Agent '${agent.name}' called the tool ${name} in validate; only read-only tools may run before a task is accepted.`,
          ),
        );
    }
    return bound;
  }

  /** The context extension that fills `ctx.tools` with the agent's declared tools, tenant-bound. */
  extension(): ContextExtension {
    return (base) => {
      const declared = refNames(base.agent.tools);
      const missing = (declared ?? []).filter((n) => !this.#tools.has(n));
      if (missing.length) base.logger.warn(`agent declares tools that are not registered: ${missing.join(', ')}`);
      return {
        tools: this.bind(base.tenantId, {
          ...(declared ? { names: declared } : {}),
          caller: { kind: 'agent', taskId: base.taskId, agent: base.agent.name },
          step: base.step,
        }),
      };
    };
  }

  /** Runs every read-only tool's probe for a tenant: the availability check. */
  async availability(tenantId: string): Promise<{ name: string; ok: boolean; error?: string }[]> {
    const results: { name: string; ok: boolean; error?: string }[] = [];
    for (const t of this.#tools.values()) {
      if (t.sideEffect || t.probe === undefined) {
        results.push({ name: t.name, ok: true });
        continue;
      }
      try {
        await this.call(t.name, t.probe, { tenantId, caller: { kind: 'system' } });
        results.push({ name: t.name, ok: true });
      } catch (e) {
        results.push({ name: t.name, ok: false, error: (e as Error).message });
      }
    }
    return results;
  }

  /** OpenAPI path entries, derived from each tool's route and schemas. */
  openApiPaths(): Record<string, Record<string, unknown>> {
    const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
    const err = { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) };
    const paths: Record<string, Record<string, unknown>> = {};
    for (const t of this.#tools.values()) {
      const r = routeOf(t);
      const oaPath = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      const params = pathParams(r.path);
      const input = jsonSchema(t.input, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      const props = input.properties ?? {};
      const inPath = params.map((p) => ({ name: p, in: 'path', required: true, schema: props[p] ?? { type: 'string' } }));
      const bodyless = r.method === 'GET' || r.method === 'DELETE';
      const rest = Object.fromEntries(Object.entries(props).filter(([k]) => !params.includes(k)));
      const op: Record<string, unknown> = {
        summary: t.description,
        operationId: t.name,
        tags: [t.name.split('_')[0]],
        ...(t.scope === 'public' ? { security: [] } : {}),
        parameters: [
          ...inPath,
          ...(bodyless
            ? Object.entries(rest).map(([n, schema]) => ({ name: n, in: 'query', required: input.required?.includes(n) ?? false, schema }))
            : []),
        ],
        ...(bodyless
          ? {}
          : {
              requestBody: {
                required: true,
                ...json({ ...input, properties: rest, required: (input.required ?? []).filter((k) => !params.includes(k)) }),
              },
            }),
        responses: {
          [String(r.status ?? 200)]: { description: 'ok', ...json(jsonSchema(t.output, 'output')) },
          // A tool whose status depends on the request (statusOf) also answers 200.
          ...(t.statusOf && (r.status ?? 200) !== 200 ? { '200': { description: 'ok', ...json(jsonSchema(t.output, 'output')) } } : {}),
          '400': err,
          '401': err,
          '403': err,
          '404': err,
        },
        'x-tool': t.name,
      };
      paths[oaPath] = { ...(paths[oaPath] ?? {}), [r.method.toLowerCase()]: op };
    }
    return paths;
  }
}

/** The audit action a side-effecting tool records: its declaration's, else `tool.<name>`. */
export function auditActionOf(t: AnyTool): string {
  return (t.audit as ToolAudit | undefined)?.action ?? `tool.${t.name}`;
}

/** Before there is an output: the input's id when it has one, else the tool. */
function subjectOnFailure(t: AnyTool, input: unknown): string {
  const rowId = (input as { id?: unknown } | undefined)?.id;
  return typeof rowId === 'string' ? `${t.name.split('_')[0]}:${rowId}` : `tool:${t.name}`;
}

export function routeOf(t: AnyTool): ToolRoute {
  return t.route ?? { method: 'POST', path: `/api/v1/tools/${t.name}` };
}

export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] ?? '');
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'see details';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/**
 * LangChain tools over a bound `ctx.tools` record (typed or not), for tool-calling models
 * (`model.bindTools(langChainTools(ctx.tools))`). Each call goes through the bound callable,
 * so it is journaled and tenant-scoped like a direct `ctx.tools.x(...)` call.
 */
export function langChainTools(tools: object): StructuredToolInterface[] {
  const bound = tools as Bound;
  const defs = ((bound as Record<symbol, unknown>)[DEFINITIONS] ?? []) as AnyTool[];
  return defs
    .filter((d) => typeof bound[d.name] === 'function')
    .map(
      (d) =>
        langChainTool(async (input: unknown) => JSON.stringify(await bound[d.name]!(input)), {
          name: d.name,
          description: d.description,
          // Its JSON Schema as the model fills it in (the input side: a number as a number),
          // which LangChain's own conversion of a zod schema cannot give for a preprocessed field.
          schema: jsonSchema(d.input, 'input') as JSONSchema,
        }) as unknown as StructuredToolInterface,
    );
}
