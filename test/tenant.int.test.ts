/**
 * Tenant guardrail settings through the API: GET|PATCH /api/v1/tenant. Bad input is a 400
 * that changes nothing, a non-admin key gets 403, and a budget set through the API stops the
 * tenant's next task with BUDGET_EXCEEDED while another tenant's tasks run.
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
const REPLY_COST = costUsd(MODEL, 200, 300);

const writer = defineAgent({
  name: 'writer',
  description: 'Test agent: one language step of 500 tokens.',
  version: '1.0.0',
  input: z.object({}),
  output: z.object({ text: z.string() }),
  async run(ctx) {
    return { text: (await ctx.llm.generate('write', { prompt: 'Write.', fallback: () => 'Template text.' })).text };
  },
});

let app: TestApp;
const keys: Record<string, string> = {};

async function run(tenant: string): Promise<Task> {
  const created = await app.call('POST', '/api/v1/agents/writer/tasks', { input: {} }, { key: keys[tenant]! });
  expect(created.status).toBe(202);
  return eventually(async () => {
    const r = await app.call('GET', `/api/v1/tasks/${created.body.task.id}`, undefined, { key: keys[tenant]! });
    return ['succeeded', 'failed', 'cancelled'].includes(r.body.task?.status) ? (r.body.task as Task) : undefined;
  });
}

const tenant = async (t: string) => (await app.call('GET', '/api/v1/tenant', undefined, { key: keys[t]! })).body.tenant;

beforeAll(async () => {
  let model = fakeModel();
  for (let i = 0; i < 20; i++)
    model = model.respond(
      new AIMessage({ content: `text ${i}`, usage_metadata: { input_tokens: 200, output_tokens: 300, total_tokens: 500 } }),
    );
  app = await startTestApp('pglite', { overrides: { agents: [...builtInAgents, writer], model: chatProvider(MODEL, model) } });
  const db = app.proc.runtime.db;
  for (const t of ['acme', 'beta']) keys[t] = (await createKey(db, t, ['admin'], 'test')).key;
  keys.reader = (await createKey(db, 'acme', ['read', 'write', 'approve'], 'not admin')).key;
});
afterAll(() => app?.stop());

describe('tenant settings', () => {
  it('shows the tenant, its settings (null = configured default) and its spend; documented in OpenAPI', async () => {
    const r = await app.call('GET', '/api/v1/tenant', undefined, { key: keys.reader! });
    expect(r.status).toBe(200);
    expect(r.body.tenant).toEqual({
      id: 'acme',
      name: 'acme',
      dailyBudgetUsd: null,
      maxRunning: null,
      phoneRegion: null,
      spentTodayUsd: 0,
      currency: 'usd',
      outboundAllowHosts: [],
    });
    expect((await app.call('GET', '/api/v1/tenant', undefined, { key: null })).status).toBe(401);
    const doc = await app.call('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths['/api/v1/tenant'] ?? {}).sort()).toEqual(['get', 'patch']);
  });

  it('rejects bad input with 400 and a non-admin key with 403, changing nothing', async () => {
    const bad: unknown[] = [
      {},
      { dailyBudgetUsd: -1 },
      { dailyBudgetUsd: '5' },
      { maxRunning: 1.5 },
      { maxRunning: -2 },
      { name: 'evil' },
      { dailyBudgetUsd: 5, id: 'beta' },
      { currency: 'dollars' },
      { outboundAllowHosts: ['http://x.example/'] },
      { outboundAllowHosts: 'x.example' },
    ];
    for (const body of bad) {
      const r = await app.call('PATCH', '/api/v1/tenant', body, { key: keys.acme! });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('INVALID_REQUEST');
    }
    const forbidden = await app.call('PATCH', '/api/v1/tenant', { dailyBudgetUsd: 0 }, { key: keys.reader! });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    expect(await tenant('acme')).toMatchObject({ name: 'acme', dailyBudgetUsd: null, maxRunning: null });
    const audit = await app.call('GET', '/api/v1/audit?action=tenant.updated', undefined, { key: keys.acme! });
    expect(audit.body.events).toEqual([]);
  });

  it('stops a tenant over a budget set through the API at its next task; another tenant runs', async () => {
    // A budget is in whole cents and one reply costs less than a cent: a budget of 0 is the one it is over.
    const BUDGET = 0;
    expect((await run('acme')).status).toBe('succeeded');
    expect((await tenant('acme')).spentTodayUsd).toBeCloseTo(REPLY_COST, 8);

    const patched = await app.call('PATCH', '/api/v1/tenant', { dailyBudgetUsd: BUDGET, maxRunning: 3 }, { key: keys.acme! });
    expect(patched.status).toBe(200);
    expect(patched.body.tenant).toMatchObject({ id: 'acme', dailyBudgetUsd: BUDGET, maxRunning: 3 });
    expect(await tenant('acme')).toEqual(patched.body.tenant);
    const audit = await app.call('GET', '/api/v1/audit?action=tenant.updated', undefined, { key: keys.acme! });
    expect(audit.body.events).toHaveLength(1);
    expect(audit.body.events[0]).toMatchObject({
      subject: 'tenant:acme',
      actor: { type: 'api_key' },
      details: {
        before: { dailyBudgetUsd: null, maxRunning: null, phoneRegion: null },
        after: { dailyBudgetUsd: BUDGET, maxRunning: 3, phoneRegion: null },
      },
    });

    const refused = await run('acme');
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { dailyBudgetUsd: BUDGET } });
    expect(refused.attempts).toBe(0);

    expect(await tenant('beta')).toMatchObject({ id: 'beta', dailyBudgetUsd: null, maxRunning: null, spentTodayUsd: 0 });
    expect((await run('beta')).status).toBe('succeeded');

    // null resets to the configured default (none here), and acme runs again.
    const reset = await app.call('PATCH', '/api/v1/tenant', { dailyBudgetUsd: null }, { key: keys.acme! });
    expect(reset.body.tenant).toMatchObject({ dailyBudgetUsd: null, maxRunning: 3 });
    expect((await run('acme')).status).toBe('succeeded');
  });
});
