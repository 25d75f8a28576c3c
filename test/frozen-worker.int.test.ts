/**
 * A worker frozen past its lock (SIGSTOP — a long GC pause, a blocked event loop or a paused
 * VM does the same): another worker takes the task over and finishes it; when the frozen one
 * resumes (SIGCONT) its attempt is stale — it runs no further step, no side effect twice,
 * and writes nothing more. Real worker processes, on PostgreSQL + Redis and on the Postgres
 * backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, workerEnv, workerProcesses, type Engine, type TestApp, type WorkerProcesses } from './harness.ts';

const STEPS = 12;
const STEP_MS = 400;
const LOCK_MS = 2000;

describe.each<Engine>(['pg-redis', 'pg'])('a frozen worker on %s', (engine) => {
  let app: TestApp;
  let workers: WorkerProcesses;

  beforeAll(async () => {
    app = await startTestApp(engine, { worker: false });
    workers = workerProcesses(
      workerEnv(app, {
        WORKER_CONCURRENCY: '1',
        WORKER_LOCK_MS: String(LOCK_MS),
        WORKER_STALLED_INTERVAL_MS: '500',
        WORKER_MAX_STALLED: '10',
        // The frozen process may be inside a transaction (a memory write): the server ends it.
        DATABASE_IDLE_TX_TIMEOUT_MS: '2000',
        // Each memory is its own row: a side effect that ran twice shows as two rows.
        MEMORY_DUPLICATE_SIMILARITY: '1',
      }),
    );
  });
  afterAll(async () => {
    for (const child of workers?.live.values() ?? []) child.kill('SIGCONT');
    await workers?.killAll();
    await app?.stop();
  });

  it('stops the stale attempt before its next effect; no step or side effect runs twice', async () => {
    const first = workers.spawn(['--agents', 'probe'], 'frozen');
    const created = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: STEPS, stepMs: STEP_MS, remember: true } });
    expect(created.status).toBe(202);
    const id: string = created.body.task.id;
    await eventually(
      async () =>
        (await app.query(`SELECT 1 FROM task_steps WHERE task_id = $1 AND attempt = 1 AND name ~ '^step-\\d+$'`, [id])).length >= 2,
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${workers.output.join('\n')}`);
    });

    first.kill('SIGSTOP');
    const [{ n: journaledByFrozen }] = (await app.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM task_steps WHERE task_id = $1 AND attempt = 1 AND name ~ '^step-\\d+$'`,
      [id],
    )) as [{ n: number }];
    workers.spawn(['--agents', 'probe'], 'rescuer');
    // The lock lapses; the other worker claims the task (attempt 2) and finishes it.
    const done = await eventually(async () => {
      const [t] = await app.query<{ status: string; attempts: number; output: { pids: number[] } | null }>(
        `SELECT status, attempts, output FROM tasks WHERE id = $1`,
        [id],
      );
      return t && t.status === 'succeeded' ? t : undefined;
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${workers.output.join('\n')}`);
    });
    expect(done.attempts).toBe(2);

    // Now the frozen worker wakes up: its attempt must see that it is stale and stop.
    first.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, STEP_MS * 4 + LOCK_MS));
    expect(first.exitCode, 'the frozen worker is still alive').toBeNull();

    // The stale attempt wrote nothing after the freeze: its journal rows are those from before.
    const byAttempt = await app.query<{ attempt: number; n: number }>(
      `SELECT attempt, count(*)::int AS n FROM task_steps WHERE task_id = $1 AND name ~ '^step-\\d+$' GROUP BY attempt ORDER BY attempt`,
      [id],
    );
    expect(byAttempt).toEqual([
      { attempt: 1, n: journaledByFrozen },
      { attempt: 2, n: STEPS - journaledByFrozen },
    ]);
    const [{ status }] = (await app.query<{ status: string }>(`SELECT status FROM tasks WHERE id = $1`, [id])) as [{ status: string }];
    expect(status).toBe('succeeded');

    // Every step's side effect ran once: one memory per step, by the attempt that journaled it.
    const effects = await app.query<{ step: number; n: number; pids: string[] }>(
      `SELECT (metadata->>'step')::int AS step, count(*)::int AS n, array_agg(content) AS pids FROM memories
        WHERE source_task_id = $1 GROUP BY 1 ORDER BY 1`,
      [id],
    );
    expect(
      effects.map((e) => [e.step, e.n]),
      JSON.stringify(effects),
    ).toEqual(Array.from({ length: STEPS }, (_, i) => [i + 1, 1]));
    // The frozen attempt's effects are the steps it journaled (and at most the one it was inside,
    // whose nested memory step it journaled too, so the rescuer replayed it).
    const byFrozen = effects.filter((e) => e.pids.some((c) => c.includes(`pid ${first.pid}`))).length;
    expect(byFrozen).toBeGreaterThanOrEqual(journaledByFrozen);
    expect(byFrozen).toBeLessThanOrEqual(journaledByFrozen + 1);
  }, 180_000);
});
