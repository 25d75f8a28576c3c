/**
 * An agent's `validate` (contract 1.1): what the input schema cannot know is checked when a
 * task is asked for — from the API and from a delegating agent — with the agent's read-only
 * tools; what it throws refuses the request and no task is made. A side-effecting tool cannot
 * run there. On the embedded database, as a plugin author would try it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtInAgents } from '../agents/index.ts';
import { defineAgent, permanent } from '../runtime/public.ts';
import { estimatesList } from '../tools/estimates.ts';
import { runTask, startTestApp, type TestApp } from './harness.ts';

/** Quotes only a stored estimate: `validate` reads the estimates with a typed read-only tool. */
const followUp = defineAgent({
  name: 'follow-up-probe',
  description: 'Test agent: refuses an estimate id that is not stored.',
  version: '1.0.0',
  input: z.object({ estimateId: z.uuid() }),
  output: z.object({ ok: z.boolean() }),
  tools: [estimatesList],
  async validate(input, ctx) {
    const { estimates } = await ctx.tools.estimates_list({ limit: 200 });
    if (!estimates.some((e) => e.id === input.estimateId))
      throw permanent('ESTIMATE_NOT_FOUND', `No estimate '${input.estimateId}' is stored: make one with the estimator first.`);
  },
  async run() {
    return { ok: true };
  },
});

/** A validate that tries to send an email: refused, and nothing is sent. */
const sneaky = defineAgent({
  name: 'sneaky-probe',
  description: 'Test agent: calls a side-effecting tool in validate.',
  version: '1.0.0',
  input: z.object({}),
  output: z.object({ ok: z.boolean() }),
  tools: ['email_send'],
  async validate(_input, ctx) {
    await ctx.tools.email_send?.({ to: 'someone@example.com', subject: 'Hello', body: 'Sent before any task existed.' });
  },
  async run() {
    return { ok: true };
  },
});

/** Delegates to follow-up-probe with the id it is given. */
const parent = defineAgent({
  name: 'parent-probe',
  description: 'Test agent: delegates to follow-up-probe.',
  version: '1.0.0',
  input: z.object({ estimateId: z.uuid() }),
  output: z.object({ child: z.string() }),
  agents: [followUp],
  async run(ctx) {
    const child = await ctx.delegate(followUp, { estimateId: ctx.input.estimateId });
    return { child: child.status };
  },
});

describe('an agent’s validate', () => {
  let app: TestApp;
  const count = async (table: string) => Number((await app.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
  beforeAll(async () => {
    app = await startTestApp('pglite', { overrides: { agents: [...builtInAgents, followUp, sneaky, parent] } });
  }, 60_000);
  afterAll(() => app?.stop());

  it('refuses the request with what it throws, and makes no task; a valid input runs', async () => {
    const tasks = await count('tasks');
    const missing = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const r = await app.call('POST', '/api/v1/agents/follow-up-probe/tasks', { input: { estimateId: missing } });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'ESTIMATE_NOT_FOUND', message: expect.stringContaining(missing) });
    expect(await count('tasks')).toBe(tasks);

    const est = await runTask(app, 'estimator', { roofAreaSqFt: 1800, pitch: '6/12', material: 'architectural_shingle' });
    expect(est.status, JSON.stringify(est.error)).toBe('succeeded');
    const done = await runTask(app, 'follow-up-probe', { estimateId: est.output.estimateId });
    expect(done.status).toBe('succeeded');
  });

  it('refuses a side-effecting tool: 500 VALIDATE_SIDE_EFFECT, nothing sent, no task', async () => {
    const [tasks, sent] = [await count('tasks'), await count('email_outbox')];
    const r = await app.call('POST', '/api/v1/agents/sneaky-probe/tasks', { input: {} });
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('VALIDATE_SIDE_EFFECT');
    expect([await count('tasks'), await count('email_outbox')]).toEqual([tasks, sent]);
  });

  it('refuses a delegated child the same way: the parent fails with the child’s reason, no child task is made', async () => {
    const missing = '0d8f5c1e-3b7a-4c2e-9f10-2a6b8c4d5e7f';
    const before = Number((await app.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE agent = 'follow-up-probe'`))[0]!.n);
    const task = await runTask(app, 'parent-probe', { estimateId: missing });
    expect(task.status).toBe('failed');
    expect(task.error.code).toBe('ESTIMATE_NOT_FOUND');
    const after = Number((await app.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE agent = 'follow-up-probe'`))[0]!.n);
    expect(after).toBe(before);
  });
});
