/**
 * Gemini as it really answers, through the real @langchain/google-genai client over recorded
 * HTTP (an undici MockAgent; shapes from Google's API reference and public bug reports): one
 * test per class of answer — blocked (finishReason SAFETY, promptFeedback.blockReason), cut
 * off (MAX_TOKENS), no answer (OTHER), 429 RESOURCE_EXHAUSTED with RetryInfo (deferred, then
 * given up), 503 UNAVAILABLE, no usageMetadata — plus every function declaration actually
 * sent for every business tool and agent, Gemini 3 thought signatures across the planner's
 * turns, the model-list check at start-up, and the public assistant as a metered task.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { builtInAgents } from '../agents/index.ts';
import { defineAgent, langChainTools } from '../runtime/public.ts';
import { checkGeminiModel } from '../runtime/gemini.ts';
import { geminiSchemaViolations } from '../runtime/gemini-schema.ts';
import { costUsd } from '../runtime/models.ts';
import { businessTools } from '../tools/index.ts';
import { estimate } from '../agents/estimator/core.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const KEY = 'test-key-not-real-4b1d';
const MODEL = 'gemini-3.5-flash';
const ORIGIN = 'https://generativelanguage.googleapis.com';
const ESTIMATE = {
  roofAreaSqFt: 2000,
  pitch: '6/12',
  material: 'architectural_shingle',
  layersToRemove: 1,
  region: 'national',
  customerName: 'Dana Reyes',
};
/** The estimate's total by the deterministic core alone: what must survive any model failure. */
const TOTAL = estimate({ roofAreaSqFt: 2000, rise: 6, material: 'architectural_shingle', layersToRemove: 1, region: 'national' }).totals
  .total;
const TOTAL_TEXT = `$${TOTAL.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

// Recorded shapes ---------------------------------------------------------------------------

const usageMetadata = {
  promptTokenCount: 187,
  candidatesTokenCount: 61,
  totalTokenCount: 512,
  thoughtsTokenCount: 264,
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 187 }],
};
const safetyRatings = [
  { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
  { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'MEDIUM', blocked: true },
  { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
  { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', probability: 'NEGLIGIBLE' },
];
const text = (t: string, extra: Record<string, unknown> = {}) => ({
  candidates: [{ content: { parts: [{ text: t }], role: 'model' }, finishReason: 'STOP', index: 0 }],
  usageMetadata,
  modelVersion: MODEL,
  responseId: 'rsp-text',
  ...extra,
});
/** A candidate blocked for safety: no content at all, only the finish reason and ratings. */
const blockedCandidate = {
  candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings }],
  usageMetadata: { promptTokenCount: 187, totalTokenCount: 187 },
  modelVersion: MODEL,
};
/** A prompt refused before generation: no candidates, promptFeedback.blockReason. */
const blockedPrompt = {
  promptFeedback: { blockReason: 'PROHIBITED_CONTENT', safetyRatings },
  usageMetadata: { promptTokenCount: 187, totalTokenCount: 187 },
  modelVersion: MODEL,
};
/** Cut off at the output limit: partial text, finishReason MAX_TOKENS. */
const CUT = 'Dana, your new architectural shingle roof comes to $9,003.70, which includes the tear-off of one';
const truncated = {
  candidates: [{ content: { parts: [{ text: CUT }], role: 'model' }, finishReason: 'MAX_TOKENS', index: 0 }],
  usageMetadata: { promptTokenCount: 187, candidatesTokenCount: 20, totalTokenCount: 1211 },
  modelVersion: MODEL,
};
const other = {
  candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'OTHER', index: 0 }],
  usageMetadata: { promptTokenCount: 187, totalTokenCount: 187 },
  modelVersion: MODEL,
};
/** 429 as the API sends it: QuotaFailure, Help and RetryInfo details. */
const quota = {
  error: {
    code: 429,
    message: 'You exceeded your current quota, please check your plan and billing details.',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          {
            quotaMetric: 'generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count',
            quotaId: 'GenerateContentPaidTierInputTokensPerModelPerMinute',
            quotaDimensions: { location: 'global', model: MODEL },
            quotaValue: '1000000',
          },
        ],
      },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '27s' },
    ],
  },
};
const unavailable = { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } };
const modelList = {
  models: [
    {
      name: 'models/gemini-3.5-flash',
      version: '3.5',
      displayName: 'Gemini 3.5 Flash',
      inputTokenLimit: 1048576,
      outputTokenLimit: 65536,
      supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
    },
    {
      name: 'models/gemini-3.1-pro-preview',
      version: '3.1-preview',
      displayName: 'Gemini 3.1 Pro Preview',
      supportedGenerationMethods: ['generateContent', 'countTokens'],
    },
    {
      name: 'models/gemini-embedding-001',
      version: '001',
      displayName: 'Gemini Embedding 001',
      supportedGenerationMethods: ['embedContent', 'countTextTokens', 'countTokens'],
    },
  ],
};

// The recorded Gemini endpoint --------------------------------------------------------------

type Reply = { status: number; body: unknown };
type Sent = { path: string; body: any };
const sent: Sent[] = [];
/** Each test says how the endpoint answers a request (by its body). */
let answer: (body: any, n: number) => Reply = () => ({
  status: 500,
  body: { error: { code: 500, message: 'no answer scripted', status: 'INTERNAL' } },
});
const ok = (body: unknown): Reply => ({ status: 200, body });

/** Test-only agent: binds every business tool to the model, as a tool-calling agent would. */
const allTools = defineAgent({
  name: 'all-tools',
  description: 'Test agent: offers the model every business tool once.',
  version: '1.0.0',
  input: z.object({}),
  output: z.object({ text: z.string() }),
  tools: businessTools().map((t) => t.name),
  async run(ctx) {
    return ctx.llm.invoke('ask', async (model) => ({
      text: (await model.bindTools!(langChainTools(ctx.tools)).invoke('List my customers.')).text,
    }));
  },
});

let mock: MockAgent;
let previous: Dispatcher;
let app: TestApp;

beforeAll(async () => {
  previous = getGlobalDispatcher();
  mock = new MockAgent();
  mock.disableNetConnect();
  mock.enableNetConnect(/^(127\.0\.0\.1|localhost):\d+$/);
  setGlobalDispatcher(mock);
  const pool = mock.get(ORIGIN);
  pool
    .intercept({ path: (p) => p.includes(':generateContent'), method: 'POST' })
    .reply((opts) => {
      const body = JSON.parse(String(opts.body));
      sent.push({ path: opts.path, body });
      const r = answer(body, sent.length);
      return { statusCode: r.status, data: JSON.stringify(r.body), responseOptions: { headers: { 'content-type': 'application/json' } } };
    })
    .persist();
  pool
    .intercept({ path: (p) => p.startsWith('/v1beta/models?'), method: 'GET' })
    .reply(200, JSON.stringify(modelList), { headers: { 'content-type': 'application/json' } })
    .persist();
  app = await startTestApp('pglite', {
    env: { GEMINI_API_KEY: KEY, GEMINI_MODEL: MODEL, MEMORY_EMBEDDER: 'hashing', MODEL_RATE_LIMIT_DEFERRALS: '1' },
    overrides: { agents: [...builtInAgents, allTools] },
  });
}, 120_000);
afterAll(async () => {
  await app?.stop();
  await mock?.close();
  if (previous) setGlobalDispatcher(previous);
});
beforeEach(() => {
  sent.length = 0;
});

type Detail = { task: any; steps: any[] };
async function create(agent: string, input: unknown): Promise<string> {
  const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body.task.id;
}
const detail = async (id: string): Promise<Detail> => (await app.call('GET', `/api/v1/tasks/${id}`)).body;
const ended = (id: string): Promise<Detail> =>
  eventually(async () => {
    const d = await detail(id);
    return ['succeeded', 'failed', 'cancelled'].includes(d.task.status) ? d : undefined;
  }, 60_000);
const run = async (agent: string, input: unknown) => ended(await create(agent, input));
const isSummary = (body: any) => JSON.stringify(body.systemInstruction ?? '').includes('roofing estimate summaries');

// -------------------------------------------------------------------------------------------

describe('the configured model against the API model list', () => {
  it('checks GEMINI_MODEL at start-up and says clearly when a model is retired or unknown', async () => {
    expect(app.proc.runtime.model.name).toBe(MODEL);
    expect(app.proc.modelCheck).toMatchObject({ status: 'ok', model: MODEL });
    const retired = await checkGeminiModel(KEY, 'gemini-2.5-flash');
    expect(retired.status).toBe('retired');
    expect(retired.message).toMatch(/gemini-2\.5-flash.*retired.*GEMINI_MODEL=gemini-3\.5-flash/);
    const unknown = await checkGeminiModel(KEY, 'gemini-9-ultra');
    expect(unknown).toMatchObject({ status: 'unknown' });
    expect(unknown.message).toContain("'gemini-9-ultra' is not in Gemini's model list");
    // An embedding model is listed, but not for generateContent.
    expect((await checkGeminiModel(KEY, 'gemini-embedding-001')).status).toBe('unknown');
  });
});

describe('function declarations actually sent', () => {
  it('every business tool and every planner tool reaches Gemini in its schema subset', async () => {
    answer = (body) => ok(text(body.tools ? 'Here you go.' : 'ok'));
    const t = await run('all-tools', {});
    expect(t.task.status, JSON.stringify(t.task.error)).toBe('succeeded');
    const a = await run('aurea', { message: 'Tell me where we stand against competitors' });
    expect(a.task.status, JSON.stringify(a.task.error)).toBe('succeeded');

    const declared = sent.filter((s) => s.body.tools).flatMap((s) => s.body.tools.flatMap((tool: any) => tool.functionDeclarations ?? []));
    const names = new Set(declared.map((d: any) => d.name));
    expect(names.size).toBe(businessTools().length + 8);
    for (const tool of businessTools()) expect(names).toContain(tool.name);
    for (const agent of [
      'estimator',
      'competitor_analysis',
      'lead_qualifier',
      'email_outreach',
      'ad_manager',
      'billing',
      'revenue_analyst',
      'crm_sync',
    ])
      expect(names).toContain(agent);
    const problems = declared.flatMap((d: any) => (d.parameters ? geminiSchemaViolations(d.parameters, d.name) : []));
    expect(problems).toEqual([]);

    // What the converter made of the keywords Gemini refuses.
    const byName = new Map(declared.map((d: any) => [d.name, d.parameters]));
    expect(byName.get('estimator').properties.roofAreaSqFt).toMatchObject({ type: 'number', minimum: 0 });
    expect(byName.get('estimator').properties.roofAreaSqFt.description).toContain('greater than 0');
    expect(byName.get('crm_sync').properties.source.anyOf.length).toBeGreaterThan(1);
    expect(byName.get('crm_customer_get').properties.id).toEqual({ type: 'string', description: 'Format: uuid.' });
    expect(byName.get('crm_customer_create').properties.email.nullable).toBe(true);
  });
});

describe('every answer has an outcome', () => {
  it('a candidate blocked for SAFETY: the template, MODEL_BLOCKED in the output, the estimate kept, no retry', async () => {
    answer = () => ok(blockedCandidate);
    const { task, steps } = await run('estimator', ESTIMATE);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.attempts).toBe(1);
    expect(sent).toHaveLength(1);
    expect(task.output.totals.total).toBe(TOTAL);
    expect(task.output.summaryModel).toBe('template');
    expect(task.output.summaryFallback).toMatchObject({ code: 'MODEL_BLOCKED' });
    expect(task.output.summary).toContain(TOTAL_TEXT);
    expect(steps.find((s) => s.name === 'summary').result.fallback.code).toBe('MODEL_BLOCKED');
    // The prompt's tokens were spent: 187 x $1.50/M = 280.5 → 281 micro-dollars.
    expect(task.usage).toEqual({ inputTokens: 187, outputTokens: 0, costUsd: costUsd(MODEL, 187, 0) });
  });

  it('a prompt refused with promptFeedback.blockReason: the template, MODEL_BLOCKED', async () => {
    answer = () => ok(blockedPrompt);
    const { task } = await run('estimator', ESTIMATE);
    expect(task.status).toBe('succeeded');
    expect(sent).toHaveLength(1);
    expect(task.output.summaryModel).toBe('template');
    expect(task.output.summaryFallback).toMatchObject({ code: 'MODEL_BLOCKED', message: expect.stringContaining('PROHIBITED_CONTENT') });
    expect(task.output.totals.total).toBe(TOTAL);
  });

  it('an answer cut off at MAX_TOKENS is never shipped: the template, MODEL_TRUNCATED, its tokens billed', async () => {
    answer = () => ok(truncated);
    const { task } = await run('estimator', ESTIMATE);
    expect(task.status).toBe('succeeded');
    expect(task.output.summary).not.toContain(CUT);
    expect(task.output.summaryModel).toBe('template');
    expect(task.output.summaryFallback.code).toBe('MODEL_TRUNCATED');
    // Thinking tokens are in the total only: output = 1211 - 187 = 1024.
    expect(task.usage).toEqual({ inputTokens: 187, outputTokens: 1024, costUsd: costUsd(MODEL, 187, 1024) });
  });

  it('finishReason OTHER: the template, MODEL_NO_ANSWER', async () => {
    answer = () => ok(other);
    const { task } = await run('estimator', ESTIMATE);
    expect(task.status).toBe('succeeded');
    expect(task.output.summaryFallback.code).toBe('MODEL_NO_ANSWER');
  });

  it('429 RESOURCE_EXHAUSTED: the task is deferred by the RetryInfo delay, not failed, and then answered', async () => {
    answer = (_b, n) => (n === 1 ? { status: 429, body: quota } : ok(text('Dana, your roof comes to $9,003.70. (recorded)')));
    const id = await create('estimator', ESTIMATE);
    const deferred = await eventually(async () => {
      const d = await detail(id);
      return d.task.status === 'queued' && d.task.error?.code === 'RATE_LIMITED' ? d : undefined;
    });
    expect(deferred.task.error.details).toEqual({ retryAfterMs: 27_000 });
    expect(deferred.task.error.message).not.toContain('quota, please check');
    const queue = app.proc.runtime.queues.queue('estimator');
    // Read the job again once it is delayed: a copy read before the move (still active) says delay 0.
    const job = await eventually(async () => {
      const j = await queue.getJob(id);
      return j && (await j.getState()) === 'delayed' ? queue.getJob(id) : undefined;
    });
    // Put back for the server's 27 s, not a backoff of its own (and without using an attempt).
    expect(job.delay).toBeGreaterThan(26_000);
    expect(job.delay).toBeLessThanOrEqual(27_000);
    expect(job.attemptsMade).toBe(0);
    // The deterministic price step is journaled: the next run replays it.
    expect(deferred.steps.map((s) => s.name)).toContain('price');
    await job.promote(); // the delay has passed
    const { task, steps } = await ended(id);
    expect(task.status).toBe('succeeded');
    expect(task.output.summary).toBe('Dana, your roof comes to $9,003.70. (recorded)');
    expect(task.output.summaryModel).toBe(MODEL);
    expect(steps.filter((s) => s.name === 'price')).toHaveLength(1);
    expect(sent).toHaveLength(2);
  });

  it('429 again after the last deferral: the language step gives up with RATE_LIMITED and uses its template', async () => {
    answer = () => ({ status: 429, body: quota });
    const id = await create('estimator', ESTIMATE);
    const job = await eventually(async () => {
      const j = await app.proc.runtime.queues.queue('estimator').getJob(id);
      return j && (await j.getState()) === 'delayed' ? j : undefined;
    });
    await job.promote();
    const { task } = await ended(id);
    expect(task.status).toBe('succeeded');
    expect(task.output.summaryModel).toBe('template');
    expect(task.output.summaryFallback.code).toBe('RATE_LIMITED');
    expect(task.output.totals.total).toBe(TOTAL);
    expect(sent).toHaveLength(2);
  });

  it('429 on a tool-calling step past the last deferral fails the task with RATE_LIMITED', async () => {
    answer = () => ({ status: 429, body: quota });
    const id = await create('all-tools', {});
    const job = await eventually(async () => {
      const j = await app.proc.runtime.queues.queue('all-tools').getJob(id);
      return j && (await j.getState()) === 'delayed' ? j : undefined;
    });
    await job.promote();
    const { task } = await ended(id);
    expect(task.status).toBe('failed');
    expect(task.error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: 27_000 } });
  });

  it('503 UNAVAILABLE is retried with backoff; the estimate is not computed again', async () => {
    answer = (_b, n) => (n === 1 ? { status: 503, body: unavailable } : ok(text('Dana, here is your estimate. (recorded)')));
    const { task, steps } = await run('estimator', ESTIMATE);
    expect(task.status).toBe('succeeded');
    expect(task.attempts).toBe(2);
    expect(task.output.summary).toBe('Dana, here is your estimate. (recorded)');
    expect(steps.filter((s) => s.name === 'price')).toHaveLength(1);
    expect(sent).toHaveLength(2);
  });

  it('a reply without usageMetadata is still billed: an estimate from the text, marked estimated', async () => {
    const reply = 'Dana, your architectural roof is $9,003.70 all in.';
    answer = () =>
      ok({ candidates: [{ content: { parts: [{ text: reply }], role: 'model' }, finishReason: 'STOP', index: 0 }], modelVersion: MODEL });
    const { task, steps } = await run('estimator', ESTIMATE);
    expect(task.status).toBe('succeeded');
    expect(task.output.summary).toBe(reply);
    expect(task.usage.estimated).toBe(true);
    expect(task.usage.inputTokens).toBeGreaterThan(50);
    expect(task.usage.outputTokens).toBe(Math.ceil(reply.length / 4));
    expect(task.usage.costUsd).toBeGreaterThan(0);
    expect(steps.find((s) => s.name === 'summary').usage.estimated).toBe(true);
  });
});

describe("Gemini 3 tool use across the planner's turns", () => {
  it('sends the thought signature back with its function call and the function response', async () => {
    answer = (body) => {
      if (body.tools && body.contents.length === 1) {
        return ok({
          candidates: [
            {
              content: {
                role: 'model',
                parts: [
                  {
                    functionCall: { name: 'estimator', args: { roofAreaSqFt: 2400, pitch: '6/12', material: 'metal' } },
                    thoughtSignature: 'CiQB0e2Kb7sigA==',
                  },
                  { functionCall: { name: 'revenue_analyst', args: {} } },
                ],
              },
              finishReason: 'STOP',
              index: 0,
            },
          ],
          usageMetadata,
          modelVersion: MODEL,
        });
      }
      if (body.tools) return ok(text('Planned two sub-tasks.'));
      return ok(text(isSummary(body) ? 'Metal roof summary (recorded).' : 'Your estimate and revenue report are ready (recorded).'));
    };
    const { task } = await run('aurea', { message: 'Quote 2400 sq ft 6/12 metal and send me the revenue report' });
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.output.plan.map((p: any) => p.agent)).toEqual(['estimator', 'revenue-analyst']);
    const turns = sent.filter((s) => s.body.tools);
    expect(turns).toHaveLength(2);
    const [modelTurn, responses] = turns[1]!.body.contents.slice(1);
    expect(modelTurn.role).toBe('model');
    expect(modelTurn.parts[0]).toEqual({
      functionCall: { name: 'estimator', args: { roofAreaSqFt: 2400, pitch: '6/12', material: 'metal' } },
      thoughtSignature: 'CiQB0e2Kb7sigA==',
    });
    expect(modelTurn.parts[1].functionCall.name).toBe('revenue_analyst');
    expect(responses.parts[0].functionResponse).toMatchObject({ name: 'estimator' });
    expect(task.output.reply).toBe('Your estimate and revenue report are ready (recorded).');
  });

  it('a blocked plan falls back to the rule planner and says so', async () => {
    answer = (body) => (body.tools ? ok(blockedCandidate) : ok(text(isSummary(body) ? 'Summary (recorded).' : 'Done (recorded).')));
    const { task } = await run('aurea', { message: 'estimate 2400 sq ft 6/12 metal' });
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.output.planModel).toBe('template');
    expect(task.output.planFallback.code).toBe('MODEL_BLOCKED');
    expect(task.output.plan.map((p: any) => p.agent)).toEqual(['estimator']);
  });
});

describe('the public assistant', () => {
  it('answers through a metered task of its own agent; a blocked answer gives the FAQ, unlabelled', async () => {
    answer = () => ok(text('Our workmanship is covered for 10 years. (recorded)'));
    const a = await app.call('POST', '/api/v1/aurea/public', { message: 'Is there a warranty?' }, { key: null });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ reply: 'Our workmanship is covered for 10 years. (recorded)', model: MODEL });
    const [row] = await app.query<{ status: string; usage: any }>(
      `SELECT status, usage FROM tasks WHERE agent = 'public-assistant' ORDER BY created_at DESC LIMIT 1`,
    );
    expect(row!.status).toBe('succeeded');
    expect(row!.usage.costUsd).toBeGreaterThan(0);

    answer = () => ok(blockedCandidate);
    const b = await app.call('POST', '/api/v1/aurea/public', { message: 'Is there a warranty?' }, { key: null });
    expect(b.status).toBe(200);
    expect(b.body.model).toBe('template');
    expect(b.body.reply).toMatch(/workmanship is covered for 10 years/);
    expect(b.body.reply).not.toMatch(/template|language model|offline/i);

    // A 429 defers the task: the visitor gets the FAQ at once and the deferred task is cancelled.
    answer = () => ({ status: 429, body: quota });
    const c = await app.call('POST', '/api/v1/aurea/public', { message: 'Is there a warranty?' }, { key: null });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ model: 'template', reply: expect.stringMatching(/workmanship is covered for 10 years/) });
    const [last] = await app.query<{ status: string; error: any }>(
      `SELECT status, error FROM tasks WHERE agent = 'public-assistant' ORDER BY created_at DESC LIMIT 1`,
    );
    expect(last!.status).toBe('cancelled');
  });

  it("is held to the tenant's daily budget like every other model call", async () => {
    expect((await app.call('PATCH', '/api/v1/tenant', { dailyBudgetUsd: 0 })).status).toBe(200);
    try {
      answer = () => ok(text('Never sent.'));
      const r = await app.call('POST', '/api/v1/aurea/public', { message: 'Is there a warranty?' }, { key: null });
      expect(r.status).toBe(200);
      expect(r.body.model).toBe('template');
      expect(sent).toHaveLength(0);
      const [refused] = await app.query<{ status: string; error: any }>(
        `SELECT status, error FROM tasks WHERE agent = 'public-assistant' ORDER BY created_at DESC LIMIT 1`,
      );
      expect(refused).toMatchObject({ status: 'failed', error: { code: 'BUDGET_EXCEEDED' } });
    } finally {
      await app.call('PATCH', '/api/v1/tenant', { dailyBudgetUsd: null });
    }
  });
});
