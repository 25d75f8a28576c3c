/**
 * Runs one attempt of a task: claims the row (one statement), builds the task context over
 * the attempt's step scope (runtime/attempt.ts), runs the agent and ends the attempt (one
 * fenced statement). Queue-agnostic: the worker's processor calls it and acts on its outcome.
 * @module
 */
import { z } from 'zod';
import { Attempt } from './attempt.ts';
import type { Db, Sql } from './db/driver.ts';
import type { Admission } from './guardrails/budgets.ts';
import type { AnyAgent, StepScope, TaskContext, TaskLogger } from './contracts.ts';
import { AppError, Interrupt, RateLimitedError, TaskSuspended, coerceError, permanent, type Wake } from './errors.ts';
import * as lifecycle from './lifecycle.ts';
import { Meter, taskLlm } from './llm.ts';
import type { Logger } from './logger.ts';
import type { ModelProvider } from './models.ts';
import type { Registry } from './registry.ts';
import type { TaskError } from './tasks.ts';
import { observeAttempt } from './metrics.ts';

/** What an extension (tools, memory, approvals, delegation) builds the context parts it owns from. */
export interface ExtensionBase {
  taskId: string;
  tenantId: string;
  agent: AnyAgent;
  attempt: number;
  logger: TaskLogger;
  signal: AbortSignal;
  /** Issues the key of the next step called `name` in the current scope, without running one. */
  key(name: string): string;
  /**
   * A journaled step named `name` in the current scope. `request`: what it asks the outside
   * world for (`{tool, input}`, `{agent, input}`), journaled with it for replay (runtime/replay.ts).
   */
  step<T>(name: string, fn: (scope: StepScope) => Promise<T> | T, request?: StepRequest): Promise<T>;
  /** A journaled step under a key issued by `key` (two steps of one logical call share its key). */
  stepAt<T>(key: string, fn: (scope: StepScope) => Promise<T> | T, request?: StepRequest): Promise<T>;
  /** Ends the attempt: the task waits until `wake`. Sticks like every interrupt. */
  suspend(wake: Wake, reason: string): never;
  /** Writes inside the caller's transaction, fenced by this attempt (e.g. running → awaiting_approval). */
  fence: lifecycle.Fence;
}

/**
 * What a step asked the outside world for (see ExtensionBase.step): a tool call, a
 * delegation, or a language step's prompt (its SHA-256: prompts are long and may hold
 * personal data, and equality is all a replay needs).
 */
export type StepRequest = { tool: string; input: unknown } | { agent: string; input: unknown } | { promptSha256: string };

/** Filled by later layers (tools, memory, approvals, delegation): the parts of the context they own. */
export type ContextExtension = (base: ExtensionBase) => Partial<Pick<TaskContext, 'tools' | 'memory' | 'approval' | 'delegate'>>;

export interface RunnerDeps {
  db: Db;
  registry: Registry;
  model: ModelProvider;
  logger: Logger;
  extensions?: ContextExtension[];
  /** Before every model call (after the task's own budget check): the tenant's daily spend limit. */
  beforeModelCall?: (tenantId: string, taskId: string) => Promise<void>;
  /**
   * For a tenant with limits, in the claim's transaction: may refuse the task (the tenant's
   * daily budget: it fails) or defer it (the tenant's running cap).
   */
  admit?: (tx: Sql, tenantId: string, taskId: string) => Promise<Admission>;
  /** The configured tenant limits (TENANT_DAILY_BUDGET_USD, TENANT_MAX_RUNNING): a claim without limits is one statement. */
  tenantDefaults?: { dailyUsd: number | undefined; maxRunning: number };
  /** How many times a model's 429 may defer one task before it gives up (MODEL_RATE_LIMIT_DEFERRALS; default 5). */
  maxRateLimitDeferrals?: number;
}

export interface RunRequest {
  taskId: string;
  tenantId: string;
  agent: string;
  /** Whether a retryable failure will be tried again by the queue. */
  willRetry: boolean;
  /** How many times a model's 429 has deferred this task already (the job's data keeps count). */
  rateLimitDeferrals?: number;
  /** The run continues an attempt that waited for its child tasks: not a new attempt. */
  resumed?: boolean;
  /** Aborted by the worker; its reason (an Interrupt) says why. */
  signal: AbortSignal;
  /** Confirms that this attempt still holds its job lock (see Attempt.guard). */
  lease?: () => Promise<boolean>;
  leaseMs?: number;
}

export type RunOutcome =
  | { kind: 'succeeded'; output: unknown }
  | { kind: 'failed'; error: TaskError }
  /** Failed, and the queue tries again (the row is `queued` with the error). */
  | { kind: 'retry'; error: AppError }
  | { kind: 'cancelled' }
  /** The task waits (an approval, child tasks): the attempt ends without failing its job. */
  | { kind: 'suspended'; wake: Wake }
  /** Another attempt owns the task now: this one wrote nothing more and its job is not ours. */
  | { kind: 'stale' }
  /** The worker is shutting down: the task goes back to the queue as it is. */
  | { kind: 'shutdown' }
  /**
   * Not started now (the tenant is at its running cap), or stopped by a model's 429
   * (`rateLimited`: the row is `queued` with the RATE_LIMITED error): try again after `delayMs`.
   */
  | { kind: 'deferred'; delayMs: number; rateLimited?: boolean }
  | { kind: 'skipped'; reason: string };

/** Runs one attempt of a task. Never throws for the task's own failures: see RunOutcome. */
export async function runTask(deps: RunnerDeps, req: RunRequest): Promise<RunOutcome> {
  const seen: { createdAt?: string } = {};
  const started = performance.now();
  const outcome = await runAttempt(deps, req, seen);
  // An attempt that never started (deferred, skipped, unknown agent) is not timed.
  if (seen.createdAt) observeAttempt(req.agent, outcome.kind, (performance.now() - started) / 1000, seen.createdAt);
  return outcome;
}

async function runAttempt(deps: RunnerDeps, req: RunRequest, seen: { createdAt?: string }): Promise<RunOutcome> {
  const { db } = deps;
  const { tenantId, taskId } = req;
  const log = deps.logger.child({ taskId, agent: req.agent, tenant: tenantId });
  const agent = deps.registry.agent(req.agent);
  if (!agent) {
    const error = { code: 'AGENT_UNKNOWN', message: `No agent '${req.agent}' is registered in this worker.` };
    await db.system((tx) => lifecycle.move(tx, taskId, 'failed', { error }));
    return { kind: 'failed', error };
  }
  const gate = await claim(deps, req);
  if (gate.kind !== 'claimed') {
    log.debug({ outcome: gate }, 'attempt not started');
    return gate;
  }
  const { task, journal } = gate.claimed;
  seen.createdAt = task.createdAt;
  log.debug(
    { attempt: task.attempts, journaledSteps: journal.length, sinceCreatedMs: Date.now() - Date.parse(task.createdAt) },
    'attempt started',
  );

  const attempt = new Attempt({
    db,
    fence: { taskId, tenantId, attempt: task.attempts },
    agent: agent.name,
    journal,
    signal: req.signal,
    log,
    lease: req.lease,
    leaseMs: req.leaseMs,
    progress: task.progress?.pct,
  });
  const meter = new Meter(task.usage, task.budget);
  try {
    const input = agent.input.safeParse(task.input);
    if (!input.success) throw permanent('INPUT_INVALID', 'The task input no longer matches the agent schema.', z.treeifyError(input.error));
    meter.check();
    const running = agent.run(context(deps, req, agent, attempt, meter, input.data, log));
    running.catch(() => undefined); // if abandoned, its later failure is nobody's business
    const raw = await Promise.race([running, attempt.abandoned]);
    attempt.check(); // an interrupt the agent caught still ends the attempt as it said
    const output = agent.output.safeParse(raw);
    if (!output.success) {
      throw permanent(
        'OUTPUT_INVALID',
        `Agent '${agent.name}' returned output that does not match its schema.`,
        z.treeifyError(output.error),
      );
    }
    await attempt.finish('succeeded', { output: output.data });
    log.info({ attempt: task.attempts }, 'task succeeded');
    return { kind: 'succeeded', output: output.data };
  } catch (thrown) {
    await attempt.flush().catch(() => undefined);
    const interrupt = attempt.interrupt ?? (thrown instanceof Interrupt ? thrown : undefined);
    if (interrupt) return interrupted(interrupt, log);
    const err = coerceError(thrown);
    const error: TaskError = err.details === undefined ? { code: err.code, message: err.message } : err.toJSON();
    if (err instanceof RateLimitedError && mayDefer(deps, req)) {
      // Deferred, not failed: back to the queue after the server's delay, without using an attempt.
      try {
        await attempt.finish('queued', { error });
      } catch (stale) {
        if (stale instanceof Interrupt) return interrupted(stale, log);
        throw stale;
      }
      log.warn({ err: error, retryAfterMs: err.retryAfterMs }, 'model rate-limited; task deferred');
      return { kind: 'deferred', delayMs: err.retryAfterMs, rateLimited: true };
    }
    const retry = err.retryable && req.willRetry;
    try {
      await attempt.finish(retry ? 'queued' : 'failed', { error });
    } catch (stale) {
      if (stale instanceof Interrupt) return interrupted(stale, log);
      throw stale;
    }
    log.warn({ err: error, attempt: task.attempts }, retry ? 'task attempt failed; it will be retried' : 'task failed');
    return retry ? { kind: 'retry', error: err } : { kind: 'failed', error };
  }
}

/** Whether a 429 may defer the task once more (else it fails, or its language step falls back). */
export function mayDefer(deps: Pick<RunnerDeps, 'maxRateLimitDeferrals'>, req: Pick<RunRequest, 'rateLimitDeferrals'>): boolean {
  return (req.rateLimitDeferrals ?? 0) < (deps.maxRateLimitDeferrals ?? 5);
}

type Gate = { kind: 'claimed'; claimed: lifecycle.Claimed } | Extract<RunOutcome, { kind: 'failed' | 'deferred' | 'skipped' }>;

/** One statement for a tenant without limits; for one with limits, admission and claim in one transaction. */
async function claim(deps: RunnerDeps, req: RunRequest): Promise<Gate> {
  const defaults = deps.tenantDefaults ?? { dailyUsd: undefined, maxRunning: 0 };
  const o = { resumed: req.resumed === true, defaults };
  const fast = await lifecycle.claim(deps.db, req.taskId, req.tenantId, { ...o, admitted: !deps.admit });
  if (fast) return { kind: 'claimed', claimed: fast };
  const admit = deps.admit;
  if (!admit) return { kind: 'skipped', reason: 'task is not runnable (finished, cancelled or waiting)' };
  return deps.db.tenant(req.tenantId, async (tx): Promise<Gate> => {
    const gate = await admit(tx, req.tenantId, req.taskId);
    if (gate.kind === 'refused') return { kind: 'failed', error: gate.error };
    if (gate.kind === 'wait') return { kind: 'deferred', delayMs: gate.delayMs };
    const claimed = await lifecycle.claim(tx, req.taskId, req.tenantId, { ...o, admitted: true });
    return claimed ? { kind: 'claimed', claimed } : { kind: 'skipped', reason: 'task is not runnable (finished, cancelled or waiting)' };
  });
}

function interrupted(i: Interrupt, log: Logger): RunOutcome {
  log.info({ interrupt: i.code }, i.message);
  if (i instanceof TaskSuspended) return { kind: 'suspended', wake: i.wake };
  return { kind: i.kind === 'suspended' ? 'cancelled' : i.kind };
}

/** The task context over one attempt. */
function context(
  deps: RunnerDeps,
  req: RunRequest,
  agent: AnyAgent,
  attempt: Attempt,
  meter: Meter,
  input: unknown,
  log: Logger,
): TaskContext {
  const { taskId, tenantId } = attempt.fence;
  const logger = taskLogger(attempt, log);
  const wrap =
    <T>(fn: (scope: StepScope) => Promise<T> | T) =>
    async (scope: StepScope) => ({ result: await fn(scope) });
  const step = <T>(name: string, fn: (scope: StepScope) => Promise<T> | T, request?: StepRequest): Promise<T> =>
    attempt.step(name, wrap(fn), request);
  const base: ExtensionBase = {
    taskId,
    tenantId,
    agent,
    attempt: attempt.fence.attempt,
    logger,
    signal: attempt.signal,
    fence: attempt.fence,
    key: (name) => attempt.key(name),
    step,
    stepAt: (key, fn, request) => attempt.stepAt(key, wrap(fn), request),
    suspend: (wake, reason) => attempt.raise(new TaskSuspended(taskId, wake, reason)) as never,
  };
  const ext = Object.assign({}, ...(deps.extensions ?? []).map((e) => e(base))) as Partial<TaskContext>;
  const unavailable = (code: string, message: string) => () => Promise.reject(permanent(code, message));
  return {
    taskId,
    tenantId,
    agent: agent.name,
    attempt: attempt.fence.attempt,
    input,
    step: step as TaskContext['step'],
    progress: async (pct, message) => {
      attempt.progress({ pct: Math.max(0, Math.min(100, Math.round(pct))), ...(message === undefined ? {} : { message }) });
    },
    llm: taskLlm(attempt, meter, { ...deps, lastChance: { retry: !req.willRetry, defer: !mayDefer(deps, req) } }),
    logger,
    signal: attempt.signal,
    tools: ext.tools ?? {},
    memory: ext.memory ?? {
      recall: unavailable('MEMORY_UNAVAILABLE', 'Long-term memory is not configured in this worker.'),
      remember: unavailable('MEMORY_UNAVAILABLE', 'Long-term memory is not configured in this worker.'),
    },
    approval: ext.approval ?? unavailable('APPROVALS_UNAVAILABLE', 'This worker cannot suspend tasks for approval.'),
    delegate: ext.delegate ?? unavailable('DELEGATION_UNAVAILABLE', 'This worker cannot create child tasks.'),
  };
}

/** Logs through the process logger and streams info and above as the task's `log` events. */
function taskLogger(attempt: Attempt, log: Logger): TaskLogger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, data?: Record<string, unknown>) => {
    log[level](data ?? {}, message);
    if (level !== 'debug') attempt.event('log', { level, message, ...(data ? { data } : {}) });
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
