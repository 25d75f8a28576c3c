/**
 * The scheduler role of a worker process: a BullMQ worker on the `_schedules` queue whose
 * jobs (one delayed job per schedule tick, see runtime/guardrails/schedules.ts) become tasks,
 * a reconciliation of the schedules table into those jobs at start and every
 * SCHEDULER_RECONCILE_MS, and the expiry of approvals nobody decided. Any number of processes
 * may run it at once: BullMQ hands each tick to one of them, and the task's idempotency key
 * absorbs a duplicate.
 * @module
 */
import type { Job, Worker } from 'bullmq';
import type { Runtime } from '../runtime/boot.ts';
import type { JobData } from '../runtime/queue.ts';
import { expireApprovals, SCHEDULER_QUEUE, ScheduleService, type ScheduleJobData } from '../runtime/guardrails/index.ts';

export interface SchedulerRole {
  readonly service: ScheduleService;
  readonly worker: Worker;
  /** Re-syncs BullMQ from the table now (also runs on a timer). */
  reconcile(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The tick a scheduler job stands for: its `tick`; for a job an older release's BullMQ job
 * scheduler made, the millis in its id `repeat:<scheduler id>:<millis>`.
 */
export function tickOf(job: Pick<Job<ScheduleJobData>, 'id' | 'timestamp' | 'delay' | 'data'>): number {
  if (typeof job.data?.tick === 'number') return job.data.tick;
  const m = /^repeat:.+:(\d+)$/.exec(job.id ?? '');
  return m?.[1] ? Number(m[1]) : job.timestamp + (job.delay ?? 0);
}

export async function startScheduler(rt: Runtime): Promise<SchedulerRole> {
  const log = rt.logger.child({ role: 'scheduler' });
  const service = new ScheduleService(rt);
  const worker = rt.queues.worker(
    SCHEDULER_QUEUE,
    async (job) => {
      const j = job as unknown as Job<ScheduleJobData>;
      const task = await service.fire(j.data, tickOf(j));
      return task ? { taskId: task.id } : { skipped: true };
    },
    {
      concurrency: 4,
      lockDuration: rt.config.WORKER_LOCK_MS,
      stalledInterval: rt.config.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: rt.config.WORKER_MAX_STALLED,
    },
  ) as Worker<JobData>;
  worker.on('error', (err) => log.warn({ err: err.message }, 'scheduler connection error'));

  const reconcile = async (): Promise<number> => {
    try {
      return await service.reconcileAll();
    } catch (err) {
      log.warn({ err }, 'schedule reconciliation failed; will try again');
      return -1;
    }
  };
  const kept = await reconcile();
  if (kept > 0) log.info({ schedules: kept }, 'schedules in sync with BullMQ');
  const syncTimer = setInterval(() => void reconcile(), rt.config.SCHEDULER_RECONCILE_MS);
  syncTimer.unref();
  const expiryTimer = setInterval(
    () => {
      expireApprovals(rt.db).then(
        (n) => n && log.info({ expired: n }, 'approvals expired; their tasks failed'),
        (err: unknown) => log.warn({ err }, 'approval expiry failed'),
      );
    },
    Math.min(rt.config.SCHEDULER_RECONCILE_MS, 10_000),
  );
  expiryTimer.unref();

  return {
    service,
    worker: worker as unknown as Worker,
    reconcile,
    async close() {
      clearInterval(syncTimer);
      clearInterval(expiryTimer);
      await worker.close();
    },
  };
}
