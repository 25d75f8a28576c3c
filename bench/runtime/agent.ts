/**
 * The benchmark's own agent and what the runtime figures share. `bench-steps` runs N trivial
 * journaled steps (`ctx.step` returning a number) and reports, in this process, when its run
 * began and how long its steps took from the first one's start to the last one's return,
 * with the statements counted in that window.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { createApp } from '../../api/app.ts';
import type { Runtime } from '../../runtime/boot.ts';
import type { Config } from '../../runtime/config.ts';
import { defineAgent } from '../../runtime/public.ts';
import type { Engine } from '../../test/harness.ts';
import { since, snapshot, type Counts } from '../counters.ts';
import type { Log } from '../lib.ts';

export interface Options {
  engines: Engine[];
  figures: string[];
  rounds: number;
  phaseTimeoutMs: number;
  concurrency: number;
  /** throughput: tasks per round. */
  tasks: number;
  /** http: requests per round, from this many keep-alive clients. */
  requests: number;
  clients: number;
  /** latency: tasks per round, offered at `rate` per second. */
  latencyTasks: number;
  rate: number;
  /** steps: journaled steps per task, tasks per round. */
  steps: number;
  stepTasks: number;
}

/** What one engine's figures are measured with. */
export interface EngineCtx {
  engine: Engine;
  rt: Runtime;
  config: Config;
  appExtensions: Parameters<typeof createApp>[1];
  o: Options;
  log: Log;
  queueKind: 'redis' | 'postgres';
}

/** Hooks the agent calls in this process (set by the figure being measured). */
export const benchHooks: {
  /** First moment of a task's run (first attempt only is kept by the caller). */
  runStarted?: (taskId: string, at: number) => void;
  /** The task's steps: wall time from the first step's start to the last step's return. */
  stepsDone?: (taskId: string, ms: number, steps: number, counts: Counts) => void;
} = {};

export const BENCH_AGENT = 'bench-steps';

export const benchStepsAgent = defineAgent({
  name: BENCH_AGENT,
  description: 'Benchmark workload: N trivial journaled steps.',
  version: '1.0.0',
  input: z.object({ steps: z.number().int().min(0).max(100_000) }),
  output: z.object({ steps: z.number().int() }),
  async run(ctx) {
    benchHooks.runStarted?.(ctx.taskId, performance.now());
    const n = ctx.input.steps;
    const c0 = snapshot();
    const t0 = performance.now();
    for (let i = 1; i <= n; i++) await ctx.step(`s${i}`, () => i);
    benchHooks.stepsDone?.(ctx.taskId, performance.now() - t0, n, since(c0));
    return { steps: n };
  },
});

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/** Resolves when `n` jobs completed on `worker`, or with the count so far at `timeoutMs`. */
export function completions(
  worker: { on(event: 'completed', fn: (job: { data: { taskId: string } }) => void): unknown },
  ids: Set<string>,
): { wait(n: number, timeoutMs: number): Promise<number>; done(): number } {
  let done = 0;
  const waiters: { n: number; resolve: (d: number) => void }[] = [];
  worker.on('completed', (job) => {
    if (!ids.has(job.data.taskId)) return;
    done++;
    for (const w of waiters.filter((x) => done >= x.n)) w.resolve(done);
  });
  return {
    done: () => done,
    wait: (n, timeoutMs) =>
      new Promise<number>((resolve) => {
        if (done >= n) return resolve(done);
        const timer = setTimeout(() => resolve(done), timeoutMs);
        waiters.push({ n, resolve: (d) => (clearTimeout(timer), resolve(d)) });
      }),
  };
}
