/**
 * The registry: the one list of agents (and, through later layers, tools) a process knows.
 * The API's routes, the OpenAPI document, the workers' queues and the Board's forms are all
 * derived from it; nothing is registered by hand a second time.
 * @module
 */
import { z } from 'zod';
import { contractProblem, refNames, type AnyAgent } from './contracts.ts';

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

/**
 * The first field of `value` (a JSON object) that `schema`, a zod object, does not read, with
 * the fields it does (less `exclude`, e.g. path parameters merged into the same object);
 * undefined when there is none, or the schema is not an object or takes any field
 * (`z.looseObject`), or `value` is not an object. zod drops such a field silently: callers
 * refuse it instead, so that a misspelt `expires_at` or `customerNmae` is not quietly lost.
 */
export function unreadField(
  schema: z.ZodType,
  value: unknown,
  exclude: readonly string[] = [],
): { field: string; accepted: string[] } | undefined {
  if (!(schema instanceof z.ZodObject) || schema._zod.def.catchall instanceof z.ZodUnknown) return undefined;
  // A JSON object only (not an array, nor a raw body's Buffer).
  if (typeof value !== 'object' || value === null) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const accepted = Object.keys(schema.shape).filter((k) => !exclude.includes(k));
  const field = Object.keys(value).find((k) => !accepted.includes(k) && !exclude.includes(k));
  return field === undefined ? undefined : { field, accepted };
}
