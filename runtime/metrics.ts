/**
 * What the workers measure, for /metrics: task and attempt durations by agent and outcome,
 * retries, step durations, model tokens and cost by agent — in one process-wide prom-client
 * registry that the API of the same process exposes beside its own series (api/routes/ops.ts),
 * and the queue depth per agent and state, read from the queue at each scrape.
 *
 * Label sets are bounded: `agent` is a registered agent's name, `outcome` one of the runner's
 * outcomes, `state` one of four queue states, `direction` input|output. Step names (which an
 * agent may make up per item) are never labels.
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Usage } from './contracts.ts';
import type { QueueEngine } from './queue.ts';
import type { TableStat } from './retention.ts';

/** The worker-side series of this process. */
export const workerRegistry = new Registry();

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const taskDuration = new Histogram({
  name: 'brainops_task_duration_seconds',
  help: 'Time from a task’s creation to its end, by agent and outcome (succeeded, failed, cancelled), for tasks that ended in a worker',
  labelNames: ['agent', 'outcome'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600],
  registers: [workerRegistry],
});

const attemptDuration = new Histogram({
  name: 'brainops_task_attempt_duration_seconds',
  help: 'Time one attempt ran in a worker, by agent and outcome (succeeded, failed, retry, cancelled, suspended, shutdown, stale)',
  labelNames: ['agent', 'outcome'],
  buckets: SECONDS,
  registers: [workerRegistry],
});

const retries = new Counter({
  name: 'brainops_task_retries_total',
  help: 'Attempts that failed and were handed back to the queue to be tried again, by agent',
  labelNames: ['agent'],
  registers: [workerRegistry],
});

const stepDuration = new Histogram({
  name: 'brainops_step_duration_seconds',
  help: 'Time a journaled step ran (replayed steps are not counted), by agent and outcome (ok, error)',
  labelNames: ['agent', 'outcome'],
  buckets: SECONDS,
  registers: [workerRegistry],
});

const modelTokens = new Counter({
  name: 'brainops_model_tokens_total',
  help: 'Language-model tokens spent, by agent and direction (input, output)',
  labelNames: ['agent', 'direction'],
  registers: [workerRegistry],
});

const modelCost = new Counter({
  name: 'brainops_model_cost_usd_total',
  help: 'Language-model cost in US dollars, by agent',
  labelNames: ['agent'],
  registers: [workerRegistry],
});

const modelCalls = new Counter({
  name: 'brainops_model_calls_total',
  help: 'Language-model calls that reported usage, by agent',
  labelNames: ['agent'],
  registers: [workerRegistry],
});

/** One attempt ended (`outcome`: the runner's outcome kind) after `seconds`; `createdAt`: the task's, for a final outcome. */
export function observeAttempt(agent: string, outcome: string, seconds: number, createdAt?: string): void {
  attemptDuration.observe({ agent, outcome }, seconds);
  if (outcome === 'retry') retries.inc({ agent });
  if (createdAt && (outcome === 'succeeded' || outcome === 'failed' || outcome === 'cancelled')) {
    taskDuration.observe({ agent, outcome }, Math.max(0, (Date.now() - Date.parse(createdAt)) / 1000));
  }
}

/** A step ran for `seconds` (not replayed). */
export function observeStep(agent: string, seconds: number, ok: boolean): void {
  stepDuration.observe({ agent, outcome: ok ? 'ok' : 'error' }, seconds);
}

/** A model call's usage, charged to its agent. */
export function observeModelUsage(agent: string, u: Usage): void {
  if (u.inputTokens) modelTokens.inc({ agent, direction: 'input' }, u.inputTokens);
  if (u.outputTokens) modelTokens.inc({ agent, direction: 'output' }, u.outputTokens);
  if (u.costUsd) modelCost.inc({ agent }, u.costUsd);
  modelCalls.inc({ agent });
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * `brainops_queue_jobs{agent, state}`: jobs per agent queue in each state, read from the queue
 * at each scrape (waiting includes prioritized jobs). Registered on `registry` (the API's).
 */
export function queueDepthGauge(registry: Registry, queues: QueueEngine, agents: () => readonly string[]): void {
  new Gauge({
    name: 'brainops_queue_jobs',
    help: 'Jobs in each agent’s queue by state (waiting, active, delayed, failed), read at scrape time',
    labelNames: ['agent', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        agents().map(async (agent) => {
          const c = await queues.queue(agent).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
          for (const state of QUEUE_STATES) {
            this.set({ agent, state }, (c[state] ?? 0) + (state === 'waiting' ? (c.prioritized ?? 0) : 0));
          }
        }),
      );
    },
  });
}

/**
 * `brainops_table_bytes`, `brainops_table_rows` and `brainops_table_oldest_row_age_seconds`
 * per retained table (runtime/retention.ts), read at each scrape: whether retention keeps
 * the database flat.
 */
export function tableGauges(registry: Registry, stats: () => Promise<TableStat[]>): void {
  let last: Promise<TableStat[]> | undefined;
  // The three gauges share one read per scrape.
  const read = () => (last ??= stats().finally(() => setTimeout(() => (last = undefined), 1000).unref()));
  const gauge = (name: string, help: string, pick: (s: TableStat) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['table'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await read()) {
          const v = pick(s);
          if (v !== undefined) this.set({ table: s.table }, v);
        }
      },
    });
  gauge('brainops_table_bytes', 'Size of each retained table with its indexes, in bytes', (s) => s.bytes);
  gauge('brainops_table_rows', 'Rows of each retained table (PostgreSQL’s estimate)', (s) => s.rows);
  gauge('brainops_table_oldest_row_age_seconds', 'Age of the oldest row each retained table keeps (absent when empty)', (s) =>
    s.oldest ? Math.max(0, (Date.now() - Date.parse(s.oldest)) / 1000) : undefined,
  );
}
