/**
 * Rate limits and fairness, measured: an agent limited to 3 starts per second never starts a
 * fourth inside one of BullMQ's limiter windows (with a worker that could run 10 at once),
 * and a tenant capped at one running task never runs two while another tenant's tasks are
 * not held up behind it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtInAgents } from '../agents/index.ts';
import { createKey } from '../runtime/keys.ts';
import { defineAgent } from '../runtime/public.ts';
import type { Task } from '../runtime/tasks.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const LIMIT = { max: 3, durationMs: 1000 };

const limited = defineAgent({
  name: 'limited',
  description: 'Test agent: a quick task under a rate limit of 3 per second.',
  version: '1.0.0',
  input: z.object({ n: z.number().int() }),
  output: z.object({ n: z.number().int() }),
  rateLimit: LIMIT,
  run: async (ctx) => ({ n: ctx.input.n }),
});

const slow = defineAgent({
  name: 'slow',
  description: 'Test agent: holds a worker slot for 300 ms.',
  version: '1.0.0',
  input: z.object({ n: z.number().int() }),
  output: z.object({ n: z.number().int() }),
  async run(ctx) {
    await ctx.step('work', () => sleep(300));
    return { n: ctx.input.n };
  },
});

let app: TestApp;
const keys: Record<string, string> = {};

async function runAll(tenant: string, agent: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input: { n } }, { key: keys[tenant] ?? app.key });
    expect(r.status).toBe(202);
    ids.push(r.body.task.id);
  }
  return ids;
}

async function waitAll(tenant: string, ids: string[]): Promise<Task[]> {
  return eventually(async () => {
    const tasks = await Promise.all(
      ids.map(async (id) => (await app.call('GET', `/api/v1/tasks/${id}`, undefined, { key: keys[tenant] ?? app.key })).body.task as Task),
    );
    return tasks.every((t) => t.status === 'succeeded') ? tasks : undefined;
  }, 40_000);
}

beforeAll(async () => {
  app = await startTestApp('pglite', {
    overrides: { agents: [...builtInAgents, limited, slow] },
    env: { WORKER_CONCURRENCY: '10', TENANT_FAIRNESS_DELAY_MS: '100' },
  });
  for (const t of ['greedy', 'polite']) keys[t] = (await createKey(app.proc.runtime.db, t, ['admin'], 'test')).key;
});
afterAll(() => app?.stop());

describe('rate limits and fairness', () => {
  it('never starts more tasks of a rate-limited agent than its limit per window', async () => {
    const ids = await runAll('default', 'limited', 12);
    await waitAll('default', ids);
    const jobs = await app.proc.runtime.queues.queue('limited').getJobs(['completed']);
    const starts = jobs.map((j) => j.processedOn!).sort((a, b) => a - b);
    expect(starts).toHaveLength(12);
    // BullMQ's limiter opens a window at the first start after the previous one closed.
    let windows = 0;
    for (let i = 0; i < starts.length; windows++) {
      const open = starts[i]!;
      const inWindow = starts.filter((t) => t >= open && t < open + LIMIT.durationMs).length;
      expect(inWindow).toBeLessThanOrEqual(LIMIT.max);
      i += inWindow;
    }
    expect(windows).toBeGreaterThanOrEqual(12 / LIMIT.max);
    // So 12 starts span at least three full windows: never above 3 per second (180 per minute).
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(3 * LIMIT.durationMs - 50);
  });

  it("caps a tenant's running tasks without holding up another tenant", async () => {
    await app.proc.runtime.db.system((tx) => tx.query(`UPDATE tenants SET max_running = 1 WHERE id = 'greedy'`));
    const greedyIds = await runAll('greedy', 'slow', 4);
    const politeIds = await runAll('polite', 'slow', 2);
    const greedy = await waitAll('greedy', greedyIds);
    const polite = await waitAll('polite', politeIds);
    const spans = greedy.map((t) => [Date.parse(t.startedAt!), Date.parse(t.finishedAt!)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    // The greedy tenant's four tasks take at least 4 x 300 ms in a row; the polite ones do not wait for them.
    const greedyDone = Math.max(...spans.map((s) => s[1]));
    for (const t of polite) expect(Date.parse(t.finishedAt!)).toBeLessThan(greedyDone);
    for (const t of greedy) expect(t.attempts).toBe(1);
  });
});
