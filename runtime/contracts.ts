/**
 * The plugin contract: what an agent module declares (`defineAgent`) and what it gets when
 * it runs (`TaskContext`). Versioned by CONTRACT_VERSION; agents state the version they
 * were written against and the registry refuses incompatible ones.
 * @module
 */
import type { z } from 'zod';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Logger } from './logger.ts';

export const CONTRACT_VERSION = 1;

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
   * the model; its AIMessages' usage is added to the task. Throws when offline: check `online`.
   */
  invoke<T>(stepName: string, fn: (model: BaseChatModel) => Promise<T>): Promise<T>;
}

export interface ApprovalRequest {
  /** One of the agent's declared `approvals` (what APPROVAL_POLICY names). */
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

export interface TaskLogger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** What an agent's `run` receives. Every side effect and model call goes through `step`. */
export interface TaskContext<I = unknown> {
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
  step<T>(name: string, fn: (scope: StepScope) => Promise<T> | T): Promise<Jsonify<T>>;
  /** Reports progress (0-100) with a short message; streamed to the Board. */
  progress(pct: number, message?: string): Promise<void>;
  llm: TaskLlm;
  logger: TaskLogger;
  /**
   * Aborted when the attempt must stop: the task was cancelled, it suspends, another worker
   * took it over (a lost lock), or the worker shuts down. Pass it to anything long-running.
   */
  signal: AbortSignal;
  /** Business tools bound to this tenant (filled by the tools registry). */
  tools: Record<string, (input: unknown) => Promise<unknown>>;
  /** Long-term memory (filled by the memory layer when configured). */
  memory: TaskMemory;
  /**
   * Asks a person (per the approval policy). Resolves once approved (at once when the policy
   * needs nobody); until then the task suspends (`awaiting_approval`) and resumes here after
   * the decision. A rejection or expiry fails the task (APPROVAL_REJECTED, APPROVAL_EXPIRED):
   * code after the call runs only when approved.
   */
  approval(request: ApprovalRequest): Promise<{ approved: true; note?: string }>;
  /**
   * Runs another agent as a child task of this one (its `parentId` is this task) and waits
   * for it to end. Journaled: a retried parent gets the same child back, never a second one.
   * Calls may run in parallel (`Promise.all`) to fan out.
   */
  delegate<O = unknown>(agent: string, input: unknown, options?: DelegateOptions): Promise<ChildResult<O>>;
  /** The raw structured logger, for libraries that want one. */
  rawLogger: Logger;
}

export interface DelegateOptions {
  /**
   * Give up waiting after this long (default 10 minutes): the parent fails with CHILD_TIMEOUT.
   * Only when the wait polls (no BullMQ job in scope); in a worker the parent's job waits in
   * `waiting-children` without a deadline until the child ends (runtime/flow.ts).
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

export interface AgentDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  version: string;
  contractVersion?: number;
  input: I;
  output: O;
  /** Names of the business tools the agent may call. */
  tools?: string[];
  /**
   * The approval actions the agent may ask for (`ctx.approval({action})`), e.g. `email.send`.
   * APPROVAL_POLICY may name only declared actions (checked at start); asking for an
   * undeclared one fails the task.
   */
  approvals?: string[];
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
  run(ctx: TaskContext<z.output<I>>): Promise<z.input<O>>;
}

const AGENT_NAME = /^[a-z][a-z0-9-]{1,48}$/;

/** Declares an agent. Validates the shape at once, so a broken module fails at load. */
export function defineAgent<I extends z.ZodType, O extends z.ZodType>(def: AgentDefinition<I, O>): AgentDefinition<I, O> {
  if (!AGENT_NAME.test(def.name)) {
    throw new Error(`Agent name '${def.name}' must be lowercase letters, digits and dashes (2-49 chars, starting with a letter).`);
  }
  if (typeof def.run !== 'function') throw new Error(`Agent '${def.name}' has no run(ctx) function.`);
  return Object.freeze({ contractVersion: CONTRACT_VERSION, ...def });
}

// Any agent, whatever its schemas: what registries and runners hold.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAgent = AgentDefinition<any, any>;
