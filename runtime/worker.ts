/**
 * Workers: one BullMQ worker per agent queue in this process. The processor is thin: it
 * reads job.data, links the abort signal and hands off to the runner. A cancel watch aborts
 * running tasks that were cancelled elsewhere; the sweeper re-adds tasks whose job is gone.
 * @module
 */
import { DelayedError, UnrecoverableError, WaitingChildrenError, type Job, type Worker } from 'bullmq';
import type { Runtime } from './boot.ts';
import { jobScope } from './flow.ts';
import { runTask } from './runner.ts';
import type { JobData } from './queue.ts';
import * as store from './tasks.ts';
import { parseRateLimits, rateLimitFor } from './guardrails/policy.ts';

export interface WorkerPool {
  readonly workers: Worker<JobData>[];
  /** Stops taking jobs, lets running ones finish (or hands them back after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

export function startWorkers(rt: Runtime, opts: { agents?: string[] } = {}): WorkerPool {
  const names = opts.agents ?? rt.registry.agentNames;
  const running = new Map<string, AbortController>();
  const log = rt.logger.child({ role: 'worker' });

  const processor = async (job: Job<JobData>, token?: string, signal?: AbortSignal) => {
    const { taskId, tenantId } = job.data;
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    running.set(taskId, controller);
    try {
      // The job's data marks a wait for children, so the run after it is not a new attempt of
      // the task; cleared as the run starts, so a crash in that run counts again.
      const markWaiting = (waitingChildren: boolean) => job.updateData({ taskId, tenantId, ...(waitingChildren ? { waitingChildren } : {}) });
      let resumed = job.data.waitingChildren === true;
      if (resumed) await markWaiting(false);
      const attempt = () =>
        jobScope.run({ id: job.id ?? taskId, queue: job.queueQualifiedName }, () =>
          runTask(rt.runnerDeps, {
            taskId,
            tenantId,
            agent: job.name,
            willRetry: job.attemptsMade + 1 < (job.opts.attempts ?? 1),
            resumed,
            signal: controller.signal,
          }),
        );
      let outcome = await attempt();
      // Delegation (runtime/flow.ts): the job leaves the worker until its children end, and
      // BullMQ brings it back (not an attempt: attemptsMade is unchanged). If they already
      // ended, run again now; if BullMQ tracks none of them (a child whose job was re-added
      // by the sweeper), look again in a second without holding the slot.
      for (let again = 0; outcome.kind === 'waiting_children'; again++) {
        await markWaiting(true);
        if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
        if (again > 0) {
          await job.moveToDelayed(Date.now() + 1000, token);
          throw new DelayedError();
        }
        await markWaiting(false);
        resumed = true;
        outcome = await attempt();
      }
      if (outcome.kind === 'retry') throw outcome.error;
      if (outcome.kind === 'deferred') {
        // The tenant is at its running cap: back to the queue for a moment, so the free slot
        // goes to another tenant's task (not an attempt: attemptsMade is unchanged).
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError();
      }
      if (outcome.kind === 'failed') throw new UnrecoverableError(`${outcome.error.code}: ${outcome.error.message}`);
      return outcome.kind === 'succeeded' ? { ok: true } : { ok: true, [outcome.kind]: true };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      running.delete(taskId);
    }
  };

  const limits = parseRateLimits(rt.config.AGENT_RATE_LIMITS);
  const workers = names.map((agent) => {
    const def = rt.registry.agent(agent);
    const limit = def ? rateLimitFor(def, limits) : undefined;
    const w = rt.queues.worker(agent, processor, {
      concurrency: rt.config.WORKER_CONCURRENCY,
      lockDuration: rt.config.WORKER_LOCK_MS,
      stalledInterval: rt.config.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: rt.config.WORKER_MAX_STALLED,
      // Per-agent rate limit (model quotas): BullMQ's limiter, shared by every worker of the queue.
      ...(limit ? { limiter: { max: limit.max, duration: limit.durationMs } } : {}),
    });
    w.on('error', (err) => log.warn({ err: err.message, agent }, 'worker connection error'));
    return w;
  });

  // Cancel watch: tasks cancelled through any API process stop here within a second.
  const cancelWatch = setInterval(() => {
    const ids = [...running.keys()];
    if (ids.length === 0) return;
    rt.db
      .system((tx) => tx.query<{ id: string }>(`SELECT id FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'cancelled'`, [ids]))
      .then((r) => r.rows.forEach((row) => running.get(row.id)?.abort(new Error('cancelled'))))
      .catch((err: unknown) => log.warn({ err }, 'cancel watch failed'));
  }, 1000);
  cancelWatch.unref();

  const sweeper = startSweeper(rt);

  return {
    workers,
    async close(graceMs = 30_000) {
      clearInterval(cancelWatch);
      sweeper.stop();
      // worker.close() waits for active jobs; past the grace period, force-close: their
      // locks lapse and another worker takes them over, replaying the journal.
      const closing = Promise.allSettled(workers.map((w) => w.close()));
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
      if ((await Promise.race([closing, timer])) === 'timeout') {
        log.warn({ running: running.size }, 'grace period over: handing running tasks back to the queue');
        await Promise.allSettled(workers.map((w) => w.close(true)));
      }
    },
  };
}

/** Re-adds queued tasks whose job is missing; fails tasks whose job BullMQ gave up on. */
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
        if (!rt.registry.agent(t.agent)) continue;
        const state = await rt.queues.jobState(t.agent, t.jobId);
        if (state === 'unknown') {
          await rt.queues.enqueue(t.agent, { taskId: t.id, tenantId: t.tenantId }, {
            jobId: t.jobId,
            attempts: rt.registry.agent(t.agent)?.defaults?.attempts ?? rt.config.TASK_ATTEMPTS,
            backoffMs: rt.config.TASK_BACKOFF_MS,
            priority: t.priority,
          });
          await rt.db.tenant(t.tenantId, (tx) => tx.query(`UPDATE tasks SET updated_at = now() WHERE id = $1`, [t.id]));
          log.info({ taskId: t.id, agent: t.agent }, 're-added a task whose job was missing');
          fixed++;
        } else if (state === 'failed') {
          const job = await rt.queues.queue(t.agent).getJob(t.jobId);
          const error = { code: 'JOB_FAILED', message: job?.failedReason ?? 'The queue gave up on this task.' };
          await rt.db.tenant(t.tenantId, (tx) => store.transition(tx, t.tenantId, t.id, 'failed', { error }));
          fixed++;
        }
      }
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
