/**
 * The agent contract: what an agent module declares (`defineAgent`) and what it gets when it
 * runs (`TaskContext`). Versioned by CONTRACT_VERSION (semver, the version of this package):
 * an agent records the version it was built against, and BrainOps loads it when the majors
 * match and the agent's minor is not newer than its own (see contractProblem).
 *
 * Handles, not strings: `defineTool` and `defineAgent` return handles. An agent that lists
 * tool handles in `tools` and agent handles in `agents` gets `ctx.tools.<name>(input)` and
 * `ctx.delegate(handle, input)` typed from their schemas — a wrong input does not compile.
 * Names (strings) still work, untyped.
 * @module
 */
import type { z } from 'zod';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { ToolHandle } from './tool.js';

/** The version of the contract this package describes (its package.json version). */
export const CONTRACT_VERSION = '1.1.0';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Set when some of the tokens were estimated from text (a reply without usage metadata). */
  estimated?: boolean;
}

export interface GenerateRequest {
  /** Instructions for the model (the system message). */
  system?: string;
  prompt: string;
  /**
   * What the step returns when no model is configured, or the model gives no usable answer
   * (blocked, cut off, unavailable on the last try): finished text its reader can use, built
   * from facts the agent computed, never a pretend-LLM answer. That no model wrote it is said
   * by the result's `model` ("offline" / "template") and `fallback`, not in the text.
   */
  fallback: () => string | Promise<string>;
  /**
   * Memories to give the model (a bounded section of the system message), e.g. from
   * `ctx.memory.recall(...)`. Nothing is recalled behind the step's back.
   */
  memories?: readonly MemoryHit[];
  maxOutputTokens?: number;
}

/** What a step's function receives: its key in the task's journal, and the idempotency key for its side effects. */
export interface StepScope {
  /** The step's key: its name, `#n` when repeated, under its parent's key when nested (`plan/tool:crm_search#2`). */
  readonly key: string;
  /** `<task id>:<key>`: the same on every attempt; pass it to any outside service that takes one. */
  readonly idempotencyKey: string;
}

/** What a value looks like after a JSON round trip (what a replayed step returns). */
export type Jsonify<T> = T extends { toJSON(): infer J }
  ? Jsonify<J>
  : T extends string | number | boolean | null
    ? T
    : T extends undefined | void
      ? null
      : T extends readonly (infer U)[]
        ? Jsonify<U>[]
        : T extends object
          ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Jsonify<T[K]> }
          : never;

export interface GenerateResult {
  text: string;
  /**
   * The model's name; `offline` when no model is configured and the fallback wrote the text;
   * `template` when a model is configured but gave no usable answer (see `fallback`).
   */
  model: string;
  usage: Usage;
  /** Why the template was used although a model is configured (e.g. MODEL_BLOCKED, MODEL_TRUNCATED, RATE_LIMITED). */
  fallback?: { code: string; message: string };
}

export interface TaskLlm {
  /** True when a real model is configured. */
  readonly online: boolean;
  /** The configured model's name, or `offline`. */
  readonly modelName: string;
  /** A journaled, metered language step with its declared offline fallback. */
  generate(stepName: string, request: GenerateRequest): Promise<GenerateResult>;
  /**
   * A journaled, metered call to the chat model itself (tool-calling agents). `fn` receives
   * the model; its AIMessages' usage is added to the task. Rejects with MODEL_OFFLINE when
   * no model is configured: check `online` first.
   */
  invoke<T>(stepName: string, fn: (model: BaseChatModel) => Promise<T>): Promise<T>;
}

export interface ApprovalRequest {
  /**
   * A short name (`email.send`, `ads.budget`): the approval's key in the task. One of the
   * agent's declared `approvals` (what APPROVAL_POLICY names).
   */
  action: string;
  summary: string;
  amountUsd?: number;
  recipients?: string[];
  /** Exactly what will be sent, spent or published: shown by the API and the Board. */
  content?: ApprovalContent;
}

/**
 * What an approval lets happen, in full: the emails (each recipient, subject and body), the
 * spend (each item and its USD amount, per day when `perDay`), the page (what will be live).
 */
export interface ApprovalContent {
  emails?: { to: string; subject: string; body: string }[];
  spend?: { description: string; amountUsd: number; previousUsd?: number; perDay?: boolean }[];
  page?: { title: string; slug?: string; headline: string; body: string; cta: string };
}

/**
 * The request was approved (by a person, or by the policy when it needs nobody). The only
 * value `ctx.approval` resolves with: a rejection or an expiry fails the task instead.
 */
export interface Approved {
  approved: true;
  note?: string;
}

export interface TaskLogger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** A tool as an agent declares it: its handle (typed calls) or its name (untyped). */
export type ToolRef = ToolHandle | string;

/** What an agent needs of another to delegate to it typed: its name and schemas. Every defineAgent result is one. */
export interface AgentHandle<N extends string = string, I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly name: N;
  readonly input: I;
  readonly output: O;
}

/** An agent as another declares it: its handle (typed delegation) or its name (untyped). */
export type AgentRef = AgentHandle | string;

/** A typed tool call: the tool's input (as zod accepts it), its output after the journal's JSON round trip. */
export type ToolCall<H extends ToolHandle> = (input: z.input<H['input']>) => Promise<Jsonify<z.output<H['output']>>>;
/** A tool named by a string: nothing is known of it. */
export type UntypedToolCall = (input: unknown) => Promise<unknown>;

/** `ctx.tools` from an agent's `tools`: typed calls for handles, optional untyped ones for names. */
export type ToolsOf<T extends readonly ToolRef[]> = {
  readonly [H in Extract<T[number], ToolHandle> as H['name']]: ToolCall<H>;
} & { readonly [K in Extract<T[number], string>]?: UntypedToolCall };

/** `ctx.delegate` from an agent's `agents`: by handle (typed input and output), or by a declared name (untyped). */
export interface Delegate<A extends readonly AgentRef[]> {
  <H extends Extract<A[number], AgentHandle>>(
    agent: H,
    input: z.input<H['input']>,
    options?: DelegateOptions,
  ): Promise<ChildResult<Jsonify<z.output<H['output']>>>>;
  (agent: Extract<A[number], string>, input: unknown, options?: DelegateOptions): Promise<ChildResult>;
}

/**
 * What an agent's `run` receives. Every side effect and model call goes through `step` (or
 * a tool, memory, approval or delegation, which are steps too).
 */
export interface TaskContext<
  I = unknown,
  T extends readonly ToolRef[] = readonly string[],
  A extends readonly AgentRef[] = readonly string[],
> {
  readonly taskId: string;
  readonly tenantId: string;
  readonly agent: string;
  /** 1 on the first run, 2 after one retry, ... */
  readonly attempt: number;
  readonly input: I;
  /**
   * Runs `fn` once per task: its JSON result is journaled, and a retried task gets the stored
   * result back instead of running `fn` again. A repeated name gets `#2`, `#3` in call order;
   * a step called inside another is keyed under it (see StepScope). The result is what a
   * JSON round trip gives back, on the first run as on a replay.
   */
  step<R>(name: string, fn: (scope: StepScope) => Promise<R> | R): Promise<Jsonify<R>>;
  /** Reports progress (0-100) with a short message; streamed to the Board. */
  progress(pct: number, message?: string): Promise<void>;
  llm: TaskLlm;
  logger: TaskLogger;
  /**
   * Aborted when the attempt must stop: the task was cancelled, it suspends, another worker
   * took it over (a lost lock), or the worker shuts down. Pass it to anything long-running.
   */
  signal: AbortSignal;
  /**
   * The business tools the agent declared (`tools`), bound to this tenant; each call is a
   * journaled step `tool:<name>`. An agent that declares none gets every tool, untyped.
   */
  tools: ToolsOf<T>;
  /** Long-term memory of the tenant. Rejects with MEMORY_UNAVAILABLE when the process has none. */
  memory: TaskMemory;
  /**
   * Asks a person (per the approval policy). Resolves once approved (at once when the policy
   * needs nobody); until then the task suspends (`awaiting_approval`) and resumes here after
   * the decision. It never resolves unapproved: a rejection or an expiry fails the task
   * (APPROVAL_REJECTED, APPROVAL_EXPIRED) while it waits — no agent code runs after either —
   * so code after the call runs only when approved.
   */
  approval(request: ApprovalRequest): Promise<Approved>;
  /**
   * Runs another agent as a child task of this one (its `parentId` is this task) and waits
   * for it to end. Journaled: a retried parent gets the same child back, never a second one.
   * Calls may run in parallel (`Promise.all`) to fan out. Pass the agent's handle (declared in
   * `agents`) for a typed input and output. An agent that declares no `agents` may name any.
   */
  delegate: Delegate<A>;
}

export interface DelegateOptions {
  /**
   * Give up waiting after this long (default 10 minutes): the parent fails with CHILD_TIMEOUT.
   * Only when the wait polls (no queue job in scope); in a worker the parent's job waits
   * without a deadline until the child ends.
   */
  timeoutMs?: number;
  priority?: number;
}

/** How a child task ended. */
export interface ChildResult<O = unknown> {
  taskId: string;
  agent: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  output?: O;
  error?: { code: string; message: string };
}

export interface MemoryHit {
  id: string;
  content: string;
  score: number;
  agent: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface TaskMemory {
  recall(query: string, options?: { k?: number; kinds?: string[]; agent?: string }): Promise<MemoryHit[]>;
  remember(content: string, metadata?: Record<string, unknown> & { kind?: string }): Promise<{ id: string }>;
}

/**
 * What an agent's `validate` receives: the tenant, and the agent's declared tools bound to it,
 * called outside any task (no journal, no step). Only read-only tools run there; calling one
 * with side effects rejects with VALIDATE_SIDE_EFFECT.
 */
export interface ValidateContext<T extends readonly ToolRef[] = readonly string[]> {
  readonly tenantId: string;
  /** The agent's name. */
  readonly agent: string;
  readonly tools: ToolsOf<T>;
}

export interface AgentDefinition<
  I extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
  T extends readonly ToolRef[] = readonly string[],
  A extends readonly AgentRef[] = readonly string[],
  N extends string = string,
> {
  /** Lowercase letters, digits and dashes (2-49 chars). */
  name: N;
  description: string;
  /** The agent's own version (semver), shown in /api/v1/agents and replay reports. */
  version: string;
  /** The contract version it was built against; set by defineAgent. */
  contractVersion?: string;
  input: I;
  output: O;
  /** The business tools the agent may call: handles (typed `ctx.tools`) or names. Omitted: every tool, untyped. */
  tools?: T;
  /** The agents it may delegate to: handles (typed `ctx.delegate`) or names. Omitted: any agent, untyped. */
  agents?: A;
  /**
   * The approval actions the agent may ask for (`ctx.approval({action})`), e.g. `email.send`.
   * APPROVAL_POLICY may name only declared actions (checked at start); asking for an
   * undeclared one fails the task.
   */
  approvals?: readonly string[];
  /** Task defaults for this agent. */
  defaults?: {
    attempts?: number;
    timeoutMs?: number;
    priority?: number;
    /** Budget of a task that brings none (a request's or a schedule's budget wins). */
    budget?: { maxCostUsd?: number; maxTokens?: number };
  };
  /**
   * At most `max` tasks of this agent start per `durationMs`, across all workers (BullMQ's
   * limiter; e.g. a model quota). AGENT_RATE_LIMITS in the environment overrides it.
   */
  rateLimit?: { max: number; durationMs: number };
  /**
   * Checked when a task is created, before it is accepted (from the API, the CLI, a schedule or
   * a delegating agent): what the input's schema cannot know, e.g. that the upload it names
   * exists, or that a budget is within the account's cap. Throw an AppError (`permanent` →
   * 422, `badRequest` → 400, `notFound` → 404): the request is refused with it and no task is
   * made. A repeat of an accepted request (the same idempotency key) is not checked again.
   * Since contract 1.1.
   */
  validate?(input: z.output<I>, ctx: ValidateContext<T>): Promise<void>;
  run(ctx: TaskContext<z.output<I>, T, A>): Promise<z.input<O>>;
}

// Any agent, whatever its schemas and declarations: what registries and runners hold.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAgent = AgentDefinition<any, any, any, any, any>;

const AGENT_NAME = /^[a-z][a-z0-9-]{1,48}$/;

/**
 * Declares an agent and returns its handle (the frozen definition, stamped with
 * CONTRACT_VERSION). Validates the shape at once, so a broken module fails at load.
 */
export function defineAgent<
  const N extends string,
  I extends z.ZodType,
  O extends z.ZodType,
  const T extends readonly ToolRef[] = readonly string[],
  const A extends readonly AgentRef[] = readonly string[],
>(def: AgentDefinition<I, O, T, A, N>): AgentDefinition<I, O, T, A, N> {
  if (!AGENT_NAME.test(def.name)) {
    throw new Error(`Agent name '${def.name}' must be lowercase letters, digits and dashes (2-49 chars, starting with a letter).`);
  }
  if (typeof def.run !== 'function') throw new Error(`Agent '${def.name}' has no run(ctx) function.`);
  if (def.validate !== undefined && typeof def.validate !== 'function')
    throw new Error(`Agent '${def.name}': validate must be a function (input, ctx) => Promise<void>.`);
  return Object.freeze({ ...def, contractVersion: CONTRACT_VERSION });
}

/** The names of declared tools or agents (handles or names). */
export function refNames(refs: readonly (ToolRef | AgentRef)[] | undefined): string[] | undefined {
  return refs?.map((r) => (typeof r === 'string' ? r : r.name));
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;

/**
 * Why an agent built against contract `built` cannot run on a host speaking `host`, or
 * undefined when it can: the majors must match, and the agent's minor must not be newer than
 * the host's (it may use what the host lacks). A bare number (contract 1 before semver) is `<n>.0.0`.
 */
export function contractProblem(built: unknown, host: string = CONTRACT_VERSION): string | undefined {
  const v = typeof built === 'number' && Number.isInteger(built) ? `${built}.0.0` : built;
  const a = typeof v === 'string' ? SEMVER.exec(v) : null;
  const h = SEMVER.exec(host);
  if (!a || !h)
    return `was built for contract version ${JSON.stringify(built)}, which is not a version (rebuild it with defineAgent from @brainops/sdk)`;
  if (a[1] !== h[1])
    return `was built for contract ${v}; this BrainOps speaks ${host} (a different major version: rebuild it against @brainops/sdk@^${h[1]})`;
  if (Number(a[2]) > Number(h[2]))
    return `was built for contract ${v}, newer than this BrainOps' ${host} (upgrade BrainOps, or build it against @brainops/sdk@~${h[1]}.${h[2]})`;
  return undefined;
}
