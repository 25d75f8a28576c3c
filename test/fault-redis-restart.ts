/**
 * Fault: Redis restarted under load. The test runs its own `redis-server --save ''` (so a
 * restart loses every job), real `brainops worker` processes, and a steady stream of
 * `POST .../tasks` before, during and after a 5 s outage. Every request is answered within
 * 2 s and accepted (the row is committed; the sweeper adds the job once Redis is back), the
 * workers reconnect by themselves, and every accepted task succeeds exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTempRedis, type TempRedis } from './fault-servers.ts';
import { eventually, FAST_FAILOVER, startTestApp, uid, workerEnv, workerProcesses, type TestApp, type WorkerProcesses } from './harness.ts';

const STEPS = 3;
const STEP_MS = 150;
const WORKERS = 2;
const EVERY_MS = 100;
const BEFORE_MS = 1500;
const OUTAGE_MS = 5000;
const AFTER_MS = 1500;
const SETTLE_MS = 60_000;

interface Post {
  key: string;
  startedAt: number;
  ms: number;
  status: number;
  taskId: string | undefined;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

/** Registers the Redis-restart test (PostgreSQL + BullMQ on Redis). */
export function describeRedisRestart(): void {
  describe('Redis restart on pg-redis', () => {
    let redis: TempRedis;
    let app: TestApp;
    let workers: WorkerProcesses;
    const exits: string[] = [];

    beforeAll(async () => {
      redis = await startTempRedis();
      app = await startTestApp('pg-redis', { worker: false, env: { REDIS_URL: redis.url } });
      workers = workerProcesses(workerEnv(app, { WORKER_CONCURRENCY: '3', LOG_LEVEL: 'info', ...FAST_FAILOVER }));
      await workers.spawnReady(WORKERS, exits);
    }, 120_000);

    afterAll(async () => {
      await workers?.killAll();
      await app?.stop().catch(() => undefined);
      await redis?.destroy();
    }, 60_000);

    async function post(key: string): Promise<Post> {
      const startedAt = Date.now();
      try {
        const res = await fetch(`${app.url}/api/v1/agents/probe/tasks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${app.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ input: { steps: STEPS, stepMs: STEP_MS }, idempotencyKey: key }),
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await res.json().catch(() => ({}))) as { task?: { id?: string } };
        return { key, startedAt, ms: Date.now() - startedAt, status: res.status, taskId: body.task?.id };
      } catch {
        return { key, startedAt, ms: Date.now() - startedAt, status: 0, taskId: undefined };
      }
    }

    it('answers POST .../tasks within 2 s during the outage and finishes every accepted task once', async () => {
      const run = uid();
      const pending: Promise<Post>[] = [];
      const t0 = Date.now();
      let downAt = Number.POSITIVE_INFINITY;
      let upAt = Number.POSITIVE_INFINITY;
      const submitter = setInterval(() => pending.push(post(`fault-redis-${run}-${pending.length}`)), EVERY_MS);
      try {
        await new Promise((r) => setTimeout(r, BEFORE_MS));
        await redis.stop();
        downAt = Date.now();
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        await redis.start();
        upAt = Date.now();
        await new Promise((r) => setTimeout(r, AFTER_MS));
      } finally {
        clearInterval(submitter);
      }
      const posts = await Promise.all(pending);
      const during = posts.filter((p) => p.startedAt >= downAt && p.startedAt < upAt);
      const before = posts.filter((p) => p.startedAt < downAt);
      const p99 = percentile(
        during.map((p) => p.ms),
        99,
      );
      const accepted = posts.filter((p) => p.status === 202 && p.taskId);
      const ids = accepted.map((p) => p.taskId!);

      const ended = () =>
        app.query<{ id: string; status: string; idempotency_key: string }>(
          `SELECT id, status::text, idempotency_key FROM tasks WHERE idempotency_key LIKE $1`,
          [`fault-redis-${run}-%`],
        );
      const tasks = await eventually(
        async () => {
          const rows = await ended();
          return rows.length >= ids.length && rows.every((t) => ['succeeded', 'failed', 'cancelled'].includes(t.status)) ? rows : undefined;
        },
        SETTLE_MS,
        250,
      ).catch(() => ended());
      const settledMs = Date.now() - upAt;
      const byStatus = tasks.reduce<Record<string, number>>((acc, t) => ({ ...acc, [t.status]: (acc[t.status] ?? 0) + 1 }), {});
      const finishedSteps = await app.query<{ task_id: string; name: string; n: number }>(
        `SELECT task_id, data->>'name' AS name, count(*)::int AS n FROM task_events
        WHERE type = 'step' AND data->>'state' = 'finished' AND task_id = ANY($1::uuid[]) GROUP BY 1, 2`,
        [ids],
      );
      const ranTwice = finishedSteps.filter((s) => s.n > 1);
      console.info(
        `[faults] pg-redis: Redis down ${upAt - downAt} ms (${downAt - t0} ms in); ${posts.length} POSTs (p50 before the outage ${percentile(
          before.map((p) => p.ms),
          50,
        )} ms), ${during.length} during it: ` +
          `p50 ${percentile(
            during.map((p) => p.ms),
            50,
          )} ms, p99 ${p99} ms, max ${Math.max(...during.map((p) => p.ms))} ms; ` +
          `statuses ${JSON.stringify(posts.reduce<Record<number, number>>((a, p) => ({ ...a, [p.status]: (a[p.status] ?? 0) + 1 }), {}))}; ` +
          `${settledMs} ms after it was back: ${JSON.stringify(byStatus)}; steps finished twice: ${ranTwice.length}; worker exits: ${exits.length}`,
      );

      // During the outage: answered within 2 s, and accepted.
      expect(during.length).toBeGreaterThan(20);
      expect.soft(p99, JSON.stringify(during.map((p) => [p.status, p.ms]))).toBeLessThan(2000);
      expect.soft(posts.filter((p) => p.status !== 202).map((p) => [p.status, p.ms])).toEqual([]);
      // The workers reconnected by themselves: none exited, and every accepted task succeeded.
      expect.soft(exits, workers.output.join('\n')).toEqual([]);
      expect(
        tasks.filter((t) => t.status !== 'succeeded'),
        workers.output.join('\n'),
      ).toEqual([]);
      // No task lost, none duplicated: one row per accepted request, each the one it answered.
      expect(tasks).toHaveLength(accepted.length);
      expect(new Set(tasks.map((t) => t.id))).toEqual(new Set(ids));
      // The journal holds each step once.
      const steps = await app.query<{ task_id: string; n: number }>(
        `SELECT task_id, count(*)::int AS n FROM task_steps WHERE task_id = ANY($1::uuid[]) GROUP BY 1`,
        [ids],
      );
      expect(steps.filter((s) => s.n !== STEPS)).toEqual([]);
      expect(steps).toHaveLength(ids.length);
      expect(ranTwice).toEqual([]);
    }, 150_000);
  });
}
