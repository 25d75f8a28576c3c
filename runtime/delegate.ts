/**
 * Delegation: an agent runs other agents as child tasks (`ctx.delegate(handle, input)`, or
 * by name). An agent that declares `agents` may delegate only to those.
 *
 * A child is an ordinary task (its own row, queue job, journal, retries) whose `parentId` is
 * the delegating task. One delegation is one key of the parent's step scope, `delegate:<agent>`
 * (`#n` when repeated), issued when the call is made — so parallel delegations get the same
 * keys on every attempt, whatever order their children are created or end in. Two journaled
 * steps use it: `<key>` records the child's id, `<key>/wait` its end state; the child is
 * created with the idempotency key `<parent id>:<key>`. A parent killed at any point comes
 * back to the same children: never a duplicate, never another child's result.
 *
 * Waiting is BullMQ-native (runtime/flow.ts): the child's job is a BullMQ child of the
 * parent's job, and a parent that awaits an unfinished child suspends (the one suspend
 * primitive, `wake: children`); its job waits in `waiting-children` without holding a
 * worker slot, and the next run replays the journal and reads the children's results from
 * the tasks table. Outside a BullMQ worker (no job in scope) the wait polls instead. An agent
 * may not delegate to itself.
 * @module
 */
import { refNames, type AgentRef, type ChildResult, type DelegateOptions, type TaskContext } from './contracts.ts';
import { AppError, TaskCancelledError, permanent } from './errors.ts';
import { jobScope } from './flow.ts';
import type { ContextExtension } from './runner.ts';
import type { TaskService } from './service.ts';
import { TERMINAL, type Task } from './tasks.ts';

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** The context extension that gives tasks `ctx.delegate`, creating children through the runtime's task service. */
export function delegateExtension(service: TaskService, o: { pollMs?: number } = {}): ContextExtension {
  const pollMs = o.pollMs ?? 200;
  return (base) => {
    // Children being created in this attempt: a wait lets them all be added (and journaled)
    // before the attempt gives up its slot, so parallel delegations all become dependencies.
    const creating = new Set<Promise<unknown>>();
    const declared = refNames(base.agent.agents);
    const delegate = async <O>(target: AgentRef, input: unknown, opts: DelegateOptions = {}): Promise<ChildResult<O>> => {
      const agent = typeof target === 'string' ? target : target.name;
      if (agent === base.agent.name) throw permanent('DELEGATION_INVALID', `Agent '${agent}' cannot delegate to itself.`);
      if (declared && !declared.includes(agent)) {
        throw permanent(
          'DELEGATION_INVALID',
          `Agent '${base.agent.name}' does not declare '${agent}' in its agents: [${declared.join(', ')}].`,
        );
      }
      const key = base.key(`delegate:${agent}`); // issued before any await
      const job = jobScope.getStore();
      const creation = base.stepAt(
        key,
        async ({ idempotencyKey }) => {
          const { task } = await service.create(
            base.tenantId,
            agent,
            { input, idempotencyKey, ...(opts.priority !== undefined ? { priority: opts.priority } : {}) },
            { kind: 'agent', taskId: base.taskId, agent: base.agent.name },
            base.taskId,
            job,
          );
          return task.id;
        },
        { agent, input: input ?? null },
      );
      creating.add(creation);
      const childId = await creation.finally(() => creating.delete(creation));
      base.logger.info(`delegated to ${agent}`, { childTaskId: childId });
      return base.stepAt(`${key}/wait`, async () => {
        const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
        for (;;) {
          if (base.signal.aborted) {
            // Cancelled parent: its children are not needed. A worker shutting down also aborts,
            // and then the children keep running for the parent's next attempt.
            const parent = await service.get(base.tenantId, base.taskId).catch(() => undefined);
            if (parent?.status === 'cancelled') await service.cancel(base.tenantId, childId).catch(() => undefined);
            throw base.signal.reason instanceof Error ? base.signal.reason : new TaskCancelledError(base.taskId);
          }
          const t = await service.get(base.tenantId, childId);
          if (TERMINAL.includes(t.status)) return resultOf<O>(t, agent);
          if (job) {
            while (creating.size > 0) await Promise.allSettled([...creating]);
            base.logger.info('waiting for child tasks', { childTaskId: childId });
            return base.suspend({ on: 'children', childTaskId: childId }, `child task ${childId} (${agent}) has not ended`);
          }
          if (Date.now() > deadline) {
            throw new AppError('CHILD_TIMEOUT', `Child task ${childId} (${agent}) did not finish in time.`, { status: 504 });
          }
          await new Promise((r) => setTimeout(r, pollMs));
        }
      }) as Promise<ChildResult<O>>;
    };
    return { delegate: delegate as TaskContext['delegate'] };
  };
}

function resultOf<O>(t: Task, agent: string): ChildResult<O> {
  const r: ChildResult<O> = { taskId: t.id, agent, status: t.status as ChildResult['status'] };
  if (t.output !== undefined) r.output = t.output as O;
  if (t.error) r.error = { code: t.error.code, message: t.error.message };
  return r;
}
