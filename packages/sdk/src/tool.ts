/**
 * Business tools, defined once: `defineTool({name, description, input, output, scope,
 * handler, route?})`. BrainOps derives the rest from that one definition — the REST route,
 * the tenant-bound callable agents get as `ctx.tools.<name>` (journaled), the LangChain
 * tool, the OpenAPI entry and the availability check. The definition is also the tool's
 * *handle*: an agent that lists it in `tools` gets `ctx.tools.<name>` typed from its schemas.
 * @module
 */
import { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** What an API key may do: `read`, `write`, `approve`, or everything (`admin`). */
export type Scope = 'admin' | 'read' | 'write' | 'approve';

export interface ToolRoute {
  method: HttpMethod;
  /** Express path; `:name` segments must be fields of the input schema. */
  path: string;
  /** Success status (default 200; 201 suits creations). */
  status?: number;
}

/** Who called a tool: an API key over HTTP, an agent's task, or the system (self-tests). */
export type ToolCaller =
  { kind: 'http'; keyId?: string } | { kind: 'agent'; taskId: string; agent: string } | { kind: 'system'; id?: string };

/**
 * What the audit trail records for each call of a side-effecting tool (the runtime's one
 * tool-call wrapper writes it). `action` is dotted (`email.sent`); `subject` names what it
 * happened to (`email:dana@example.com`, `lead:<id>`); `details` adds facts (a `customerId`
 * puts the row on that customer's trail). Without a declaration a side-effecting tool is
 * recorded as `tool.<name>` on `tool:<name>`.
 */
export interface ToolAudit<I = unknown, O = unknown> {
  action: string;
  subject?(input: I, output: O): string;
  details?(input: I, output: O): Record<string, unknown>;
}

/** SQL inside a tenant's transaction (row-level security applies): `query(text, params)`. */
export interface SqlClient {
  query<R extends object = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** A structured log call: `logger.warn({emailId}, 'retry failed')` or `logger.warn('retry failed')`. */
export interface LogFn {
  (data: object, message?: string): void;
  (message: string): void;
}

/** The tool's logger, already scoped to the tool and the tenant; secrets are redacted for you. */
export interface ToolLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** What a tool's handler receives besides its input: only what a tool may use. */
export interface ToolContext<S = unknown> {
  readonly tenantId: string;
  /** Runs `fn` in one transaction under the tenant's row-level security: the only way to the database. */
  tx<T>(fn: (sql: SqlClient) => Promise<T>): Promise<T>;
  /** The integrations and helpers the tools were composed with. */
  readonly services: S;
  /**
   * Stable for one logical call: `<task id>:<step key>` inside a task (the same on a retry),
   * the `Idempotency-Key` header over HTTP (or a fresh id). Outbound side effects carry it.
   */
  readonly idempotencyKey: string;
  readonly caller: ToolCaller;
  readonly logger: ToolLogger;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ToolInputSchema = z.ZodObject<any>;

export interface ToolDefinition<
  I extends ToolInputSchema = ToolInputSchema,
  O extends z.ZodType = z.ZodType,
  S = unknown,
  N extends string = string,
> {
  /** snake_case, 2-63 characters: `ctx.tools.<name>`, the operation id. */
  name: N;
  description: string;
  input: I;
  output: O;
  /** Scope the API key needs; `public` tools need no key and run as the public tenant. */
  scope: Scope | 'public';
  /** Where the tool is served; default `POST /api/v1/tools/<name>`. */
  route?: ToolRoute;
  /**
   * The success status of one request when it is not always `route.status`: e.g. 200 for a
   * status change sent to a route whose other requests create (201), or for a request that
   * answered what existed instead of creating it (read from the output).
   */
  statusOf?: (input: z.output<I>, output: z.output<O>) => number;
  /** True when the tool changes state or contacts the outside world: every call leaves an audit row. */
  sideEffect?: boolean;
  /** How its audit rows read (side-effecting tools only); default `tool.<name>` on `tool:<name>`. */
  audit?: ToolAudit<z.output<I>, z.output<O>>;
  /**
   * True when the handler itself does its effect once per `ctx.idempotencyKey` and answers a
   * repeat as one (`replayed: true`): a request repeated with the same `Idempotency-Key` runs
   * it again (once checked to be the same request) instead of being answered from the stored
   * first answer.
   */
  replaysItself?: boolean;
  /** A safe input for the availability check (read-only tools only). */
  probe?: z.input<I>;
  handler(input: z.output<I>, ctx: ToolContext<S>): Promise<z.input<O>>;
}

/** What an agent needs of a tool to call it typed: its name and schemas. Every ToolDefinition is one. */
export interface ToolHandle<N extends string = string, I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly name: N;
  readonly input: I;
  readonly output: O;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, any, any>;

const TOOL_NAME = /^[a-z][a-z0-9_]{1,62}$/;

/**
 * Declares a business tool and returns its handle (the frozen definition). Its shape is
 * checked at once, so a broken module fails at load with a sentence saying why.
 */
export function defineTool<const N extends string, I extends ToolInputSchema, O extends z.ZodType, S = unknown>(
  def: ToolDefinition<I, O, S, N>,
): ToolDefinition<I, O, S, N> {
  if (!TOOL_NAME.test(def.name)) throw new Error(`Tool name '${def.name}' must be snake_case letters and digits (2-63 chars).`);
  if (!(def.input instanceof z.ZodObject)) throw new Error(`Tool '${def.name}' must declare a z.object(...) input schema.`);
  if (!(def.output instanceof z.ZodType)) throw new Error(`Tool '${def.name}' must declare a zod output schema.`);
  if (typeof def.handler !== 'function') throw new Error(`Tool '${def.name}' has no handler(input, ctx).`);
  if (def.audit && !def.sideEffect) throw new Error(`Tool '${def.name}' declares an audit record but not sideEffect: true.`);
  if (def.audit && !/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/.test(def.audit.action))
    throw new Error(`Tool '${def.name}': audit action '${def.audit.action}' must be dotted lowercase, e.g. 'email.sent'.`);
  return Object.freeze({ ...def });
}
