/**
 * /metrics after a few tasks: each operator series is there with the values those tasks
 * make — task and attempt durations by agent and outcome, retries, step durations, model
 * tokens and cost by agent, queue depth by state, HTTP latency by route — and no label
 * carries a value from outside a bounded set (no task ids, no step names).
 */
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtInAgents } from '../agents/index.ts';
import { chatProvider, costUsd } from '../runtime/models.ts';
import { workerRegistry } from '../runtime/metrics.ts';
import { defineAgent } from '../runtime/public.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const MODEL = 'gemini-2.5-flash';

const writer = defineAgent({
  name: 'writer',
  description: 'Test agent: one plain step, then one model call.',
  version: '1.0.0',
  input: z.object({ topic: z.string() }),
  output: z.object({ text: z.string() }),
  async run(ctx) {
    await ctx.step('outline', async () => ({ points: 3 }));
    const r = await ctx.llm.generate('draft', { prompt: `Write about ${ctx.input.topic}`, fallback: async () => 'offline' });
    return { text: r.text };
  },
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const value = (samples: Sample[], name: string, labels: Record<string, string>): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('/metrics after a few tasks', () => {
  let app: TestApp;
  let samples: Sample[];

  beforeAll(async () => {
    const model = fakeModel().respond(
      new AIMessage({ content: 'A draft.', usage_metadata: { input_tokens: 100, output_tokens: 20, total_tokens: 120 } }),
    );
    app = await startTestApp('pglite', { overrides: { agents: [...builtInAgents, writer], model: chatProvider(MODEL, model) } });
    // The worker's series belong to the process (runtime/metrics.ts), and the test files before
    // this one ran their tasks in this process too: count from zero, only what this file runs.
    workerRegistry.resetMetrics();
    const run = async (agent: string, body: unknown) => {
      const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, body);
      expect(r.status).toBe(202);
      const id = r.body.task.id as string;
      return eventually(async () => {
        const t = await app.call('GET', `/api/v1/tasks/${id}`);
        return ['succeeded', 'failed', 'cancelled'].includes(t.body.task.status) ? t.body.task : undefined;
      });
    };
    expect((await run('writer', { input: { topic: 'gutters' } })).status).toBe('succeeded');
    expect((await run('probe', { input: { steps: 2, stepMs: 1 } })).status).toBe('succeeded');
    // Fails its first attempt after one step, then succeeds: one retry.
    expect((await run('probe', { input: { steps: 2, stepMs: 1, failTimes: 1 } })).status).toBe('succeeded');
    // A task due in an hour: its job waits in the delayed state.
    expect((await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1 }, delayMs: 3_600_000 })).status).toBe(202);
    const res = await app.call('GET', '/metrics', undefined, { key: null });
    expect(res.status).toBe(200);
    samples = parse(res.body as string);
  }, 120_000);

  afterAll(() => app?.stop());

  it('task durations by agent and outcome', () => {
    expect(value(samples, 'brainops_task_duration_seconds_count', { agent: 'writer', outcome: 'succeeded' })).toBe(1);
    expect(value(samples, 'brainops_task_duration_seconds_count', { agent: 'probe', outcome: 'succeeded' })).toBe(2);
    expect(value(samples, 'brainops_task_duration_seconds_sum', { agent: 'writer', outcome: 'succeeded' })).toBeGreaterThan(0);
    expect(value(samples, 'brainops_task_attempt_duration_seconds_count', { agent: 'probe', outcome: 'retry' })).toBe(1);
    expect(value(samples, 'brainops_task_attempt_duration_seconds_count', { agent: 'probe', outcome: 'succeeded' })).toBe(2);
  });

  it('retries', () => {
    expect(value(samples, 'brainops_task_retries_total', { agent: 'probe' })).toBe(1);
    expect(value(samples, 'brainops_task_retries_total', { agent: 'writer' }) ?? 0).toBe(0);
  });

  it('step durations by agent', () => {
    // writer: outline + draft; probe: 2 + (1 on the failed attempt, 1 after the replay) steps.
    expect(value(samples, 'brainops_step_duration_seconds_count', { agent: 'writer', outcome: 'ok' })).toBe(2);
    expect(value(samples, 'brainops_step_duration_seconds_count', { agent: 'probe', outcome: 'ok' })).toBe(4);
  });

  it('model tokens and cost by agent', () => {
    expect(value(samples, 'brainops_model_tokens_total', { agent: 'writer', direction: 'input' })).toBe(100);
    expect(value(samples, 'brainops_model_tokens_total', { agent: 'writer', direction: 'output' })).toBe(20);
    expect(value(samples, 'brainops_model_cost_usd_total', { agent: 'writer' })).toBeCloseTo(costUsd(MODEL, 100, 20), 10);
    expect(value(samples, 'brainops_model_calls_total', { agent: 'writer' })).toBe(1);
  });

  it('queue depth by agent and state', () => {
    for (const state of ['waiting', 'active', 'delayed', 'failed'])
      expect(value(samples, 'brainops_queue_jobs', { agent: 'probe', state })).toBeTypeOf('number');
    expect(value(samples, 'brainops_queue_jobs', { agent: 'probe', state: 'delayed' })).toBe(1);
    expect(value(samples, 'brainops_queue_jobs', { agent: 'writer', state: 'delayed' })).toBe(0);
  });

  it('HTTP latency by route', () => {
    expect(
      value(samples, 'brainops_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/v1/agents/:name/tasks',
        status: '202',
      }),
    ).toBe(4);
    expect(
      value(samples, 'brainops_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/tasks/:id', status: '200' }),
    ).toBeGreaterThan(0);
  });

  it('keeps every label set bounded', () => {
    const agents = new Set([...builtInAgents.map((a) => a.name), 'writer']);
    for (const s of samples.filter(
      (x) => x.name.startsWith('brainops_') && !x.name.startsWith('brainops_process') && !x.name.startsWith('brainops_nodejs'),
    )) {
      if (s.labels.agent) expect(agents).toContain(s.labels.agent);
      if (s.labels.route) expect(s.labels.route).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
      if (s.labels.table) expect(['task_events', 'task_steps', 'tasks', 'audit_events']).toContain(s.labels.table);
      expect(
        Object.keys(s.labels).every((k) =>
          ['agent', 'outcome', 'state', 'direction', 'status', 'method', 'route', 'table', 'le'].includes(k),
        ),
        JSON.stringify(s),
      ).toBe(true);
    }
  });
});
