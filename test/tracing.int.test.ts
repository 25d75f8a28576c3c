/**
 * One trace per task: the caller's `traceparent` → the HTTP span of POST .../tasks → the
 * enqueue span → (through the queue: the W3C context rides in the job's data) the task's
 * attempt span in the worker → each step span → the tool call and the model call inside their
 * steps. Read with OpenTelemetry's in-memory exporter, registered as the global provider.
 */
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtInAgents } from '../agents/index.ts';
import { chatProvider } from '../runtime/models.ts';
import { defineAgent } from '../runtime/public.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const MODEL = 'gemini-2.5-flash';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

const traced = defineAgent({
  name: 'traced',
  description: 'Test agent: a plain step, a tool call and a model call.',
  version: '1.0.0',
  tools: ['pipeline_leads_list'],
  input: z.object({ topic: z.string() }),
  output: z.object({ text: z.string(), leads: z.number().int() }),
  async run(ctx) {
    await ctx.step('plan', async () => ({ ok: true }));
    const list = (await ctx.tools.pipeline_leads_list!({})) as { leads: unknown[] };
    const r = await ctx.llm.generate('draft', { prompt: `Write about ${ctx.input.topic}`, fallback: async () => 'offline' });
    return { text: r.text, leads: list.leads.length };
  },
});

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

describe('the trace of one task', () => {
  let app: TestApp;
  let spans: ReadableSpan[];
  let taskId: string;

  beforeAll(async () => {
    const model = fakeModel().respond(
      new AIMessage({ content: 'A draft.', usage_metadata: { input_tokens: 40, output_tokens: 9, total_tokens: 49 } }),
    );
    app = await startTestApp('pglite', { overrides: { agents: [...builtInAgents, traced], model: chatProvider(MODEL, model) } });
    exporter.reset();
    const r = await app.call(
      'POST',
      '/api/v1/agents/traced/tasks',
      { input: { topic: 'gutters' } },
      { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` } },
    );
    expect(r.status).toBe(202);
    taskId = r.body.task.id;
    await eventually(async () => (await app.call('GET', `/api/v1/tasks/${taskId}`)).body.task.status === 'succeeded');
    // The attempt span ends just after the task row says succeeded.
    spans = await eventually(async () => {
      const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID);
      return all.some((s) => s.name === 'task traced') ? all : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await provider.shutdown();
  });

  const one = (pred: (s: ReadableSpan) => boolean, what: string): ReadableSpan => {
    const found = spans.filter(pred);
    expect(found.length, `${what}: ${spans.map((s) => s.name).join(', ')}`).toBe(1);
    return found[0]!;
  };
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
  const id = (s: ReadableSpan) => s.spanContext().spanId;

  it('continues the caller’s trace through the request, the queue and the worker', () => {
    const http = one((s) => s.name === 'POST /api/v1/agents/:name/tasks', 'the request span');
    expect(http.kind).toBe(SpanKind.SERVER);
    expect(parentOf(http)).toBe(CALLER_SPAN);
    expect(http.attributes['http.response.status_code']).toBe(202);

    const enqueue = one((s) => s.name === 'enqueue traced', 'the enqueue span');
    expect(enqueue.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(enqueue)).toBe(id(http));
    expect(enqueue.attributes['brainops.task_id']).toBe(taskId);

    const task = one((s) => s.name === 'task traced', 'the attempt span');
    expect(task.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(task)).toBe(id(enqueue));
    expect(task.attributes).toMatchObject({ 'brainops.task_id': taskId, 'brainops.agent': 'traced', 'brainops.outcome': 'succeeded' });
  });

  it('has each step under the attempt, and the tool and model calls under their steps', () => {
    const task = one((s) => s.name === 'task traced', 'the attempt span');
    const step = (name: string) => one((s) => s.name === 'step' && s.attributes['brainops.step'] === name, `step ${name}`);
    const plan = step('plan');
    const toolStep = step('tool:pipeline_leads_list');
    const draft = step('draft');
    for (const s of [plan, toolStep, draft]) expect(parentOf(s)).toBe(id(task));

    const tool = one((s) => s.name === 'tool pipeline_leads_list', 'the tool span');
    expect(parentOf(tool)).toBe(id(toolStep));

    const model = one((s) => s.name === `model ${MODEL}`, 'the model span');
    expect(model.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(model)).toBe(id(draft));
    expect(model.attributes).toMatchObject({
      'gen_ai.request.model': MODEL,
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 9,
    });

    // Nothing of this task's trace is left without its parent in the trace (one tree).
    const ids = new Set(spans.map(id));
    for (const s of spans)
      if (s !== spans.find((x) => x.name === 'POST /api/v1/agents/:name/tasks')) expect(ids.has(parentOf(s)!), s.name).toBe(true);
  });
});
