/**
 * The sweeper: the fallback that keeps "nothing is lost" true when the queue and the tasks
 * table disagree. A queued or running task untouched for a sweep interval whose job is
 * missing (the add failed while Redis was away, or the job was removed) gets its job again —
 * adding the same job id is harmless — and one whose job BullMQ gave up on is failed.
 * @module
 */
import type { Runtime } from './boot.ts';
import * as lifecycle from './lifecycle.ts';
import * as store from './tasks.ts';

export function startSweeper(rt: Runtime): { stop(): void; sweep(): Promise<number> } {
  const log = rt.logger.child({ role: 'sweeper' });
  let busy = false;
  const sweep = async (): Promise<number> => {
    if (busy) return 0;
    busy = true;
    let fixed = 0;
    try {
      const stale = await store.tasksNeedingAttention(rt.db, rt.config.SWEEPER_INTERVAL_MS);
      for (const t of stale) {
        const agent = rt.registry.agent(t.agent);
        if (!agent) continue;
        const state = await rt.queues.jobState(t.agent, t.id);
        if (state === 'unknown') {
          await rt.queues.enqueue(
            t.agent,
            { taskId: t.id, tenantId: t.tenantId },
            {
              attempts: agent.defaults?.attempts ?? rt.config.TASK_ATTEMPTS,
              backoffMs: rt.config.TASK_BACKOFF_MS,
              priority: t.priority,
              delayMs: t.delayMs || undefined,
            },
          );
          await rt.db.system((tx) => tx.query(`UPDATE tasks SET updated_at = now() WHERE id = $1`, [t.id]));
          log.info({ taskId: t.id, agent: t.agent }, 're-added a task whose job was missing');
          fixed++;
        } else if (state === 'failed') {
          const job = await rt.queues.queue(t.agent).getJob(t.id);
          const error = { code: 'JOB_FAILED', message: job?.failedReason ?? 'The queue gave up on this task.' };
          await rt.db.system((tx) => lifecycle.move(tx, t.id, 'failed', { error }));
          fixed++;
        }
      }
      log.debug({ looked: stale.length, fixed }, 'sweep done');
    } catch (err) {
      log.warn({ err }, 'sweep failed; will try again');
    } finally {
      busy = false;
    }
    return fixed;
  };
  const timer = setInterval(() => void sweep(), rt.config.SWEEPER_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer), sweep };
}
