/**
 * Budgets on the scripted fake model: an agent's default budget and a schedule's budget stop
 * a task with BUDGET_EXCEEDED; a tenant over its daily spend is stopped at the next model
 * call and gets no new task started, while another tenant's tasks run; value-aware priority.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeModel } from '@langchain/core/testing';
import { AIMessage } from '@langchain/core/messages';
import { builtInAgents } from '../agents/index.ts';
import { createKey } from '../runtime/keys.ts';
import { chatProvider, costUsd } from '../runtime/models.ts';
import { defineAgent } from '../runtime/public.ts';
import type { Task } from '../runtime/tasks.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const MODEL = 'gemini-2.5-flash';
/** Each fake reply: 200 input + 300 output tokens. */
const REPLY_COST = costUsd(MODEL, 200, 300);

const spender = defineAgent({
  name: 'spender',
  description: 'Test agent: N language steps of 500 tokens each.',
  version: '1.0.0',
  input: z.object({ steps: z.number().int().min(1).default(2), valueUsd: z.number().optional() }),
  output: z.object({ texts: z.array(z.string()) }),
  defaults: { budget: { maxTokens: 10 } },
  async run(ctx) {
    const texts: string[] = [];
    for (let i = 1; i <= ctx.input.steps; i++) {
      texts.push((await ctx.llm.generate(`write-${i}`, { prompt: `Part ${i}.`, fallback: () => 'Template text.' })).text);
    }
    return { texts };
  },
});

let app: TestApp;
const keys: Record<string, string> = {};

async function run(tenant: string, body: unknown): Promise<Task> {
  const created = await app.call('POST', '/api/v1/agents/spender/tasks', body, { key: keys[tenant] ?? app.key });
  expect(created.status).toBe(202);
  return finished(tenant, created.body.task.id);
}

function finished(tenant: string, id: string): Promise<Task> {
  return eventually(async () => {
    const r = await app.call('GET', `/api/v1/tasks/${id}`, undefined, { key: keys[tenant] ?? app.key });
    return ['succeeded', 'failed', 'cancelled'].includes(r.body.task?.status) ? (r.body.task as Task) : undefined;
  });
}

beforeAll(async () => {
  let model = fakeModel();
  for (let i = 0; i < 200; i++) {
    model = model.respond(
      new AIMessage({ content: `text ${i}`, usage_metadata: { input_tokens: 200, output_tokens: 300, total_tokens: 500 } }),
    );
  }
  app = await startTestApp('pglite', { overrides: { agents: [...builtInAgents, spender], model: chatProvider(MODEL, model) } });
  for (const t of ['acme', 'beta']) keys[t] = (await createKey(app.proc.runtime.db, t, ['admin'], 'test')).key;
});
afterAll(() => app?.stop());

describe('budgets', () => {
  it("stops a task at its agent's default budget with BUDGET_EXCEEDED, and a request's budget wins", async () => {
    const tight = await run('default', { input: { steps: 2 } });
    expect(tight.status).toBe('failed');
    expect(tight.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(tight.budget).toEqual({ maxTokens: 10 });
    expect(tight.attempts).toBe(1); // never retried
    const roomy = await run('default', { input: { steps: 2 }, budget: { maxTokens: 10_000 } });
    expect(roomy.status).toBe('succeeded');
    expect(roomy.usage.inputTokens + roomy.usage.outputTokens).toBe(1000);
  });

  it("gives a scheduled task its schedule's budget", async () => {
    const s = await app.call('POST', '/api/v1/schedules', {
      agent: 'spender',
      input: { steps: 2 },
      everyMs: 5_000,
      budget: { maxTokens: 600 },
    });
    expect(s.status).toBe(201);
    const id = await eventually(
      async () => (await app.call('GET', `/api/v1/schedules/${s.body.schedule.id}`)).body.runs[0]?.id as string | undefined,
    );
    await app.call('DELETE', `/api/v1/schedules/${s.body.schedule.id}`);
    const task = await finished('default', id);
    expect(task.budget).toEqual({ maxTokens: 600 });
    expect(task.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
  });

  it('stops a tenant at its daily spend limit, starts none of its new tasks, and leaves other tenants running', async () => {
    // acme may spend less than two model replies a day.
    const limit = REPLY_COST * 1.5;
    await app.proc.runtime.db.system((tx) => tx.query(`UPDATE tenants SET daily_budget_usd = $2 WHERE id = $1`, ['acme', limit]));
    const big = { steps: 3 };
    const stopped = await run('acme', { input: big, budget: { maxTokens: 10_000 } });
    expect(stopped.status).toBe('failed');
    expect(stopped.error?.code).toBe('BUDGET_EXCEEDED');
    expect(stopped.error?.message).toMatch(/daily budget/);
    expect(stopped.usage.costUsd).toBeCloseTo(REPLY_COST * 2, 6); // the third call never happened

    const refused = await run('acme', { input: { steps: 1 }, budget: { maxTokens: 10_000 } });
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { dailyBudgetUsd: limit } });
    expect(refused.attempts).toBe(0);
    expect(refused.startedAt).toBeUndefined();
    const audit = await app.call('GET', `/api/v1/audit?subject=task:${refused.id}&action=task.refused`, undefined, { key: keys.acme! });
    expect(audit.body.events).toHaveLength(1);

    const other = await run('beta', { input: { steps: 1 }, budget: { maxTokens: 10_000 } });
    expect(other.status).toBe('succeeded');
  });

  it('derives a readable priority from business value when none is given', async () => {
    const create = async (body: unknown) => (await app.call('POST', '/api/v1/agents/spender/tasks', body)).body.task as Task;
    expect((await create({ input: { steps: 1, valueUsd: 9999 }, budget: { maxTokens: 10_000 } })).priority).toBe(400);
    expect((await create({ input: { steps: 1, valueUsd: 99 }, budget: { maxTokens: 10_000 } })).priority).toBe(200);
    expect((await create({ input: { steps: 1, valueUsd: 9999 }, priority: 7, budget: { maxTokens: 10_000 } })).priority).toBe(7);
    expect((await create({ input: { steps: 1 }, budget: { maxTokens: 10_000 } })).priority).toBe(0);
  });
});
