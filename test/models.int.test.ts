/**
 * Model providers end to end: the estimator's summary step with a scripted fake model, with
 * the offline template and with Gemini over recorded HTTP; task budgets; a tool-calling loop
 * through ctx.llm.invoke. Nothing touches the network: Gemini is served by an undici MockAgent.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeModel } from '@langchain/core/testing';
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { builtInAgents } from '../agents/index.ts';
import { estimate } from '../agents/estimator/core.ts';
import { chatProvider, costUsd, OFFLINE } from '../runtime/models.ts';
import { defineAgent } from '../runtime/public.ts';
import type { JournalEntry, Task } from '../runtime/tasks.ts';
import { eventually, lowerCaseHeaders, startTestApp, switchableModel, type TestApp } from './harness.ts';

const MODEL = 'gemini-2.5-flash';
const TENANT = 'default';
const ESTIMATE_INPUT = {
  roofAreaSqFt: 2000,
  pitch: '6/12',
  material: 'architectural_shingle',
  layersToRemove: 1,
  region: 'national',
  customerName: 'Dana Reyes',
} as const;
const money = (n: number): string => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
/** The estimate's total worked out by the core alone: what the model's prompt must state. */
const EXPECTED_TOTAL = money(
  estimate({ roofAreaSqFt: 2000, rise: 6, material: 'architectural_shingle', layersToRemove: 1, region: 'national' }).totals.total,
);

type Detail = { task: Task; steps: JournalEntry[] };

/** Creates a task over HTTP, waits for it to end and returns GET /api/v1/tasks/:id. */
async function runTask(app: TestApp, agent: string, body: unknown): Promise<Detail> {
  const created = await app.call('POST', `/api/v1/agents/${agent}/tasks`, body);
  expect(created.status).toBe(202);
  const id: string = created.body.task.id;
  return eventually(async () => {
    const r = await app.call('GET', `/api/v1/tasks/${id}`);
    return ['succeeded', 'failed', 'cancelled'].includes(r.body.task?.status) ? (r.body as Detail) : undefined;
  });
}

// Test-only agents --------------------------------------------------------------------------

/** Two language steps: the first one's tokens exhaust a tiny budget, so the second is refused. */
const budgetProbe = defineAgent({
  name: 'budget-probe',
  description: 'Test agent: drafts a note, then rewrites it.',
  version: '1.0.0',
  input: z.object({ topic: z.string() }),
  output: z.object({ text: z.string() }),
  async run(ctx) {
    const draft = await ctx.llm.generate('draft', { prompt: `Draft a note about ${ctx.input.topic}.`, fallback: () => 'Template draft.' });
    const final = await ctx.llm.generate('rewrite', { prompt: `Tighten this: ${draft.text}`, fallback: () => draft.text });
    return { text: final.text };
  },
});

const PRICE_BOOK: Record<string, number> = { metal: 450, tile: 600 };
const lookupPrice = tool(
  async ({ material }: { material: string }) => JSON.stringify({ material, pricePerSquare: PRICE_BOOK[material] ?? null }),
  {
    name: 'lookup_price',
    description: 'Price per roofing square of a material, in USD.',
    schema: z.object({ material: z.string() }),
  },
);

/** A tool-calling loop inside one metered, journaled ctx.llm.invoke step. */
const toolProbe = defineAgent({
  name: 'tool-probe',
  description: 'Test agent: answers a question with a tool-calling loop.',
  version: '1.0.0',
  input: z.object({ question: z.string() }),
  output: z.object({ answer: z.string(), toolCalls: z.array(z.string()) }),
  async run(ctx) {
    return ctx.llm.invoke('answer', async (model) => {
      if (!model.bindTools) throw new Error('This model cannot call tools.');
      const bound = model.bindTools([lookupPrice]);
      const messages: BaseMessage[] = [new HumanMessage(ctx.input.question)];
      const toolCalls: string[] = [];
      for (let turn = 0; turn < 4; turn++) {
        const reply = await bound.invoke(messages);
        messages.push(reply);
        if (!reply.tool_calls?.length) return { answer: reply.text, toolCalls };
        for (const call of reply.tool_calls) {
          toolCalls.push(call.name);
          messages.push(await lookupPrice.invoke({ ...call, type: 'tool_call' }));
        }
      }
      throw new Error('The model kept calling tools.');
    });
  },
});

// -------------------------------------------------------------------------------------------

describe('language steps with scripted models (pglite)', () => {
  const models = switchableModel();
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite', { overrides: { model: models.provider, agents: [...builtInAgents, budgetProbe, toolProbe] } });
  });
  afterAll(() => app?.stop());

  it('estimator: the model writes the summary from a prompt with the computed total, and its tokens are billed', async () => {
    const SUMMARY = 'Dana, your new architectural shingle roof comes to the total below. (scripted)';
    const fake = fakeModel().respond(
      new AIMessage({ content: SUMMARY, usage_metadata: { input_tokens: 210, output_tokens: 64, total_tokens: 274 } }),
    );
    models.use(chatProvider(MODEL, fake));

    const { task, steps } = await runTask(app, 'estimator', { input: ESTIMATE_INPUT });

    expect(task.status).toBe('succeeded');
    expect(task.output).toMatchObject({ summary: SUMMARY, summaryModel: MODEL, totals: { total: 14093.67 } });
    // 210 x $0.30/M + 64 x $2.50/M = 63 + 160 = 223 micro-dollars.
    const usage = { inputTokens: 210, outputTokens: 64, costUsd: 0.000223 };
    expect(task.usage).toEqual(usage);
    expect(steps.find((s) => s.name === 'summary')).toMatchObject({ result: { text: SUMMARY, model: MODEL, usage }, usage });

    expect(fake.callCount).toBe(1);
    const [system, prompt] = fake.calls[0]!.messages;
    expect(system?.text).toContain('roofing estimate summaries');
    expect(EXPECTED_TOTAL).toBe('$14,093.67');
    expect(prompt?.text).toContain(`Total ${EXPECTED_TOTAL}`);
    expect(prompt?.text).toContain('Customer: Dana Reyes');
  });

  it("gives a language step the tenant's relevant memories, bounded", async () => {
    const remembered = await app.call('POST', '/api/v1/memory', {
      content: 'Dana Reyes accepted architectural shingles at $9,003.70 and asked for a Tuesday start.',
      agent: 'estimator',
    });
    expect(remembered.status).toBe(201);
    await app.call('POST', '/api/v1/memory', { content: 'Quarterly newsletter: spring gutter cleaning promotion.' });
    const fake = fakeModel().respond(
      new AIMessage({ content: 'ok', usage_metadata: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } }),
    );
    models.use(chatProvider(MODEL, fake));

    const { task } = await runTask(app, 'estimator', { input: ESTIMATE_INPUT });

    expect(task.status).toBe('succeeded');
    const system = fake.calls[0]!.messages[0]!.text;
    expect(system).toContain('Relevant memories:');
    expect(system).toContain('asked for a Tuesday start');
    expect(system.length).toBeLessThan(2500);
  });

  it('estimator offline: the summary comes from the template, says so, and costs nothing', async () => {
    models.use(OFFLINE);

    const { task, steps } = await runTask(app, 'estimator', { input: ESTIMATE_INPUT });

    expect(task.status).toBe('succeeded');
    const output = task.output as { summary: string; summaryModel: string };
    expect(output.summaryModel).toBe('offline');
    // The template is finished text: that no model wrote it is metadata, not part of the summary.
    expect(output.summary).not.toMatch(/template|language model/i);
    expect(output.summary).toContain(EXPECTED_TOTAL);
    expect(task.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(steps.find((s) => s.name === 'summary')?.result).toMatchObject({ model: 'offline' });
  });

  it('fails a task that spent its token budget with BUDGET_EXCEEDED, without retrying it', async () => {
    const fake = fakeModel()
      .respond(new AIMessage({ content: 'A long draft.', usage_metadata: { input_tokens: 200, output_tokens: 300, total_tokens: 500 } }))
      .respond(new AIMessage({ content: 'Never sent.', usage_metadata: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } }));
    models.use(chatProvider(MODEL, fake));

    const { task, steps } = await runTask(app, 'budget-probe', { input: { topic: 'gutters' }, budget: { maxTokens: 10 } });

    expect(task.status).toBe('failed');
    expect(task.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budget: { maxTokens: 10 } } });
    expect(task.attempts).toBe(1);
    // The tokens really spent stay on the task; the second call never reached the model.
    // 200 x $0.30/M + 300 x $2.50/M = 60 + 750 = 810 micro-dollars.
    expect(task.usage).toEqual({ inputTokens: 200, outputTokens: 300, costUsd: 0.00081 });
    expect(fake.callCount).toBe(1);
    // The second model step never ran; nothing was recalled behind the steps' backs.
    expect(steps.map((s) => s.name)).toEqual(['draft']);
  });

  it('runs a tool-calling loop in one journaled llm.invoke step and bills both replies', async () => {
    const ANSWER = 'Metal roofing is $450 per square.';
    const fake = fakeModel()
      .respond(
        new AIMessage({
          content: '',
          tool_calls: [{ name: 'lookup_price', args: { material: 'metal' }, id: 'call_1', type: 'tool_call' }],
          usage_metadata: { input_tokens: 120, output_tokens: 12, total_tokens: 132 },
        }),
      )
      // 20 output tokens plus 20 thinking tokens: total 200 = 160 in + 40 out.
      .respond(new AIMessage({ content: ANSWER, usage_metadata: { input_tokens: 160, output_tokens: 20, total_tokens: 200 } }));
    models.use(chatProvider(MODEL, fake));

    const { task, steps } = await runTask(app, 'tool-probe', { input: { question: 'What does metal cost?' } });

    expect(task.status).toBe('succeeded');
    expect(task.output).toEqual({ answer: ANSWER, toolCalls: ['lookup_price'] });
    expect(fake.callCount).toBe(2);
    const toolResult = fake.calls[1]!.messages.find((m) => ToolMessage.isInstance(m));
    expect(toolResult).toMatchObject({ tool_call_id: 'call_1', content: JSON.stringify({ material: 'metal', pricePerSquare: 450 }) });

    // Reply 1: 120 x 0.30 + 12 x 2.50 = 36 + 30 = 66 micro-dollars.
    // Reply 2: output = 200 - 160 = 40; 160 x 0.30 + 40 x 2.50 = 48 + 100 = 148 micro-dollars.
    const usage = { inputTokens: 280, outputTokens: 52, costUsd: 0.000214 };
    expect(task.usage).toEqual(usage);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ name: 'answer', attempt: 1, usage, result: task.output });
    const events = await app.proc.runtime.tasks.events(TENANT, task.id, 0);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'step', data: expect.objectContaining({ name: 'answer', state: 'finished', usage }) }),
    );
  });
});

describe('estimator on Gemini over recorded HTTP (pglite)', () => {
  const KEY = 'test-key-not-real-7f3a9c';
  const ORIGIN = 'https://generativelanguage.googleapis.com';
  type Fixture = {
    candidates: { content: { parts: { text: string }[] } }[];
    usageMetadata: { promptTokenCount: number; candidatesTokenCount: number; totalTokenCount: number };
  };
  const requests: { path: string; headers: Record<string, string>; body: any }[] = [];
  let fixture: Fixture;
  let mock: MockAgent;
  let previous: Dispatcher;
  let app: TestApp;

  beforeAll(async () => {
    fixture = JSON.parse(await readFile(new URL('./fixtures/gemini-generate-content.json', import.meta.url), 'utf8')) as Fixture;
    previous = getGlobalDispatcher();
    mock = new MockAgent();
    mock.disableNetConnect();
    // Our own API on loopback must stay reachable. undici matches the host *with* its port,
    // so a bare '127.0.0.1' string would not match: use a pattern.
    mock.enableNetConnect(/^(127\.0\.0\.1|localhost):\d+$/);
    setGlobalDispatcher(mock);
    mock
      .get(ORIGIN)
      .intercept({ path: (p) => p.includes(':generateContent'), method: 'POST' })
      .reply((opts) => {
        requests.push({ path: opts.path, headers: lowerCaseHeaders(opts.headers), body: JSON.parse(String(opts.body)) });
        return { statusCode: 200, data: JSON.stringify(fixture), responseOptions: { headers: { 'content-type': 'application/json' } } };
      });
    // Configured the way a user does it: the key in the environment, no model override.
    app = await startTestApp('pglite', { env: { GEMINI_API_KEY: KEY, GEMINI_MODEL: MODEL } });
  });
  afterAll(async () => {
    await app?.stop();
    await mock?.close();
    if (previous) setGlobalDispatcher(previous);
  });

  it('calls generateContent for the model with the key in a header, bills usageMetadata and stores no key', async () => {
    expect(app.proc.runtime.model.name).toBe(MODEL);

    const { task, steps } = await runTask(app, 'estimator', { input: ESTIMATE_INPUT });

    expect(task.status).toBe('succeeded');
    mock.assertNoPendingInterceptors();
    expect(requests).toHaveLength(1);
    const req = requests[0]!;
    expect(req.path).toBe(`/v1beta/models/${MODEL}:generateContent`);
    expect(req.headers['x-goog-api-key']).toBe(KEY);
    expect(req.path).not.toContain(KEY);
    const contents = JSON.stringify(req.body.contents);
    expect(contents).toContain(`Total ${EXPECTED_TOTAL}`);
    expect(contents).toContain('25.33 squares');
    expect(contents).toContain('Customer: Dana Reyes');
    expect(JSON.stringify(req.body.systemInstruction)).toContain('roofing estimate summaries');

    expect(task.output).toMatchObject({ summary: fixture.candidates[0]!.content.parts[0]!.text, summaryModel: MODEL });
    // Thinking tokens are only in totalTokenCount; they are billed as output.
    const u = fixture.usageMetadata;
    expect(u.totalTokenCount).toBeGreaterThan(u.promptTokenCount + u.candidatesTokenCount);
    const output = u.totalTokenCount - u.promptTokenCount;
    const usage = { inputTokens: u.promptTokenCount, outputTokens: output, costUsd: costUsd(MODEL, u.promptTokenCount, output) };
    // 187 x $0.30/M + 454 x $2.50/M = 56.1 + 1135 = 1191.1 micro-dollars.
    expect(usage).toEqual({ inputTokens: 187, outputTokens: 454, costUsd: 0.001191 });
    expect(task.usage).toEqual(usage);
    expect(steps.find((s) => s.name === 'summary')?.usage).toEqual(usage);

    const events = await app.proc.runtime.tasks.events(TENANT, task.id, 0);
    expect(events.length).toBeGreaterThan(3);
    expect(JSON.stringify({ task, steps, events })).not.toContain(KEY);
  });
});
