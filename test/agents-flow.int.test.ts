/**
 * Delegation as BullMQ flows: a parent that awaits its children leaves the worker (its job
 * waits in `waiting-children`), so one worker slot serves many waiting parents. With one
 * aurea slot and no estimator worker yet, two aurea requests must both get to the point of
 * waiting for their children — a parent that held its slot while waiting (polling) would
 * keep the second one from ever starting. Then the children run and both parents finish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type WorkerPool } from '../runtime/worker.ts';
import { eventually, startTestApp, type Engine, type TestApp } from './harness.ts';

const ENGINES: Engine[] = ['pglite', 'pg-redis'];

describe.each(ENGINES)('a delegating parent frees its worker slot while it waits (%s)', (engine) => {
  let app: TestApp;
  const pools: WorkerPool[] = [];
  beforeAll(async () => {
    // One attempt per task: waiting for children must not use up the job's attempts.
    app = await startTestApp(engine, { worker: false, env: { WORKER_CONCURRENCY: '1', TASK_ATTEMPTS: '1' } });
  });
  afterAll(async () => {
    await Promise.allSettled(pools.map((p) => p.close(1000)));
    await app?.stop();
  });

  const childrenOf = (parentId: string) =>
    app.proc.runtime.db
      .system((tx) => tx.query<{ id: string; status: string }>(`SELECT id, status FROM tasks WHERE parent_id = $1`, [parentId]))
      .then((r) => r.rows);

  const waitingParent = async (message: string) => {
    const created = await app.call('POST', '/api/v1/agents/aurea/tasks', { input: { message } });
    expect(created.status).toBe(202);
    const id: string = created.body.task.id;
    await eventually(
      async () => (await childrenOf(id)).length === 1 && (await app.proc.runtime.queues.jobState('aurea', id)) === 'waiting-children',
      20_000,
    );
    return id;
  };

  it('cancelling a parent that waits for its children cancels them too', async () => {
    pools.push(startWorkers(app.proc.runtime, { agents: ['aurea'] }));
    const id = await waitingParent('estimate 2000 sq ft 4/12 architectural');
    expect((await app.call('POST', `/api/v1/tasks/${id}/cancel`)).status).toBe(200);
    await eventually(async () => (await childrenOf(id))[0]?.status === 'cancelled', 10_000);
    expect((await app.call('GET', `/api/v1/tasks/${id}`)).body.task.status).toBe('cancelled');
  });

  it('runs two parents on one slot, each in waiting-children until its child ends', async () => {
    const rt = app.proc.runtime;
    const ids: string[] = [];
    for (const message of ['estimate 2400 sq ft 6/12 architectural', 'estimate 1800 sq ft 8/12 metal']) {
      const created = await app.call('POST', '/api/v1/agents/aurea/tasks', { input: { message } });
      expect(created.status).toBe(202);
      ids.push(created.body.task.id);
    }

    // Both parents ran on the single aurea slot, created their child and handed the slot back.
    const states = await eventually(async () => {
      const s = await Promise.all(ids.map(async (id) => [(await childrenOf(id)).length, await rt.queues.jobState('aurea', id)] as const));
      return s.every(([n, state]) => n === 1 && state === 'waiting-children') ? s : undefined;
    }, 20_000);
    expect(states).toEqual([
      [1, 'waiting-children'],
      [1, 'waiting-children'],
    ]);
    for (const id of ids) {
      const task = (await app.call('GET', `/api/v1/tasks/${id}`)).body.task;
      expect(task.status).toBe('running');
      const events = await rt.tasks.events('default', id, 0);
      expect(events.some((e) => e.type === 'log' && e.data.message === 'waiting for child tasks')).toBe(true);
      expect((await childrenOf(id))[0]!.status).toBe('queued');
    }

    // The children run; BullMQ moves each parent back to its queue and the replay composes.
    pools.push(startWorkers(rt, { agents: ['estimator'] }));
    for (const id of ids) {
      const { task, steps } = await eventually(async () => {
        const r = await app.call('GET', `/api/v1/tasks/${id}`);
        return ['succeeded', 'failed', 'cancelled'].includes(r.body.task?.status) ? r.body : undefined;
      }, 30_000);
      expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
      // The run after the wait continued the first attempt.
      expect(task.attempts).toBe(1);
      const runs = (await rt.tasks.events('default', id, 0)).filter((e) => e.type === 'status' && e.data.status === 'running');
      expect(runs.map((e) => [e.data.attempt, e.data.resumed ?? false])).toEqual([
        [1, false],
        [1, true],
      ]);
      const [child] = await childrenOf(id);
      expect(task.output.results).toEqual([expect.objectContaining({ taskId: child!.id, status: 'succeeded' })]);
      // The journal replayed the delegation: one child, created once.
      expect(steps.filter((s: { name: string }) => /^delegate:[^/]*$/.test(s.name)).map((s: { name: string }) => s.name)).toEqual([
        'delegate:estimator',
      ]);
      expect(await rt.queues.jobState('aurea', id)).toMatch(/completed|unknown/);
    }
  });
});
