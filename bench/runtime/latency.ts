/**
 * Figure 3, enqueue → start p99 at a fixed offered rate (open loop: a task is offered every
 * 1/rate s whether or not the previous one started). Product: from the call of
 * `TaskService.create` (task row, then `queue.add`) to the moment the agent's `run` begins in
 * the worker (the claim happens in between). Raw: from the call of `queue.add` to the moment a
 * raw BullMQ Worker's processor begins. Both workers run in this process for the whole figure,
 * so both clocks are the same `performance.now()`. The comparison is product p99 − raw p99.
 * Statements are counted over the whole round: create + run of a task with no steps.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWorkers } from '../../runtime/worker.ts';
import { since, snapshot } from '../counters.ts';
import { fmt } from '../lib.ts';
import { measureFigure, type Figure, type Sample } from '../rounds.ts';
import { BENCH_AGENT, benchHooks, completions, percentile, type EngineCtx } from './agent.ts';

export async function latencyFigure(c: EngineCtx): Promise<Figure> {
  const { rt, config, o, log } = c;
  const starts = new Map<string, number>();
  const productIds = new Set<string>();
  const rawIds = new Set<string>();
  benchHooks.runStarted = (id, at) => void (starts.has(id) || starts.set(id, at));
  const pool = startWorkers(rt, { agents: [BENCH_AGENT] });
  const raw = rt.queues.worker(
    'bench-latency',
    async (job) => {
      const at = performance.now();
      if (!starts.has(job.data.taskId)) starts.set(job.data.taskId, at);
      return { ok: true };
    },
    {
      concurrency: o.concurrency,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: config.WORKER_MAX_STALLED,
    },
  );
  const productDone = completions(pool.workers[0]!, productIds);
  const rawDone = completions(raw, rawIds);

  const offer = async (side: 'product' | 'raw', n: number, label: string): Promise<Sample> => {
    const ids = side === 'product' ? productIds : rawIds;
    const done = side === 'product' ? productDone : rawDone;
    const before = done.done();
    const enqueued = new Map<string, number>();
    const errors: string[] = [];
    const interval = 1000 / o.rate;
    const c0 = snapshot();
    const t0 = performance.now();
    const calls: Promise<void>[] = [];
    let lastOffer = t0;
    for (let i = 0; i < n; i++) {
      const wait = t0 + i * interval - performance.now();
      if (wait > 1) await sleep(wait);
      const at = (lastOffer = performance.now());
      calls.push(
        (async () => {
          if (side === 'product') {
            const { task } = await rt.tasks.create('default', BENCH_AGENT, { input: { steps: 0 } }, { type: 'bench' });
            enqueued.set(task.id, at);
            ids.add(task.id);
          } else {
            const id = randomUUID();
            enqueued.set(id, at);
            ids.add(id);
            await rt.queues.enqueue(
              'bench-latency',
              { taskId: id, tenantId: 'default' },
              { attempts: config.TASK_ATTEMPTS, backoffMs: config.TASK_BACKOFF_MS },
            );
          }
        })().catch((err: unknown) => void errors.push((err as Error).message)),
      );
    }
    // The rate at which tasks were offered (a late timer bunches offers up; it does not drop them).
    const offeredRate = n > 1 ? (n - 1) / ((lastOffer - t0) / 1000) : o.rate;
    await Promise.all(calls);
    const finished = await done.wait(before + n - errors.length, o.phaseTimeoutMs);
    const counts = since(c0);
    const lat = [...enqueued].filter(([id]) => starts.has(id)).map(([id, at]) => starts.get(id)! - at);
    const p99 = percentile(lat, 0.99);
    const problems = [
      errors.length ? `${errors.length} enqueue errors: ${errors[0]}` : '',
      lat.length < n ? `${lat.length}/${n} started` : '',
      finished - before < n ? `${finished - before}/${n} finished` : '',
      offeredRate < o.rate * 0.9 ? `offered only ${fmt(offeredRate, 1)}/s` : '',
    ].filter(Boolean);
    log(
      `  ${label}: p50 ${fmt(percentile(lat, 0.5), 1)} ms, p99 ${fmt(p99, 1)} ms, max ${fmt(Math.max(...lat), 1)} ms at ${fmt(offeredRate, 1)}/s offered`,
    );
    return {
      value: p99,
      units: n,
      counts,
      detail: `p50 ${fmt(percentile(lat, 0.5), 1)} ms`,
      ...(problems.length ? { invalid: problems.join('; ') } : {}),
    };
  };

  try {
    const warmN = Math.min(20, o.latencyTasks);
    return await measureFigure(log, {
      engine: c.engine,
      metric: `enqueue→start p99 (${o.latencyTasks} tasks at ${o.rate}/s)`,
      unit: 'ms',
      compare: 'difference',
      target: { op: '<=', value: 10 },
      per: 'task (create + run, no steps)',
      queueKind: c.queueKind,
      rounds: o.rounds,
      warmUp: async () => {
        await offer('product', warmN, 'warm-up product');
        await offer('raw', warmN, 'warm-up raw');
      },
      product: { name: 'BrainOps', run: (label) => offer('product', o.latencyTasks, label) },
      baseline: { name: 'raw BullMQ', run: (label) => offer('raw', o.latencyTasks, label) },
    });
  } finally {
    delete benchHooks.runStarted;
    await pool.close(5000);
    await raw.close();
  }
}
