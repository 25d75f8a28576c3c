/**
 * The step scope: every step, tool call and idempotency key is keyed by its place in the
 * task — nested steps under their parent's key — so a retry that replays a parent (and so
 * skips what ran inside it) cannot shift the keys of the steps after it. And interrupts
 * stick: an agent that swallows a cancellation still stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtInAgents } from '../agents/index.ts';
import { defineAgent } from '../runtime/public.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

/** What each run of a step function saw: attempt, key and idempotency key. */
const ran: { attempt: number; key: string; idempotencyKey: string }[] = [];

const nested = defineAgent({
  name: 'nested-probe',
  description: 'Test agent: steps and tool calls inside other steps, then a failure on the first attempt.',
  version: '1.0.0',
  input: z.object({ customer: z.string() }),
  output: z.object({ outer: z.string(), root: z.string(), second: z.string(), sent: z.array(z.string()) }),
  tools: ['email_send'],
  async run(ctx) {
    const note =
      (label: string) =>
      async ({ key, idempotencyKey }: { key: string; idempotencyKey: string }) => {
        ran.push({ attempt: ctx.attempt, key, idempotencyKey });
        return label;
      };
    const send = (to: string) =>
      ctx.tools.email_send!({ to, subject: 'Your estimate', body: `Hello ${ctx.input.customer}` }) as Promise<{ email: { to: string } }>;
    // A parent step with a nested step and a nested tool call inside it.
    const outer = await ctx.step('draft', async () => {
      await ctx.step('lookup', note('nested lookup'));
      await send('first@example.com');
      return 'drafted';
    });
    // Siblings at the root with the same names as the nested ones.
    const root = await ctx.step('lookup', note('root lookup'));
    if (ctx.attempt === 1) throw new Error('planned failure after the first attempt');
    const second = await ctx.step('lookup', note('second root lookup'));
    const mail = await send('second@example.com');
    return { outer, root, second, sent: [mail.email.to] };
  },
});

/** Swallows everything its steps throw, cancellation included. */
const stubborn = defineAgent({
  name: 'stubborn-probe',
  description: 'Test agent: catches every error and keeps going.',
  version: '1.0.0',
  input: z.object({ steps: z.number().int() }),
  output: z.object({ done: z.number() }),
  async run(ctx) {
    let done = 0;
    for (let i = 0; i < ctx.input.steps; i++) {
      try {
        await ctx.step(`s${i}`, () => new Promise((r) => setTimeout(r, 100)));
        done++;
      } catch {
        // a careless agent: keeps going
      }
    }
    return { done };
  },
});

/** One slow step with a side effect, then more steps: cancelled while the slow one runs. */
const effects: string[] = [];
const slowSend = defineAgent({
  name: 'slow-send-probe',
  description: 'Test agent: a slow side effect, then more steps.',
  version: '1.0.0',
  input: z.object({ to: z.string() }),
  output: z.object({ done: z.boolean() }),
  async run(ctx) {
    await ctx.step('send', async ({ idempotencyKey }) => {
      await new Promise((r) => setTimeout(r, 1500)); // does not heed ctx.signal: already on its way
      effects.push(idempotencyKey);
      return { sentTo: ctx.input.to };
    });
    await ctx.step('after', () => effects.push(`${ctx.taskId}:after`));
    return { done: true };
  },
});

/** Three steps with progress after each; the first attempt fails after the second's progress. */
const progressing = defineAgent({
  name: 'progress-probe',
  description: 'Test agent: progress after each step, one failure after the second.',
  version: '1.0.0',
  input: z.object({}),
  output: z.object({ done: z.boolean() }),
  async run(ctx) {
    for (let i = 1; i <= 3; i++) {
      await ctx.step(`s${i}`, () => i);
      await ctx.progress(i * 30, `step ${i}`);
      if (i === 2 && ctx.attempt === 1) throw new Error('planned failure after the second step');
    }
    return { done: true };
  },
});

describe('the step scope', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite', { overrides: { agents: [...builtInAgents, nested, stubborn, slowSend, progressing] } });
  });
  afterAll(() => app?.stop());

  const finished = (id: string) =>
    eventually(async () => {
      const r = await app.call('GET', `/api/v1/tasks/${id}`);
      return ['succeeded', 'failed', 'cancelled'].includes(r.body.task?.status) ? r.body : undefined;
    }, 30_000);

  it('gives every step its own result and every tool call its own idempotency key after a retry', async () => {
    const created = await app.call('POST', '/api/v1/agents/nested-probe/tasks', { input: { customer: 'Dana' } });
    expect(created.status).toBe(202);
    const id: string = created.body.task.id;
    const { task, steps } = await finished(id);

    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.attempts).toBe(2);
    // The root `lookup` after the replayed parent still gets its own result, not the nested one's.
    expect(task.output).toEqual({ outer: 'drafted', root: 'root lookup', second: 'second root lookup', sent: ['second@example.com'] });
    expect(steps.map((s: { name: string }) => s.name).sort()).toEqual(
      ['draft', 'draft/lookup', 'draft/tool:email_send', 'lookup', 'lookup#2', 'tool:email_send'].sort(),
    );
    // Each step function ran once, on the attempt that journaled it; keys never repeat.
    expect(ran.map((r) => [r.attempt, r.key])).toEqual([
      [1, 'draft/lookup'],
      [1, 'lookup'],
      [2, 'lookup#2'],
    ]);
    expect(new Set(ran.map((r) => r.idempotencyKey)).size).toBe(ran.length);
    expect(ran[0]!.idempotencyKey).toBe(`${id}:draft/lookup`);

    // Both emails went out, each once, under keys that name their place in the task (the tool prefixes `email:`).
    const outbox = await app.proc.runtime.db.system((tx) =>
      tx.query<{ to_address: string; idempotency_key: string }>(
        `SELECT to_address, idempotency_key FROM email_outbox WHERE idempotency_key LIKE $1 ORDER BY to_address`,
        [`email:${id}:%`],
      ),
    );
    expect(outbox.rows).toEqual([
      { to_address: 'first@example.com', idempotency_key: `email:${id}:draft/tool:email_send` },
      { to_address: 'second@example.com', idempotency_key: `email:${id}:tool:email_send` },
    ]);
  });

  it('records a side effect that finished after its task was cancelled, and runs nothing after it', async () => {
    const created = await app.call('POST', '/api/v1/agents/slow-send-probe/tasks', { input: { to: 'dana@example.com' } });
    const id: string = created.body.task.id;
    await eventually(async () => (await app.call('GET', `/api/v1/tasks/${id}`)).body.task.status === 'running');
    expect((await app.call('POST', `/api/v1/tasks/${id}/cancel`)).status).toBe(200);
    await eventually(async () => effects.includes(`${id}:send`));
    const detail = await eventually(async () => {
      const r = await app.call('GET', `/api/v1/tasks/${id}`);
      return r.body.steps.length > 0 ? r.body : undefined;
    });
    expect(detail.task.status).toBe('cancelled');
    // The send went out, so the journal says so; the step after it never ran.
    expect(detail.steps.map((s: { name: string; result: unknown }) => [s.name, s.result])).toEqual([
      ['send', { sentTo: 'dana@example.com' }],
    ]);
    await new Promise((r) => setTimeout(r, 500));
    expect(effects).not.toContain(`${id}:after`);
    // The task's event stream ended with its final status: the late step is journaled, not streamed.
    const events = await app.query<{ type: string; data: { status?: string } }>(
      `SELECT type, data FROM task_events WHERE task_id = $1 ORDER BY id`,
      [id],
    );
    expect(events.at(-1)).toMatchObject({ type: 'status', data: { status: 'cancelled' } });
    expect(events.filter((e) => e.type === 'status').map((e) => e.data.status)).toEqual(['queued', 'running', 'cancelled']);
  });

  it('does not stream again the progress a retry replays: the bar never goes back', async () => {
    const created = await app.call('POST', '/api/v1/agents/progress-probe/tasks', { input: {} });
    const id: string = created.body.task.id;
    const { task } = await finished(id);
    expect(task).toMatchObject({ status: 'succeeded', attempts: 2, progress: { pct: 90 } });
    const events = await app.query<{ type: string; data: { pct?: number } }>(
      `SELECT type, data FROM task_events WHERE task_id = $1 ORDER BY id`,
      [id],
    );
    expect(events.filter((e) => e.type === 'progress').map((e) => e.data.pct)).toEqual([30, 60, 90]);
  });

  it('stops an agent that swallows its cancellation before its next step', async () => {
    const created = await app.call('POST', '/api/v1/agents/stubborn-probe/tasks', { input: { steps: 200 } });
    const id: string = created.body.task.id;
    await eventually(async () => ((await app.call('GET', `/api/v1/tasks/${id}`)).body.steps?.length as number) >= 2);
    expect((await app.call('POST', `/api/v1/tasks/${id}/cancel`)).status).toBe(200);
    // Counted once the cancel is committed (counting before it would also count the steps that
    // finish while the request is on its way, which a loaded machine makes many).
    const atCancel = (await app.call('GET', `/api/v1/tasks/${id}`)).body.steps.length as number;
    const { task } = await finished(id);
    expect(task.status).toBe('cancelled');
    // The attempt ended: at most the step that was already running when the cancel landed is
    // journaled after it.
    await new Promise((r) => setTimeout(r, 1500));
    const later = (await app.call('GET', `/api/v1/tasks/${id}`)).body.steps.length as number;
    expect(later).toBeLessThanOrEqual(atCancel + 1);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await app.call('GET', `/api/v1/tasks/${id}`)).body.steps.length).toBe(later);
  });
});
