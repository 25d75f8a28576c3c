/**
 * The task context's `memory`: recall and remember for the running task's tenant and agent.
 * Both go through the task's journal (`step`), so a retried task replays what it recalled and
 * never remembers twice (nor pays for the same embedding twice).
 * @module
 */
import type { TaskMemory } from '../runtime/contracts.ts';
import type { ContextExtension } from '../runtime/runner.ts';
import type { MemoryStore } from './store.ts';

/** A context extension that gives tasks `ctx.memory` from the process's memory store. */
export function memoryExtension(store: MemoryStore): ContextExtension {
  return (base) => {
    const memory: TaskMemory = {
      recall: (query, o = {}) =>
        // Every agent's memories of the tenant unless `agent` narrows it (e.g. to its own name).
        base.step('memory.recall', () => store.recall(base.tenantId, query, o)),
      remember: (content, metadata = {}) =>
        base.step('memory.remember', async ({ idempotencyKey }) => {
          const { kind, expiresAt, ...rest } = metadata;
          const r = await store.remember(base.tenantId, {
            content,
            agent: base.agent.name,
            ...(typeof kind === 'string' ? { kind } : {}),
            ...(typeof expiresAt === 'string' ? { expiresAt } : {}),
            metadata: rest,
            sourceTaskId: base.taskId,
            // A retry whose first write committed before the journal said so gets that memory back.
            idempotencyKey,
          });
          return { id: r.id };
        }),
    };
    return { memory };
  };
}

export { memoriesForPrompt } from '../runtime/prompt.ts';
