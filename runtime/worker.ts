/**
 * Workers: one BullMQ worker per agent queue in this process. The processor is thin: it
 * hands the job to the runner and turns the attempt's outcome into what BullMQ does with
 * the job — BullMQ owns attempts, backoff, delays and waiting-children; the task row records
 * what happened (runtime/lifecycle.ts). The job id is always the task id.
 *
 * An attempt is stopped before its next effect when its task is cancelled (the cancel
 * watch), when BullMQ cannot renew its lock (another worker may hold the job now), or when
 * the drain grace runs out on shutdown (the job is handed back unchanged).
 * @module
 */
import { extractTrace, inSpan, SpanKind, SpanStatusCode } from './tracing.ts';
import { DelayedError, UnrecoverableError, WaitingChildrenError, type Job, type Worker } from 'bullmq';
import type { Runtime } from './boot.ts';
import { coerceError, ShutdownInterrupt, StaleAttemptError, TaskCancelledError, type Interrupt, type Wake } from './errors.ts';
import { engineUnavailable, RETRY_AFTER_SECONDS } from './db/unavailable.ts';
import { jobScope } from './flow.ts';
import { runTask, type RunOutcome } from './runner.ts';
import type { JobData } from './queue.ts';
import { parseRateLimits, rateLimitFor } from './guardrails/policy.ts';
import { startSweeper } from './sweeper.ts';

export interface WorkerPool {
  readonly workers: Worker<JobData>[];
  /**
   * Stops taking jobs and lets running ones finish for `graceMs`; then stops them before
   * their next step and hands their jobs back to the queue unchanged.
   */
  close(graceMs?: number): Promise<void>;
}

interface Running {
  job: Job<JobData>;
  token: string;
  controller: AbortController;
  done: Promise<unknown>;
}

export function startWorkers(rt: Runtime, opts: { agents?: string[] } = {}): WorkerPool {
  const names = opts.agents ?? rt.registry.agentNames;
  const running = new Map<string, Running>();
  const log = rt.logger.child({ role: 'worker' });
  const lockMs = rt.config.WORKER_LOCK_MS;
  const stop = (taskId: string, why: Interrupt) => running.get(taskId)?.controller.abort(why);

  let closing = false;
  const processor = async (job: Job<JobData>, token?: string, signal?: AbortSignal) => {
    // Taken after close began: BullMQ's pause stops new fetches, but a fetch already blocked
    // waiting for the next job (a delayed one falling due) still takes it. Handed back untouched
    // (no claim, no attempt) for another worker.
    if (closing) return await backToQueue(job, token, Date.now());
    const { taskId, tenantId } = job.data;
    const controller = new AbortController();
    const onAbort = () => controller.abort(new TaskCancelledError(taskId));
    signal?.addEventListener('abort', onAbort, { once: true });
    let settle!: () => void;
    running.set(taskId, { job, token: token ?? '', controller, done: new Promise<void>((r) => (settle = r)) });
    try {
      // A run after a wait for children continues its attempt (the job's data marks it).
      const deferrals = job.data.rateLimitDeferrals ?? 0;
      const markWaiting = (waitingChildren: boolean) =>
        job.updateData({
          taskId,
          tenantId,
          ...(job.data.trace ? { trace: job.data.trace } : {}),
          ...(deferrals ? { rateLimitDeferrals: deferrals } : {}),
          ...(waitingChildren ? { waitingChildren } : {}),
        });
      let resumed = job.data.waitingChildren === true;
      if (resumed) await markWaiting(false);
      // Each run is a span of the trace that created the task (its context is in the job).
      const attempt = () =>
        jobScope.run({ id: job.id ?? taskId, queue: job.queueQualifiedName }, () =>
          inSpan(
            `task ${job.name}`,
            {
              kind: SpanKind.CONSUMER,
              parent: extractTrace(job.data.trace),
              attributes: {
                'brainops.task_id': taskId,
                'brainops.agent': job.name,
                'brainops.tenant_id': tenantId,
                'brainops.job_attempt': job.attemptsMade + 1,
              },
            },
            async (span) => {
              const outcome = await runTask(rt.runnerDeps, {
                taskId,
                tenantId,
                agent: job.name,
                willRetry: job.attemptsMade + 1 < (job.opts.attempts ?? 1),
                rateLimitDeferrals: deferrals,
                resumed,
                signal: controller.signal,
                lease: async () => (await job.extendLock(token ?? '', lockMs)) === 1,
                leaseMs: lockMs / 2,
              });
              span.setAttribute('brainops.outcome', outcome.kind);
              if (outcome.kind === 'failed' || outcome.kind === 'retry')
                span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
              return outcome;
            },
          ),
        );
      let outcome = await attempt().catch((err: unknown) => {
        // The runner could not even record the failure: the database is away.
        if (engineUnavailable(err)) return { kind: 'retry', error: coerceError(err) } as const;
        throw err;
      });
      // Children: the job leaves the worker until they end (not an attempt). If they already
      // ended, run again now; if BullMQ tracks none of them, look again in a second.
      for (let again = 0; isWaitingForChildren(outcome); again++) {
        await markWaiting(true);
        if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
        if (again > 0) return await backToQueue(job, token, Date.now() + 1000);
        await markWaiting(false);
        resumed = true;
        outcome = await attempt();
      }
      switch (outcome.kind) {
        case 'retry':
          // An engine outage is not the task's fault: back to the queue without using an attempt.
          if (engineUnavailable(outcome.error)) return await backToQueue(job, token, Date.now() + RETRY_AFTER_SECONDS * 1000);
          throw outcome.error;
        case 'failed':
          throw new UnrecoverableError(`${outcome.error.code}: ${outcome.error.message}`);
        case 'deferred':
          // A model's 429: counted, so that the runner gives up after MODEL_RATE_LIMIT_DEFERRALS.
          if (outcome.rateLimited) await job.updateData({ ...job.data, waitingChildren: undefined, rateLimitDeferrals: deferrals + 1 });
          // The tenant is at its running cap: the free slot goes to another tenant's task.
          return await backToQueue(job, token, Date.now() + outcome.delayMs);
        case 'shutdown':
          return await backToQueue(job, token, Date.now());
        case 'suspended':
          return await suspendForApproval(job, token, outcome.wake);
        default:
          return { ok: true, ...(outcome.kind === 'succeeded' ? {} : { [outcome.kind]: true }) };
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      running.delete(taskId);
      settle();
    }
  };

  /** The job waits in `delayed` until a decision promotes it, or the request expires. */
  const suspendForApproval = async (job: Job<JobData>, token: string | undefined, wake: Wake): Promise<never> => {
    if (wake.on !== 'approval') throw new Error(`cannot suspend for ${wake.on} here`);
    await job.moveToDelayed(wake.until + 1000, token);
    // A decision made before the move could not promote the job: look once more, after it.
    const decided = await rt.db.system((tx) =>
      tx.query(`SELECT 1 FROM tasks WHERE id = $1 AND status <> 'awaiting_approval'`, [job.data.taskId]),
    );
    if (decided.rows.length) await job.promote().catch(() => undefined);
    throw new DelayedError();
  };

  const limits = parseRateLimits(rt.config.AGENT_RATE_LIMITS);
  const workers = names.map((agent) => {
    const def = rt.registry.agent(agent);
    const limit = def ? rateLimitFor(def, limits) : undefined;
    const w = rt.queues.worker(agent, processor, {
      concurrency: rt.config.WORKER_CONCURRENCY,
      lockDuration: lockMs,
      stalledInterval: rt.config.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: rt.config.WORKER_MAX_STALLED,
      // Per-agent rate limit (model quotas): BullMQ's limiter, shared by every worker of the queue.
      ...(limit ? { limiter: { max: limit.max, duration: limit.durationMs } } : {}),
    });
    w.on('error', (err) => log.warn({ err: err.message, agent }, 'worker connection error'));
    // The lock lapsed (a frozen process, a long pause): another worker may run the task now.
    w.on('lockRenewalFailed', (ids) => {
      for (const id of ids) stop(id, new StaleAttemptError(id, 0, 'its job lock could not be renewed'));
    });
    return w;
  });

  // Cancel watch: tasks cancelled through any API process stop here within a second.
  const cancelWatch = setInterval(() => {
    const ids = [...running.keys()];
    if (ids.length === 0) return;
    rt.db
      .system((tx) => tx.query<{ id: string }>(`SELECT id FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'cancelled'`, [ids]))
      .then((r) => r.rows.forEach((row) => stop(row.id, new TaskCancelledError(row.id))))
      .catch((err: unknown) => log.warn({ err }, 'cancel watch failed'));
  }, 1000);
  cancelWatch.unref();

  const sweeper = startSweeper(rt);

  return {
    workers,
    async close(graceMs = rt.config.WORKER_DRAIN_GRACE_MS) {
      closing = true;
      clearInterval(cancelWatch);
      sweeper.stop();
      // Take no new jobs; running ones may finish within the grace.
      await Promise.allSettled(workers.map((w) => w.pause(true)));
      const drained = Promise.allSettled([...running.values()].map((r) => r.done));
      if ((await Promise.race([drained, sleep(graceMs)])) === 'timeout' && running.size > 0) {
        log.warn({ running: running.size }, 'drain grace over: handing running tasks back to the queue');
        for (const [id] of running) stop(id, new ShutdownInterrupt());
        // Each stops before its next step and hands its job back; one stuck inside a step is
        // handed back from here, and anything it writes later is fenced out by the next claim.
        if ((await Promise.race([Promise.allSettled([...running.values()].map((r) => r.done)), sleep(2000)])) === 'timeout') {
          await Promise.allSettled([...running.values()].map((r) => r.job.moveToDelayed(Date.now(), r.token)));
        }
      }
      await Promise.allSettled(workers.map((w) => w.close(true)));
    },
  };
}

const isWaitingForChildren = (o: RunOutcome): boolean => o.kind === 'suspended' && o.wake.on === 'children';

/** Puts the job back (delayed until `at`), not as a failed attempt. */
async function backToQueue(job: Job<JobData>, token: string | undefined, at: number): Promise<never> {
  await job.moveToDelayed(at, token);
  throw new DelayedError();
}

const sleep = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
