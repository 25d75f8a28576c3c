/**
 * The probe: runs `steps` journaled steps of `stepMs` each. The smoke test, the benchmark
 * workload and the chaos-test victim: kill its worker mid-run and the retry replays the
 * finished steps instead of running them again.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineAgent } from '../../runtime/public.ts';

export const probeInput = z.object({
  steps: z.number().int().min(0).max(10_000).default(3).describe('How many journaled steps to run'),
  stepMs: z.number().int().min(0).max(600_000).default(100).describe('How long each step takes, in milliseconds'),
  failTimes: z.number().int().min(0).max(100).default(0).describe('Fail this many attempts (after the first step) before succeeding'),
  remember: z
    .boolean()
    .default(false)
    .describe('Each step first stores a memory naming the step, attempt and process: a side effect the chaos tests count'),
});

export const probeOutput = z.object({
  steps: z.number().int(),
  executedHere: z.number().int().describe('Steps this attempt ran itself (the rest were replayed from the journal)'),
  attempt: z.number().int(),
  pids: z.array(z.number().int()).describe('Process ids of the workers that ran each step'),
});

export default defineAgent({
  name: 'probe',
  description: 'Runs N journaled steps of a given duration: smoke test, benchmark and chaos-test workload.',
  version: '1.0.0',
  input: probeInput,
  output: probeOutput,
  async run(ctx) {
    const { steps, stepMs, failTimes, remember } = ctx.input;
    let executedHere = 0;
    const pids: number[] = [];
    for (let i = 1; i <= steps; i++) {
      const r = await ctx.step(`step-${i}`, async () => {
        executedHere++;
        if (remember)
          await ctx.memory.remember(`probe ${ctx.taskId} step-${i} attempt ${ctx.attempt} pid ${process.pid}`, { kind: 'probe', step: i });
        if (stepMs > 0) await sleep(stepMs, undefined, { signal: ctx.signal });
        return { pid: process.pid, attempt: ctx.attempt };
      });
      pids.push(r.pid);
      if (i === 1 && ctx.attempt <= failTimes) throw new Error(`probe: planned failure on attempt ${ctx.attempt}`);
      if (steps >= 10 ? i % Math.ceil(steps / 10) === 0 : true) await ctx.progress((i / steps) * 100, `step ${i} of ${steps}`);
    }
    return { steps, executedHere, attempt: ctx.attempt, pids };
  },
});
