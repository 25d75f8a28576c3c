/**
 * Task operations shared by the API, the CLI and agents that delegate: create (validate,
 * insert, enqueue), read, list, stream events, cancel.
 * @module
 */
import { inSpan, injectTrace, SpanKind } from './tracing.ts';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { Db, Sql } from './db/driver.ts';
import type { Config } from './config.ts';
import { AppError, badRequest, conflict, firstIssue } from './errors.ts';
import { checkIdempotencyKey, idempotencyKeyField } from './idempotency-key.ts';
import type { Logger } from './logger.ts';
import type { JobRef } from './flow.ts';
import type { QueueEngine } from './queue.ts';
import type { Registry } from './registry.ts';
import type { AnyAgent } from './contracts.ts';
import * as lifecycle from './lifecycle.ts';
import * as store from './tasks.ts';
import { withdrawApprovals } from './guardrails/approvals.ts';
import { actorOf } from './guardrails/audit.ts';
import { remainingToday } from './guardrails/budgets.ts';
import { businessValue, valuePriority } from './guardrails/policy.ts';

export const createTaskBody = z
  .object({
    input: z.unknown().default({}),
    idempotencyKey: idempotencyKeyField.optional(),
    priority: z.number().int().min(0).max(1000).optional(),
    delayMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3600 * 1000)
      .optional(),
    budget: z
      .object({ maxCostUsd: z.number().positive().optional(), maxTokens: z.number().int().positive().optional() })
      .strict()
      .optional(),
  })
  .strict();

/**
 * The tools an agent's `validate` gets (runtime/tools.ts `forValidation`): its declared
 * read-only tools bound to the tenant, outside any task.
 */
export type ValidationTools = (tenantId: string, agent: AnyAgent) => Record<string, (input: unknown) => Promise<unknown>>;

export class TaskService {
  constructor(
    private readonly db: Db,
    private readonly queues: QueueEngine,
    private readonly registry: Registry,
    private readonly config: Config,
    private readonly logger: Logger,
    /** Without it (the kernel's own service, before the tools exist) `validate` gets no tools. */
    private readonly validationTools?: ValidationTools,
  ) {}

  /** This service with `validate` given the business tools: the runtime's (runtime/boot.ts `createRuntime`). */
  withValidationTools(tools: ValidationTools): TaskService {
    return new TaskService(this.db, this.queues, this.registry, this.config, this.logger, tools);
  }

  /** Validates and creates a task, then enqueues it. Same idempotency key → the same task. */
  /** `parentJob`: the delegating task's BullMQ job, which waits for this one (runtime/flow.ts). */
  async create(
    tenantId: string,
    agentName: string,
    body: unknown,
    createdBy: Record<string, unknown>,
    parentId?: string,
    parentJob?: JobRef,
  ): Promise<{ task: store.Task; created: boolean }> {
    const agent = this.registry.requireAgent(agentName);
    // The key is checked as the Idempotency-Key header is (400 INVALID_IDEMPOTENCY_KEY), not as a
    // malformed task request: from the API, the CLI or a delegating agent alike.
    const key: unknown = typeof body === 'object' && body !== null ? (body as { idempotencyKey?: unknown }).idempotencyKey : undefined;
    if (key !== undefined) checkIdempotencyKey(key, 'The idempotencyKey');
    const parsed = createTaskBody.safeParse(body ?? {});
    if (!parsed.success)
      throw badRequest(
        'INVALID_REQUEST',
        `The request body is not a valid task request${firstIssue(parsed.error.issues)}.`,
        parsed.error.issues,
      );
    const input = agent.input.safeParse(parsed.data.input);
    if (!input.success)
      throw badRequest(
        'INVALID_INPUT',
        `The input does not match agent '${agentName}'${firstIssue(input.error.issues)}.`,
        input.error.issues,
      );
    const b = parsed.data;
    if (agent.validate) await this.#validate(agent, tenantId, input.data, b.idempotencyKey);
    // Guardrails: an explicit priority wins, else the value-aware rule (guardrails/policy.ts);
    // the request's (or schedule's) budget wins, else the agent's default.
    const explicit = b.priority ?? agent.defaults?.priority;
    const valued = explicit === undefined && businessValue(input.data) > 0;
    const budget = b.budget ?? agent.defaults?.budget;
    const birth = (sql: Sql | Db, priority: number | undefined) =>
      lifecycle.create(
        sql,
        tenantId,
        {
          id: randomUUID(),
          agent: agentName,
          input: input.data,
          idempotencyKey: b.idempotencyKey,
          priority,
          budget,
          parentId,
          createdBy,
          delayMs: b.delayMs,
        },
        {
          actor: actorOf(createdBy, parentId),
          details: { agent: agentName, priority: priority ?? 0, ...(budget ? { budget } : {}), ...(parentId ? { parentId } : {}) },
        },
      );
    // One statement; a value-aware priority first reads the tenant's budget, in its transaction.
    const { task, created } = valued
      ? await this.db.tenant(tenantId, async (tx) => birth(tx, valuePriority(input.data, await remainingToday(tx, tenantId, this.config))))
      : await birth(this.db, explicit);
    // The same key for another request is a client's mistake, not a repeat (as Stripe and the
    // IETF Idempotency-Key draft answer it): the first task is not the answer to this request.
    const differs = created
      ? undefined
      : repeatDiffers(task, input.data, {
          priority: explicit ?? (valued ? undefined : 0),
          budget,
          delayMs: b.delayMs ?? 0,
        });
    if (differs)
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        `The idempotency key '${b.idempotencyKey}' was first used for task ${task.id} with another ${differs}; send the same request to get that task, or use a new key for a new task.`,
        { status: 422, retryable: false, details: { taskId: task.id, differs } },
      );
    if (created) {
      try {
        // The job carries the trace context, so that its attempts continue this trace.
        await inSpan(
          `enqueue ${agentName}`,
          { kind: SpanKind.PRODUCER, attributes: { 'brainops.task_id': task.id, 'brainops.agent': agentName } },
          () => {
            const trace = injectTrace();
            return this.queues.enqueue(
              agentName,
              { taskId: task.id, tenantId, ...(trace ? { trace } : {}) },
              {
                attempts: agent.defaults?.attempts ?? this.config.TASK_ATTEMPTS,
                backoffMs: this.config.TASK_BACKOFF_MS,
                priority: task.priority,
                delayMs: b.delayMs,
                parent: parentJob,
              },
            );
          },
        );
      } catch (err) {
        // The row is safe; the sweeper re-adds queued tasks that have no job.
        this.logger.warn({ err, taskId: task.id }, 'could not enqueue the task now; the sweeper will');
      }
    }
    return { task, created };
  }

  /**
   * The agent's own check of an input before its task is accepted (AgentDefinition.validate):
   * what it throws refuses the request, before anything is written. A repeat of an accepted
   * request (its idempotency key already made a task) is not refused for what changed since
   * (an upload removed, a cap lowered): it answers the first task, as any repeat does.
   */
  async #validate(agent: AnyAgent, tenantId: string, input: unknown, key: string | undefined): Promise<void> {
    try {
      await agent.validate!(input, { tenantId, agent: agent.name, tools: this.validationTools?.(tenantId, agent) ?? {} });
    } catch (err) {
      if (key && (await this.db.tenant(tenantId, (tx) => store.hasTaskWithKey(tx, agent.name, key)))) return;
      throw err;
    }
  }

  get(tenantId: string, id: string): Promise<store.Task> {
    return this.db.tenant(tenantId, (tx) => store.getTask(tx, id));
  }

  async detail(tenantId: string, id: string): Promise<{ task: store.Task; steps: store.JournalEntry[] }> {
    return this.db.tenant(tenantId, async (tx) => ({ task: await store.getTask(tx, id), steps: await store.journal(tx, id) }));
  }

  list(tenantId: string, q: store.ListQuery): ReturnType<typeof store.listTasks> {
    return this.db.tenant(tenantId, (tx) => store.listTasks(tx, q));
  }

  /**
   * The task a stream opens on, checked against the client's resume point: `afterId` (its
   * Last-Event-ID) must be an event this task's stream could have sent, so at most the task's
   * newest event id. Event ids are shared by all tasks, so a larger one came from another
   * stream (or was made up), and resuming after it would skip this task's events, its final
   * status included: 400 INVALID_LAST_EVENT_ID. 404 when there is no such task. `caughtUp`: the
   * task has ended and the client has its last event, so nothing will ever come.
   */
  async streamStart(tenantId: string, id: string, afterId: number): Promise<{ task: store.Task; caughtUp: boolean }> {
    return this.db.tenant(tenantId, async (tx) => {
      const task = await store.getTask(tx, id);
      if (afterId === 0) return { task, caughtUp: false };
      const newest = await store.newestEventId(tx, id);
      if (newest !== null && afterId > newest)
        throw badRequest(
          'INVALID_LAST_EVENT_ID',
          `Event ${afterId} is not one of task ${id}'s events (its newest is ${newest}): reconnect without Last-Event-ID (or ?after) to read the task's events from the start.`,
          { newestEventId: newest },
        );
      return { task, caughtUp: store.TERMINAL.includes(task.status) && newest !== null && afterId >= newest };
    });
  }

  /** Up to `limit` (default 500) of the task's events after the event id `afterId`, in order. */
  events(tenantId: string, id: string, afterId: number, limit?: number): Promise<store.TaskEvent[]> {
    return this.db.tenant(tenantId, (tx) => store.eventsAfter(tx, id, afterId, limit));
  }

  /** Cancels a queued, running or waiting task. A running agent sees ctx.signal abort. */
  async cancel(tenantId: string, id: string): Promise<store.Task> {
    const task = await this.db.tenant(tenantId, async (tx) => {
      const current = await store.getTask(tx, id);
      if (store.TERMINAL.includes(current.status)) {
        throw conflict('TASK_FINISHED', `Task ${id} already ended as ${current.status}; there is nothing to cancel.`);
      }
      const cancelled = await lifecycle.move(tx, id, 'cancelled', { error: { code: 'TASK_CANCELLED', message: 'Cancelled on request.' } });
      // A question nobody answered yet is moot now: it leaves the approvals inbox.
      if (cancelled) await withdrawApprovals(tx, tenantId, id, { type: 'system', id: 'cancel' });
      return cancelled ?? current;
    });
    // Its unfinished children are not needed any more: a parent waiting for them is not in a
    // worker (runtime/flow.ts), so nothing else would stop them.
    const children = await this.db.tenant(tenantId, (tx) =>
      tx.query<{ id: string }>(`SELECT id FROM tasks WHERE parent_id = $1 AND NOT (status::text = ANY($2::text[]))`, [
        id,
        [...store.TERMINAL],
      ]),
    );
    for (const child of children.rows) await this.cancel(tenantId, child.id).catch(() => undefined);
    // A waiting job is removed now; an active one is stopped by its worker's cancel watch.
    await this.queues
      .queue(task.agent)
      .remove(id)
      .catch(() => 0);
    return task;
  }

  /** Waits until the task ends or `timeoutMs` passes; returns its latest state. */
  async waitFor(tenantId: string, id: string, timeoutMs: number, pollMs = 100): Promise<store.Task> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const task = await this.get(tenantId, id);
      if (store.TERMINAL.includes(task.status) || Date.now() >= deadline) return task;
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    }
  }
}

/**
 * What of a repeated request (same idempotency key) differs from the task the key made, or
 * undefined: its input, or one of its options as this request states them or leaves them to
 * their defaults (IETF Idempotency-Key draft: another payload under the same key is a 422). A
 * left-out priority is the agent's default or 0, unless the input's business value sets it
 * (then not compared: it depends on the day's budget); a left-out budget is the agent's
 * default or none; a left-out delay is none. A delay is the stated milliseconds: the task's
 * `notBefore` is its creation plus that delay, both from one statement's clock.
 */
function repeatDiffers(
  task: store.Task,
  input: unknown,
  wanted: { priority: number | undefined; budget: store.TaskBudget | undefined; delayMs: number },
): string | undefined {
  if (!isDeepStrictEqual(task.input, JSON.parse(JSON.stringify(input)) as unknown)) return 'input';
  if (wanted.priority !== undefined && wanted.priority !== task.priority) return 'priority';
  const budget = (b: store.TaskBudget | undefined) => JSON.parse(JSON.stringify(b ?? {})) as unknown;
  if (!isDeepStrictEqual(budget(task.budget), budget(wanted.budget))) return 'budget';
  const delay = task.notBefore ? Date.parse(task.notBefore) - Date.parse(task.createdAt) : 0;
  if (delay !== wanted.delayMs) return 'delayMs';
  return undefined;
}
