/**
 * The full journey — API → queue → worker → agent → result — on each real engine:
 * embedded PGlite, PostgreSQL with BullMQ on PostgreSQL, PostgreSQL with BullMQ on Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, eventually, startTestApp, type TestApp } from './harness.ts';

const estimate = { roofAreaSqFt: 2400, pitch: '6/12', material: 'architectural_shingle' };

describe.each(ENGINES)('journey on %s', (engine) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(engine);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('reports health with the package.json version and its engines', async () => {
    const { status, body } = await app.call('GET', '/health', undefined, { key: null });
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.version).toBe((await import('../package.json', { with: { type: 'json' } })).default.version);
    expect(body.engines).toMatchObject({
      database: engine === 'pglite' ? 'pglite' : 'postgres',
      queue: engine === 'pg-redis' ? 'redis' : 'postgres',
    });
  });

  it('runs an estimate from POST to result, with progress, journal and events', async () => {
    const created = await app.call('POST', '/api/v1/agents/estimator/tasks', { input: estimate });
    expect(created.status).toBe(202);
    expect(created.body.task.status).toBe('queued');
    const id = created.body.task.id as string;

    const done = await eventually(async () => {
      const r = await app.call('GET', `/api/v1/tasks/${id}`);
      return r.body.task.status === 'succeeded' ? r.body : undefined;
    });
    expect(done.task.output.totals.total).toBeGreaterThan(0);
    expect(done.task.output.squares).toBeCloseTo(30.33, 2);
    expect(done.task.output.summaryModel).toBe('offline');
    expect(done.task.progress).toEqual({ pct: 100, message: 'stored' });
    expect(done.task.output.estimateId).toMatch(/^[0-9a-f-]{36}$/);
    expect(done.task.attempts).toBe(1);
    expect(done.task.startedAt).toBeTruthy();
    expect(done.task.finishedAt).toBeTruthy();
    expect(done.steps.map((s: { name: string }) => s.name)).toEqual(['price', 'summary', 'tool:estimates_record']);

    // The event stream replays the whole history and ends after the final status.
    const sse = await fetch(`${app.url}/api/v1/tasks/${id}/events`, { headers: { authorization: `Bearer ${app.key}` } });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const text = await sse.text();
    const statuses = [...text.matchAll(/event: status\ndata: (.*)/g)].map((m) => JSON.parse(m[1]!).status);
    expect(statuses).toEqual(['queued', 'running', 'succeeded']);
    expect(text).toContain('event: progress');
    expect(text).toContain('event: step');
  });

  it('returns the same task for the same idempotency key', async () => {
    const body = { input: { steps: 1, stepMs: 0 }, idempotencyKey: `idem-${engine}` };
    const first = await app.call('POST', '/api/v1/agents/probe/tasks', body);
    const again = await app.call('POST', '/api/v1/agents/probe/tasks', body);
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.task.id).toBe(first.body.task.id);
    // The standard Idempotency-Key header is the same key; with a different body key, a 400.
    const byHeader = (key: string, extra: Record<string, unknown> = {}) =>
      app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1, stepMs: 0 }, ...extra }, { headers: { 'idempotency-key': key } });
    const viaHeader = await byHeader(`idem-${engine}`);
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body.task.id).toBe(first.body.task.id);
    const fresh = await byHeader(`idem-header-${engine}`);
    expect(fresh.status).toBe(202);
    expect((await byHeader(`idem-header-${engine}`)).body.task.id).toBe(fresh.body.task.id);
    const mismatch = await byHeader(`idem-header-${engine}`, { idempotencyKey: 'another' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    // The same key for another input is a mistake, not a repeat: 422 naming the first task, nothing created.
    const reused = await app.call('POST', '/api/v1/agents/probe/tasks', {
      input: { steps: 2, stepMs: 0 },
      idempotencyKey: `idem-${engine}`,
    });
    expect(reused.status).toBe(422);
    expect(reused.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { taskId: first.body.task.id, differs: 'input' } });
    // So is another option it states: a priority, a budget, a delay where there was none.
    const same = { input: { steps: 1, stepMs: 0 }, idempotencyKey: `idem-${engine}` };
    for (const [option, differs] of [
      [{ priority: 900 }, 'priority'],
      [{ budget: { maxCostUsd: 1 } }, 'budget'],
      [{ delayMs: 600_000 }, 'delayMs'],
    ] as const) {
      const r = await app.call('POST', '/api/v1/agents/probe/tasks', { ...same, ...option });
      expect(r.status, JSON.stringify(option)).toBe(422);
      expect(r.body.error.details).toEqual({ taskId: first.body.task.id, differs });
    }
    // An option out of range is a 400 whose message names it.
    const high = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1 }, priority: 5000 });
    expect([high.status, high.body.error.code, high.body.error.message]).toEqual([
      400,
      'INVALID_REQUEST',
      expect.stringContaining('priority'),
    ]);
    // Stated as it was (or left out), it is the same request.
    const stated = await app.call('POST', '/api/v1/agents/probe/tasks', { ...same, priority: first.body.task.priority, delayMs: 0 });
    expect(stated.status).toBe(200);
    expect(first.body.task.notBefore).toBeUndefined();
    const optioned = {
      input: { steps: 1, stepMs: 0 },
      idempotencyKey: `idem-opts-${engine}`,
      priority: 5,
      budget: { maxTokens: 900 },
      delayMs: 600_000,
    };
    const later = await app.call('POST', '/api/v1/agents/probe/tasks', optioned);
    expect(Date.parse(later.body.task.notBefore) - Date.parse(later.body.task.createdAt)).toBe(600_000);
    expect((await app.call('POST', '/api/v1/agents/probe/tasks', optioned)).body.task.id).toBe(later.body.task.id);
    // A key's first request stated options: a repeat that leaves one out, or states another delay, is another request.
    for (const [change, differs] of [
      [{ priority: undefined }, 'priority'],
      [{ budget: undefined }, 'budget'],
      [{ delayMs: undefined }, 'delayMs'],
      [{ delayMs: 5000 }, 'delayMs'],
      [{ delayMs: 600_001 }, 'delayMs'],
    ] as const) {
      const r = await app.call('POST', '/api/v1/agents/probe/tasks', { ...optioned, ...change });
      expect([r.status, r.body.error?.details?.differs], JSON.stringify(change)).toEqual([422, differs]);
    }
    await app.call('POST', `/api/v1/tasks/${later.body.task.id}/cancel`);
    // Defaults filled in are the same input: { steps: 1, stepMs: 0 } and the same with its defaults written out.
    const spelled = await app.call('POST', '/api/v1/agents/probe/tasks', {
      input: { ...first.body.task.input },
      idempotencyKey: `idem-${engine}`,
    });
    expect(spelled.status).toBe(200);
  });

  it('creates one task for concurrent requests with one idempotency key, and one each for distinct keys', async () => {
    const same = { input: { steps: 1, stepMs: 0 }, idempotencyKey: `race-${engine}` };
    const racing = await Promise.all(Array.from({ length: 12 }, () => app.call('POST', '/api/v1/agents/probe/tasks', same)));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    expect(new Set(racing.map((r) => r.body.task.id)).size).toBe(1);
    const distinct = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        app.call('POST', '/api/v1/agents/probe/tasks', { ...same, idempotencyKey: `race-${engine}-${i}` }),
      ),
    );
    expect(distinct.every((r) => r.status === 202)).toBe(true);
    expect(new Set(distinct.map((r) => r.body.task.id)).size).toBe(12);
    const audit = await app.call('GET', `/api/v1/audit?subject=task:${racing[0]!.body.task.id}`);
    expect(audit.body.events.filter((e: { action: string }) => e.action === 'task.created')).toHaveLength(1);
  });

  it('retries a failing attempt and replays the journaled steps', async () => {
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 3, stepMs: 0, failTimes: 1 } });
    const task = await eventually(async () => {
      const r = await app.call('GET', `/api/v1/tasks/${body.task.id}`);
      return r.body.task.status === 'succeeded' ? r.body.task : undefined;
    });
    expect(task.attempts).toBe(2);
    // step-1 ran on attempt 1 and was replayed; steps 2 and 3 ran on attempt 2.
    expect(task.output.executedHere).toBe(2);
  });

  it('cancels a running task, and the agent stops', async () => {
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 50, stepMs: 200 } });
    const id = body.task.id as string;
    await eventually(async () => (await app.call('GET', `/api/v1/tasks/${id}`)).body.task.status === 'running');
    const cancelled = await app.call('POST', `/api/v1/tasks/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.task.status).toBe('cancelled');
    // The worker notices, stops the agent, and no further steps are journaled.
    // (Under load the cancel can land before the first step is journaled: 0 steps is fine.)
    const steps1 = (await app.call('GET', `/api/v1/tasks/${id}`)).body.steps.length as number;
    await new Promise((r) => setTimeout(r, 1500));
    const r = await app.call('GET', `/api/v1/tasks/${id}`);
    expect(r.body.task.status).toBe('cancelled');
    expect(r.body.steps.length).toBeLessThan(50);
    expect(r.body.steps.length).toBeLessThanOrEqual(steps1 + 8);
    const again = await app.call('POST', `/api/v1/tasks/${id}/cancel`);
    expect(again.status).toBe(409);
  });

  it('cancels a queued (delayed) task before it runs', async () => {
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1, stepMs: 0 }, delayMs: 60_000 });
    const c = await app.call('POST', `/api/v1/tasks/${body.task.id}/cancel`);
    expect(c.body.task.status).toBe('cancelled');
    expect(await app.proc.runtime.queues.jobState('probe', body.task.id)).toBe('unknown');
  });

  it('lists tasks with filters and cursor pagination', async () => {
    for (let i = 0; i < 3; i++) await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 0 }, delayMs: 60_000 });
    const page1 = await app.call('GET', '/api/v1/tasks?agent=probe&limit=2');
    expect(page1.body.tasks).toHaveLength(2);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await app.call('GET', `/api/v1/tasks?agent=probe&limit=2&cursor=${page1.body.nextCursor}`);
    const ids = [...page1.body.tasks, ...page2.body.tasks].map((t: { id: string }) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byStatus = await app.call('GET', '/api/v1/tasks?status=cancelled');
    expect(byStatus.body.tasks.every((t: { status: string }) => t.status === 'cancelled')).toBe(true);
  });

  it('re-adds a queued task whose job went missing, keeping its delay (the sweeper)', async () => {
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1, stepMs: 0 }, delayMs: 60_000 });
    const id = body.task.id as string;
    // Simulate "the insert committed but the add failed": remove the job.
    await app.proc.runtime.queues.queue('probe').remove(id);
    await app.proc.runtime.db.system((tx) => tx.query(`UPDATE tasks SET updated_at = now() - interval '1 minute' WHERE id = $1`, [id]));
    // Re-added with the delay that is left, not at once.
    const job = await eventually(async () => {
      const j = await app.proc.runtime.queues.queue('probe').getJob(id);
      return j && (await j.isDelayed()) ? j : undefined;
    });
    expect(job.delay).toBeGreaterThan(30_000);
    expect(job.delay).toBeLessThanOrEqual(60_000);
    await job.promote();
    const task = await eventually(async () => {
      const r = await app.call('GET', `/api/v1/tasks/${id}`);
      return r.body.task.status === 'succeeded' ? r.body.task : undefined;
    });
    expect(task.output.steps).toBe(1);
  });
});
