/**
 * Figure 1, task throughput: `estimator` tasks/s through the real workers (`startWorkers`:
 * claim, journal, events, finish) vs no-op jobs/s of a raw BullMQ Worker on the same queue
 * backend, with the same job options and worker settings. Figure 1b (`core`, no target): the
 * same with an agent that does nothing (`bench-steps`, 0 steps), like for like with the no-op
 * job: what the durable core itself costs per task, without the estimator's own work.
 *
 * Each round fills the queue first, then starts a fresh worker and drains it; the rate runs from
 * the first completion to the last, so worker start-up is out on both sides. Statements are
 * counted from the worker's start to the last completion: the worker side's cost per task.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startWorkers } from '../../runtime/worker.ts';
import { since, snapshot } from '../counters.ts';
import { cpuNow, cpuPer, fmt, pooled, ticker } from '../lib.ts';
import { measureFigure, type Figure, type Sample } from '../rounds.ts';
import { BENCH_AGENT, type EngineCtx } from './agent.ts';

const estimateInput = (i: number) => ({ roofAreaSqFt: 1500 + (i % 1000), pitch: `${4 + (i % 8)}/12`, material: 'architectural_shingle' });

interface Drainable {
  on(event: 'completed', fn: () => void): unknown;
  on(event: 'failed', fn: (job: unknown, err: Error) => void): unknown;
}

interface Drained {
  perSecond: number;
  done: number;
  failures: number;
  ms: number;
}

/** Waits for `n` completions on a worker, or the time limit. */
function drain(worker: Drainable, n: number, timeoutMs: number, log: EngineCtx['log'], label: string): Promise<Drained> {
  let done = 0;
  let failures = 0;
  let first = 0;
  let last = 0;
  const t0 = performance.now();
  const tick = ticker(log, `${label} drain`, () => done, n);
  return new Promise<Drained>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      tick.stop();
      const steady = done >= 2 ? (done - 1) / ((last - first) / 1000) : 0;
      resolve({ perSecond: steady, done, failures, ms: (done < n ? performance.now() : last) - t0 });
    };
    const timer = setTimeout(finish, timeoutMs);
    worker.on('completed', () => {
      done++;
      last = performance.now();
      if (done === 1) first = last;
      if (done === n) finish();
    });
    worker.on('failed', () => void failures++);
  });
}

function sample(d: Drained, n: number, counts: Sample['counts'], cpu: string, extra?: string): Sample {
  const problems = [
    d.done < n ? `${d.done}/${n} done in ${fmt(d.ms)} ms` : '',
    d.failures ? `${d.failures} failed attempts` : '',
    extra ?? '',
  ].filter(Boolean);
  return {
    value: d.perSecond,
    units: n,
    ...(counts ? { counts } : {}),
    detail: `${d.done}/${n} in ${fmt(d.ms)} ms; ${cpu}`,
    ...(problems.length ? { invalid: problems.join('; ') } : {}),
  };
}

/** What the product side runs: an agent and each task's input. */
interface Workload {
  agent: string;
  input: (i: number) => Record<string, unknown>;
  name: string;
  metric: string;
  /** Whether issue #14's target applies (0.25 of raw BullMQ on Redis, 0.70 on the Postgres backend). */
  targeted: boolean;
}

export const throughputFigure = (c: EngineCtx): Promise<Figure> =>
  measureThroughput(c, { agent: 'estimator', input: estimateInput, name: 'BrainOps workers', metric: 'tasks/s', targeted: true });

export const coreThroughputFigure = (c: EngineCtx): Promise<Figure> =>
  measureThroughput(c, {
    agent: BENCH_AGENT,
    input: () => ({ steps: 0 }),
    name: 'BrainOps workers, no-op agent',
    metric: 'no-op agent tasks/s',
    targeted: false,
  });

async function measureThroughput(c: EngineCtx, w: Workload): Promise<Figure> {
  const { rt, config, o, log } = c;
  const settings = {
    concurrency: o.concurrency,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: config.WORKER_MAX_STALLED,
  };
  const jobOpts = { attempts: config.TASK_ATTEMPTS, backoffMs: config.TASK_BACKOFF_MS };

  const baseline = async (n: number, label: string): Promise<Sample> => {
    let added = 0;
    const fill = ticker(log, `${label} enqueue`, () => added, n);
    await pooled(n, 8, async () => {
      await rt.queues.enqueue('bench-noop', { taskId: randomUUID(), tenantId: 'default' }, jobOpts);
      added++;
    });
    fill.stop();
    const c0 = snapshot();
    const cpu0 = cpuNow();
    const worker = rt.queues.worker('bench-noop', async () => ({ ok: true }), settings);
    const d = await drain(worker, n, o.phaseTimeoutMs, log, label);
    const counts = since(c0);
    const cpu = cpuPer(cpu0, n, 'job');
    await worker.close();
    return sample(d, n, counts, cpu);
  };

  const product = async (n: number, label: string): Promise<Sample> => {
    const ids: string[] = [];
    const fill = ticker(log, `${label} create`, () => ids.length, n);
    await pooled(n, 8, async (i) => {
      const { task } = await rt.tasks.create('default', w.agent, { input: w.input(i) }, { type: 'bench' });
      ids.push(task.id);
    });
    fill.stop();
    const c0 = snapshot();
    const cpu0 = cpuNow();
    const pool = startWorkers(rt, { agents: [w.agent] });
    const d = await drain(pool.workers[0]!, n, o.phaseTimeoutMs, log, label);
    const counts = since(c0);
    const cpu = cpuPer(cpu0, n, 'task');
    await pool.close(5000);
    const check = await rt.db.system((tx) =>
      tx.query<{ ok: number }>(`SELECT count(*)::int AS ok FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'succeeded'`, [ids]),
    );
    const ok = check.rows[0]?.ok ?? 0;
    return sample(d, n, counts, cpu, ok !== n ? `${ok}/${n} tasks succeeded` : undefined);
  };

  const warmN = Math.min(50, Math.ceil(o.tasks / 5));
  return measureFigure(log, {
    engine: c.engine,
    metric: `${w.metric} (${o.tasks} tasks, c=${o.concurrency})`,
    unit: '/s',
    compare: 'ratio',
    ...(w.targeted ? { target: { op: '>=' as const, value: c.queueKind === 'redis' ? 0.25 : 0.7 } } : {}),
    per: 'task (worker side)',
    queueKind: c.queueKind,
    rounds: o.rounds,
    warmUp: async () => {
      await product(warmN, 'warm-up product');
      await baseline(warmN, 'warm-up baseline');
    },
    product: { name: w.name, run: (label) => product(o.tasks, label) },
    baseline: { name: 'raw BullMQ worker', run: (label) => baseline(o.tasks, label) },
  });
}
