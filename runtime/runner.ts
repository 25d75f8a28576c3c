/**
 * Runs one task attempt: claims the row, builds the task context, runs the agent, journals
 * every step, and writes the end state. Queue-agnostic: the worker's processor calls it.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, SystemMessage, AIMessage } from '@langchain/core/messages';
import type { ChatGeneration, LLMResult } from '@langchain/core/outputs';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import type { Db, Sql } from './db/driver.ts';
import type { Admission } from './guardrails/budgets.ts';
import type { AnyAgent, GenerateRequest, GenerateResult, TaskContext, TaskLogger, Usage } from './contracts.ts';
import { AppError, BudgetExceededError, TaskCancelledError, TaskSuspendedError, coerceError, permanent } from './errors.ts';
import type { Logger } from './logger.ts';
import { WaitingForChildrenError } from './flow.ts';
import { memoriesForPrompt } from './prompt.ts';
import { addUsage as addUsageMath, usageOf, ZERO_USAGE, type ModelProvider } from './models.ts';
import type { Registry } from './registry.ts';
import * as store from './tasks.ts';

/** Filled by later layers (tools, memory, approvals): the parts of the context they own. */
export type ContextExtension = (base: {
  taskId: string;
  tenantId: string;
  agent: AnyAgent;
  step: TaskContext['step'];
  logger: TaskLogger;
  signal: AbortSignal;
}) => Partial<Pick<TaskContext, 'tools' | 'memory' | 'approval' | 'delegate'>>;

export interface RunnerDeps {
  db: Db;
  registry: Registry;
  model: ModelProvider;
  logger: Logger;
  extensions?: ContextExtension[];
  /**
   * Called before every model call (after the task's own budget check): the tenant's daily
   * spend limit lives here. Throwing BudgetExceededError stops the task.
   */
  beforeModelCall?: (tenantId: string, taskId: string) => Promise<void>;
  /**
   * Runs in the claim's transaction, before the task is marked running: may refuse it (the
   * tenant's daily budget: it fails, `refused`) or defer it (the tenant's running cap).
   */
  admit?: (tx: Sql, tenantId: string, taskId: string) => Promise<Admission>;
}

export interface RunRequest {
  taskId: string;
  tenantId: string;
  agent: string;
  /** Whether a retryable failure will be tried again by the queue. */
  willRetry: boolean;
  /** The run continues an attempt that waited for its child tasks: not a new attempt. */
  resumed?: boolean;
  signal: AbortSignal;
}

export type RunOutcome =
  | { kind: 'succeeded'; output: unknown }
  | { kind: 'failed'; error: store.TaskError }
  | { kind: 'cancelled' }
  | { kind: 'skipped'; reason: string }
  /** The task waits (e.g. for an approval): the attempt ends without failing its job. */
  | { kind: 'suspended'; reason: string }
  /** The task awaits child tasks (runtime/flow.ts): it stays running; its job waits for them. */
  | { kind: 'waiting_children'; childTaskId: string }
  /** Not started now (the tenant is at its running cap): try again after `delayMs`. */
  | { kind: 'deferred'; delayMs: number }
  | { kind: 'retry'; error: AppError };

/** Runs one attempt of a task. Never throws for the task's own failures: see RunOutcome. */
export async function runTask(deps: RunnerDeps, req: RunRequest): Promise<RunOutcome> {
  const { db } = deps;
  const { tenantId, taskId } = req;
  const log = deps.logger.child({ taskId, agent: req.agent, tenant: tenantId });
  const agent = deps.registry.agent(req.agent);
  if (!agent) {
    const error = { code: 'AGENT_UNKNOWN', message: `No agent '${req.agent}' is registered in this worker.` };
    await db.tenant(tenantId, (tx) => store.transition(tx, tenantId, taskId, 'failed', { error }));
    return { kind: 'failed', error };
  }
  const claimed = await db.tenant(tenantId, async (tx) => {
    const gate = deps.admit ? await deps.admit(tx, tenantId, taskId) : undefined;
    if (gate && gate.kind !== 'run') return gate;
    const task = await store.startRun(tx, tenantId, taskId, { resumed: req.resumed === true });
    return task ? { task, steps: await store.journal(tx, taskId) } : undefined;
  });
  if (claimed && 'kind' in claimed) {
    if (claimed.kind === 'refused') return { kind: 'failed', error: claimed.error };
    if (claimed.kind === 'wait') return { kind: 'deferred', delayMs: claimed.delayMs };
  }
  if (!claimed || 'kind' in claimed) return { kind: 'skipped', reason: 'task is not runnable (finished, cancelled or waiting)' };
  const { task, steps } = claimed;

  const run = new TaskRun(deps, agent, task, tenantId, steps, req.signal, log);
  try {
    const parsedInput = agent.input.safeParse(task.input);
    if (!parsedInput.success) throw permanent('INPUT_INVALID', 'The task input no longer matches the agent schema.', z.treeifyError(parsedInput.error));
    run.checkBudget();
    const raw = await agent.run(run.context(parsedInput.data));
    const parsedOutput = agent.output.safeParse(raw);
    if (!parsedOutput.success) {
      throw permanent('OUTPUT_INVALID', `Agent '${agent.name}' returned output that does not match its schema.`, z.treeifyError(parsedOutput.error));
    }
    await run.flush();
    const done = await db.tenant(tenantId, (tx) => store.transition(tx, tenantId, taskId, 'succeeded', { output: parsedOutput.data }));
    if (!done) return { kind: 'cancelled' };
    log.info({ attempts: task.attempts }, 'task succeeded');
    return { kind: 'succeeded', output: parsedOutput.data };
  } catch (thrown) {
    await run.flush().catch(() => undefined);
    if (thrown instanceof TaskSuspendedError) {
      log.info({ reason: thrown.message }, 'task suspended');
      return { kind: 'suspended', reason: thrown.message };
    }
    if (thrown instanceof WaitingForChildrenError) {
      await db.tenant(tenantId, (tx) => store.addEvent(tx, tenantId, taskId, 'log', { level: 'info', message: 'waiting for child tasks', data: { childTaskId: thrown.childTaskId } }));
      log.info({ childTaskId: thrown.childTaskId }, 'task waits for its child tasks');
      return { kind: 'waiting_children', childTaskId: thrown.childTaskId };
    }
    const err = req.signal.aborted && !(thrown instanceof AppError) ? new TaskCancelledError(taskId) : coerceError(thrown);
    if (err instanceof TaskCancelledError) {
      await db.tenant(tenantId, (tx) => store.transition(tx, tenantId, taskId, 'cancelled'));
      log.info('task cancelled');
      return { kind: 'cancelled' };
    }
    const error: store.TaskError = err.details === undefined ? { code: err.code, message: err.message } : err.toJSON();
    if (err.retryable && req.willRetry) {
      log.warn({ err: error, attempt: task.attempts }, 'task attempt failed; it will be retried');
      await db.tenant(tenantId, (tx) => store.transition(tx, tenantId, taskId, 'queued', { error }));
      return { kind: 'retry', error: err };
    }
    log.warn({ err: error, attempt: task.attempts }, 'task failed');
    await db.tenant(tenantId, (tx) => store.transition(tx, tenantId, taskId, 'failed', { error }));
    return { kind: 'failed', error };
  }
}

/** The state of one attempt: journal, usage, pending log writes. */
class TaskRun {
  readonly #journal: Map<string, store.JournalEntry>;
  readonly #seen = new Map<string, number>();
  #seq: number;
  #usage: Usage;
  #memory: TaskContext['memory'] | undefined;
  #pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: RunnerDeps,
    private readonly agent: AnyAgent,
    private readonly task: store.Task,
    private readonly tenant: string,
    steps: store.JournalEntry[],
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {
    this.#journal = new Map(steps.map((s) => [s.name, s]));
    this.#seq = steps.reduce((m, s) => Math.max(m, s.seq), 0);
    this.#usage = { ...task.usage };
  }

  context(input: unknown): TaskContext {
    const logger = this.taskLogger();
    const step = <T>(name: string, fn: () => Promise<T> | T) => this.step(name, async () => ({ result: await fn() }));
    const base = { taskId: this.task.id, tenantId: this.#tenantId(), agent: this.agent, step: step as TaskContext['step'], logger, signal: this.signal };
    const ext = Object.assign({}, ...(this.deps.extensions ?? []).map((e) => e(base))) as Partial<TaskContext>;
    this.#memory = ext.memory;
    return {
      taskId: this.task.id,
      tenantId: this.#tenantId(),
      agent: this.agent.name,
      attempt: this.task.attempts,
      input,
      step: step as TaskContext['step'],
      progress: (pct, message) => this.progress(pct, message),
      llm: {
        online: this.deps.model.chat !== null,
        modelName: this.deps.model.name,
        generate: (name, request) => this.generate(name, request),
        invoke: (name, fn) => this.invoke(name, fn),
      },
      logger,
      signal: this.signal,
      tools: ext.tools ?? {},
      memory: ext.memory ?? {
        recall: () => Promise.reject(new AppError('MEMORY_UNAVAILABLE', 'Long-term memory is not configured in this worker.')),
        remember: () => Promise.reject(new AppError('MEMORY_UNAVAILABLE', 'Long-term memory is not configured in this worker.')),
      },
      approval:
        ext.approval ??
        (() => Promise.reject(permanent('APPROVALS_UNAVAILABLE', 'This worker cannot suspend tasks for approval.'))),
      delegate:
        ext.delegate ?? (() => Promise.reject(permanent('DELEGATION_UNAVAILABLE', 'This worker cannot create child tasks.'))),
      rawLogger: this.log,
    };
  }

  #tenantId(): string {
    return this.tenant;
  }

  /** Journaled step: replays a finished one, else runs it and records result + usage. */
  async step<T>(name: string, fn: () => Promise<{ result: T; usage?: Usage }>): Promise<T> {
    this.throwIfAborted();
    const n = (this.#seen.get(name) ?? 0) + 1;
    this.#seen.set(name, n);
    const key = n === 1 ? name : `${name}#${n}`;
    const tenantId = this.#tenantId();
    const done = this.#journal.get(key);
    if (done) {
      this.event('step', { name: key, replayed: true, seq: done.seq });
      return done.result as T;
    }
    const startedAt = new Date();
    this.event('step', { name: key, state: 'started' });
    const { result, usage } = await fn();
    this.throwIfAborted();
    const seq = ++this.#seq;
    const durationMs = Date.now() - startedAt.getTime();
    await this.#pending;
    await this.deps.db.tenant(tenantId, async (tx) => {
      const fresh = await store.recordStep(tx, tenantId, this.task.id, { name: key, seq, result, attempt: this.task.attempts, startedAt, ...(usage ? { usage } : {}) });
      if (fresh && usage && (usage.inputTokens || usage.outputTokens)) await store.addUsage(tx, this.task.id, usage);
      await store.addEvent(tx, tenantId, this.task.id, 'step', { name: key, state: 'finished', seq, durationMs, ...(usage ? { usage } : {}) });
    });
    return JSON.parse(JSON.stringify(result ?? null)) as T;
  }

  async progress(pct: number, message?: string): Promise<void> {
    const clamped = Math.max(0, Math.min(100, Math.round(pct)));
    const tenantId = this.#tenantId();
    await this.#pending;
    await this.deps.db.tenant(tenantId, (tx) => store.setProgress(tx, tenantId, this.task.id, clamped, message));
  }

  async generate(name: string, request: GenerateRequest): Promise<GenerateResult> {
    const chat = this.deps.model.chat;
    const result = await this.step(name, async () => {
      if (!chat) {
        const text = await request.fallback();
        return { result: { text, model: 'offline', usage: { ...ZERO_USAGE } } };
      }
      this.checkBudget();
      await this.deps.beforeModelCall?.(this.#tenantId(), this.task.id);
      const system = [request.system, await this.recallFor(request.prompt)].filter(Boolean).join('\n\n');
      const messages = [...(system ? [new SystemMessage(system)] : []), new HumanMessage(request.prompt)];
      const reply = (await chat.invoke(messages, { signal: this.signal })) as AIMessage;
      const usage = usageOf(this.deps.model.name, reply);
      this.chargeUsage(usage);
      return { result: { text: reply.text, model: this.deps.model.name, usage }, usage };
    });
    // A reply's tokens are known only after it: a task that went past its budget stops here.
    this.checkBudget('after');
    return result;
  }

  /** Relevant long-term memories for a language step, bounded; none when memory is off or fails. */
  private async recallFor(prompt: string): Promise<string> {
    if (!this.#memory) return '';
    try {
      return memoriesForPrompt(await this.#memory.recall(prompt.slice(0, 2000), { k: 5 }), 400);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'memory recall failed; the language step runs without memories');
      return '';
    }
  }

  async invoke<T>(name: string, fn: (model: BaseChatModel) => Promise<T>): Promise<T> {
    const chat = this.deps.model.chat;
    if (!chat) throw permanent('MODEL_OFFLINE', 'No language model is configured (set GEMINI_API_KEY); use llm.generate with a fallback.');
    const result = await this.step(name, async () => {
      this.checkBudget();
      await this.deps.beforeModelCall?.(this.#tenantId(), this.task.id);
      let usage: Usage = { ...ZERO_USAGE };
      try {
        const value = await withUsageMeter(this.deps.model.name, (u) => (usage = addUsageMath(usage, u)), () => fn(chat));
        this.chargeUsage(usage);
        return { result: value, usage };
      } catch (err) {
        // The tokens were spent although the step failed: bill them now, or a retry spends them again unseen.
        await this.billFailedStep(name, usage);
        throw err;
      }
    });
    this.checkBudget('after');
    return result;
  }

  private async billFailedStep(name: string, usage: Usage): Promise<void> {
    if (!usage.inputTokens && !usage.outputTokens) return;
    this.chargeUsage(usage);
    const tenantId = this.#tenantId();
    await this.#pending;
    await this.deps.db.tenant(tenantId, async (tx) => {
      await store.addUsage(tx, this.task.id, usage);
      await store.addEvent(tx, tenantId, this.task.id, 'step', { name, state: 'failed', usage });
    });
  }

  /**
   * Stops the task with BUDGET_EXCEEDED: `before` a model call once usage has reached the
   * budget (no call may start), `after` one when usage went past it.
   */
  checkBudget(when: 'before' | 'after' = 'before'): void {
    const b = this.task.budget;
    if (!b) return;
    const over = (used: number, max: number): boolean => (when === 'before' ? used >= max : used > max);
    const tokens = this.#usage.inputTokens + this.#usage.outputTokens;
    if (b.maxCostUsd !== undefined && over(this.#usage.costUsd, b.maxCostUsd)) {
      throw new BudgetExceededError(`Task spent $${this.#usage.costUsd} of its $${b.maxCostUsd} budget.`, { usage: this.#usage, budget: b });
    }
    if (b.maxTokens !== undefined && over(tokens, b.maxTokens)) {
      throw new BudgetExceededError(`Task used ${tokens} of its ${b.maxTokens} tokens.`, { usage: this.#usage, budget: b });
    }
  }

  private chargeUsage(u: Usage): void {
    this.#usage = addUsageMath(this.#usage, u);
  }

  private throwIfAborted(): void {
    if (this.signal.aborted) throw new TaskCancelledError(this.task.id);
  }

  private taskLogger(): TaskLogger {
    const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, data?: Record<string, unknown>) => {
      this.log[level](data ?? {}, message);
      if (level !== 'debug') this.event('log', { level, message, ...(data ? { data } : {}) });
    };
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
  }

  /** Queues an event write; writes keep their order and are awaited before the task ends. */
  private event(type: store.EventType, data: Record<string, unknown>): void {
    const tenantId = this.#tenantId();
    this.#pending = this.#pending
      .then(() => this.deps.db.tenant(tenantId, (tx) => store.addEvent(tx, tenantId, this.task.id, type, data)))
      .catch((err: unknown) => this.log.warn({ err }, 'could not store a task event'));
  }

  async flush(): Promise<void> {
    await this.#pending;
  }
}

/**
 * Runs `fn` with a LangChain callback that reports the token usage of every chat-model run
 * inside it: invoke, batch, stream, bindTools(...), withStructuredOutput(...), pipes. The
 * callback travels in LangChain's async-local config, so concurrent tasks do not mix.
 * (A call that passes its own `callbacks` option replaces the inherited ones and is not metered.)
 */
function withUsageMeter<T>(modelName: string, onUsage: (u: Usage) => void, fn: () => Promise<T>): Promise<T> {
  AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage()); // no-op once set
  const handler = {
    handleLLMEnd(output: LLMResult): void {
      for (const generation of output.generations.flat()) {
        const message = (generation as Partial<ChatGeneration>).message;
        if (message && AIMessage.isInstance(message)) onUsage(usageOf(modelName, message));
      }
    },
  };
  return AsyncLocalStorageProviderSingleton.runWithConfig({ callbacks: [handler] }, fn);
}
