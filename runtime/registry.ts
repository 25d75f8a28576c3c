/**
 * The registry: the one list of agents (and, through later layers, tools) a process knows.
 * The API's routes, the OpenAPI document, the workers' queues and the Board's forms are all
 * derived from it; nothing is registered by hand a second time.
 * @module
 */
import { z } from 'zod';
import { contractProblem, refNames, type AnyAgent } from './contracts.ts';
import { AppError, badRequest } from './errors.ts';

export interface AgentInfo {
  name: string;
  description: string;
  version: string;
  inputSchema: unknown;
  outputSchema: unknown;
  tools: string[];
  /** The approval actions it may ask for. */
  approvals: string[];
}

export class Registry {
  readonly #agents = new Map<string, AnyAgent>();

  constructor(agents: readonly AnyAgent[] = []) {
    for (const a of agents) this.addAgent(a);
  }

  /** Adds an agent; throws a sentence saying what is wrong with it. */
  addAgent(agent: AnyAgent): void {
    if (this.#agents.has(agent.name)) throw new Error(`Agent '${agent.name}' is defined twice.`);
    const problem = agent.contractVersion === undefined ? undefined : contractProblem(agent.contractVersion);
    if (problem) throw new Error(`Agent '${agent.name}' ${problem}.`);
    if (!(agent.input instanceof z.ZodType) || !(agent.output instanceof z.ZodType)) {
      throw new Error(`Agent '${agent.name}' must declare zod schemas for input and output.`);
    }
    this.#agents.set(agent.name, agent);
  }

  agent(name: string): AnyAgent | undefined {
    return this.#agents.get(name);
  }

  /**
   * The agent named `name`.
   * @throws AppError NOT_FOUND (404) naming the agents this process runs (`details.agents`).
   */
  requireAgent(name: string): AnyAgent {
    const agent = this.#agents.get(name);
    if (agent) return agent;
    const names = this.agentNames;
    throw new AppError('NOT_FOUND', `Agent '${name}' was not found. The agents here are: ${names.join(', ')}.`, {
      status: 404,
      details: { agents: names },
    });
  }

  get agents(): AnyAgent[] {
    return [...this.#agents.values()];
  }

  get agentNames(): string[] {
    return [...this.#agents.keys()];
  }

  describe(agent: AnyAgent): AgentInfo {
    return {
      name: agent.name,
      description: agent.description,
      version: agent.version,
      inputSchema: jsonSchema(agent.input, 'input'),
      outputSchema: jsonSchema(agent.output, 'output'),
      tools: refNames(agent.tools) ?? [],
      approvals: [...(agent.approvals ?? [])],
    };
  }

  /** Every approval action a registered agent declares, sorted: what APPROVAL_POLICY may name. */
  get approvalActions(): string[] {
    return [...new Set(this.agents.flatMap((a) => a.approvals ?? []))].sort();
  }
}

/** JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of a zod schema. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete js.$schema;
  return js;
}

/** A JSON object (not an array, nor a raw body's Buffer, nor a class instance). */
const isJsonObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** The schema a value is read with, inside optional / nullable / default / pipe / lazy wrappers. */
function readAs(schema: z.ZodType): z.ZodType {
  for (let s = schema, depth = 0; depth < 16; depth++) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; getter?: () => z.ZodType };
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else if (def.type === 'lazy' && def.getter) s = def.getter();
    else return s;
  }
  return schema;
}

/**
 * The first field of `value` (a JSON object) that `schema`, a zod object, does not read, at any
 * depth: `path` leads to the object holding it (`[]` for `value` itself, `['budget']`,
 * `['steps', 2]`), with the fields that object's schema does read (at the top, less `exclude`,
 * e.g. path parameters merged into the same object). Undefined when there is none. zod drops
 * such a field silently (or, in a strict object, answers with its issue list): callers refuse
 * it first, so that a misspelt `expires_at` or `customerNmae` is not quietly lost. Arrays, records
 * and unions are walked (a union: the first member that parses the value, unless another reads all
 * its fields). Not checked: an object that takes other fields (`z.looseObject`, `.catchall()`;
 * its known fields still are), and a value the schema will refuse anyway (not an object where
 * one is read).
 */
export function unreadField(
  schema: z.ZodType,
  value: unknown,
  exclude: readonly string[] = [],
  path: (string | number)[] = [],
): { path: (string | number)[]; field: string; accepted: string[] } | undefined {
  const s = readAs(schema);
  if (s instanceof z.ZodArray && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unreadField(s.element as z.ZodType, value[i], [], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (s instanceof z.ZodUnion) {
    // The member the value is: the first that parses it and reads all its fields, if any does.
    let found: ReturnType<typeof unreadField>;
    for (const option of s.options as readonly z.ZodType[]) {
      if (!option.safeParse(value).success) continue;
      const unread = unreadField(option, value, exclude, path);
      if (!unread) return undefined;
      found ??= unread;
    }
    return found;
  }
  if (s instanceof z.ZodRecord && isJsonObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const found = unreadField(s.valueType as z.ZodType, v, [], [...path, k]);
      if (found) return found;
    }
    return undefined;
  }
  if (!(s instanceof z.ZodObject) || !isJsonObject(value)) return undefined;
  const shape = s.shape as Record<string, z.ZodType>;
  // Checked: an object that drops other fields (no catchall) or refuses them (z.strictObject).
  const catchall = s._zod.def.catchall;
  if (catchall === undefined || catchall instanceof z.ZodNever) {
    const accepted = Object.keys(shape).filter((k) => !exclude.includes(k));
    const field = Object.keys(value).find((k) => !accepted.includes(k) && !exclude.includes(k));
    if (field !== undefined) return { path, field, accepted };
  }
  for (const [k, v] of Object.entries(value)) {
    const inner = Object.hasOwn(shape, k) && !exclude.includes(k) ? shape[k] : undefined;
    const found = inner && unreadField(inner, v, [], [...path, k]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Throws a 400 `code` naming the first field of `value` that `schema` does not read (unreadField):
 * `at` is where `value` stands (`body`, `body.input`, `input`), `reader` who does not read it
 * (`this route`, `agent 'estimator'`); details `{at, field, accepted}` (`at`: `body.budget.maxCots`).
 */
export function refuseUnreadField(
  schema: z.ZodType,
  value: unknown,
  o: { code: string; at: string; reader: string; exclude?: readonly string[] },
): void {
  const unread = unreadField(schema, value, o.exclude);
  if (!unread) return;
  const { field, accepted } = unread;
  const where = [o.at, ...unread.path].join('.');
  throw badRequest(
    o.code,
    accepted.length
      ? `The ${where} has a field '${field}' that ${o.reader} does not read; it reads ${accepted.map((k) => `'${k}'`).join(', ')}.`
      : `The ${where} has a field '${field}'; ${o.reader} reads none.`,
    { at: `${where}.${field}`, field, accepted },
  );
}
