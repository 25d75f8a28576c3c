/**
 * Fault: PostgreSQL restarted under load. The test makes its own cluster (initdb in a
 * temporary folder, its own port), runs real `brainops worker` processes against it, stops
 * the server with `pg_ctl -m fast` in the middle of tasks and starts it again after a few
 * seconds. No process dies, the API answers 503 with Retry-After (never 500, never a hang)
 * while the database is away, and every task still succeeds soon after it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTempPostgres, type TempPostgres } from './fault-servers.ts';
import {
  eventually,
  FAST_FAILOVER,
  startTestApp,
  workerEnv,
  workerProcesses,
  type Engine,
  type TestApp,
  type WorkerProcesses,
} from './harness.ts';

const TASKS = 24;
const STEPS = 8;
const STEP_MS = 250;
const WORKERS = 3;
const OUTAGE_MS = 5000;
/** Every task must have ended this long after the database is back. */
const SETTLE_MS = 60_000;

interface Probe {
  what: string;
  status: number;
  ms: number;
  retryAfter: string | null;
  code: string | undefined;
}

/** Registers the PostgreSQL-restart test for each engine that keeps its tasks in PostgreSQL. */
export function describePostgresRestart(engines: Engine[] = ['pg', 'pg-redis']): void {
  describe.each<Engine>(engines)('PostgreSQL restart on %s', (engine) => {
    let server: TempPostgres;
    let app: TestApp;
    let workers: WorkerProcesses;
    const exits: string[] = [];

    /** One API request with a hard client-side limit, so a hang is measured, not waited out. */
    async function probe(what: string, method: string, path: string, body?: unknown): Promise<Probe> {
      const started = Date.now();
      try {
        const res = await fetch(`${app.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${app.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(10_000),
        });
        const json = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
        return { what, status: res.status, ms: Date.now() - started, retryAfter: res.headers.get('retry-after'), code: json.error?.code };
      } catch {
        return { what, status: 0, ms: Date.now() - started, retryAfter: null, code: 'CLIENT_TIMEOUT' };
      }
    }

    beforeAll(async () => {
      server = await startTempPostgres();
      // The API (which migrates) runs in this process; the workers are separate processes.
      // The product's retry backoff (the harness shortens it): attempts that fail while the
      // database is away are retried after 1, 2, 4, 8 s, which a 5 s outage does not use up.
      app = await startTestApp(engine, { worker: false, env: { DATABASE_URL: server.url, TASK_BACKOFF_MS: '1000' } });
      workers = workerProcesses(workerEnv(app, { WORKER_CONCURRENCY: '2', LOG_LEVEL: 'info', ...FAST_FAILOVER }));
      await workers.spawnReady(WORKERS, exits);
    }, 120_000);

    afterAll(async () => {
      await workers?.killAll();
      await app?.stop().catch(() => undefined);
      await server?.destroy();
    }, 60_000);

    it('keeps every process up, answers 503 while the database is away, and finishes every task', async () => {
      const ids: string[] = [];
      for (let i = 0; i < TASKS; i++) {
        const r = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: STEPS, stepMs: STEP_MS } });
        expect(r.status, JSON.stringify(r.body)).toBe(202);
        ids.push(r.body.task.id as string);
      }
      // Stop the server while tasks are mid-run: some have journaled steps, none is done yet.
      await eventually(async () => {
        const [row] = await app.query<{ n: number }>(
          `SELECT count(DISTINCT s.task_id)::int AS n FROM task_steps s JOIN tasks t ON t.id = s.task_id WHERE t.status = 'running'`,
        );
        return (row?.n ?? 0) >= 4;
      }, 30_000).catch(async (err: Error) => {
        const rows = await app.query<{ status: string; n: number }>(`SELECT status::text, count(*)::int AS n FROM tasks GROUP BY 1`);
        throw new Error(`${err.message}: ${JSON.stringify(rows)}\nworker output:\n${workers.output.join('\n')}`);
      });

      await server.stop('fast');
      const downAt = Date.now();
      const during: Probe[] = [];
      while (Date.now() - downAt < OUTAGE_MS) {
        during.push(
          ...(await Promise.all([
            probe('create', 'POST', '/api/v1/agents/probe/tasks', { input: { steps: 1, stepMs: 0 } }),
            probe('read', 'GET', `/api/v1/tasks/${ids[0]}`),
            probe('list', 'GET', '/api/v1/tasks?limit=5'),
          ])),
        );
        await new Promise((r) => setTimeout(r, 250));
      }
      const health = await probe('health', 'GET', '/health');
      // Public routes answer a caller that sends its key too (monitors often do), as without one.
      const docs = await probe('openapi', 'GET', '/openapi.json');
      const scrape = await fetch(`${app.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
      const scraped = await scrape.text();
      // /health is public: while the database is away it says so, never where it is.
      const healthBody = await (await fetch(`${app.url}/health`, { signal: AbortSignal.timeout(10_000) })).text();
      await server.start();
      const upAt = Date.now();

      // Once it is back: every task ends within SETTLE_MS (measured; asserted below).
      const ended = async () =>
        app.query<{ id: string; status: string }>(`SELECT id, status::text FROM tasks WHERE id = ANY($1::uuid[])`, [ids]);
      const tasks = await eventually(
        async () => {
          const rows = await ended();
          return rows.length === TASKS && rows.every((t) => ['succeeded', 'failed', 'cancelled'].includes(t.status)) ? rows : undefined;
        },
        SETTLE_MS,
        250,
      ).catch(() => ended());
      const settledMs = Date.now() - upAt;
      const byStatus = tasks.reduce<Record<string, number>>((acc, t) => ({ ...acc, [t.status]: (acc[t.status] ?? 0) + 1 }), {});
      const codes = [...new Set(during.map((p) => `${p.status} ${p.code ?? ''}${p.retryAfter ? ` Retry-After ${p.retryAfter}` : ''}`))];
      console.info(
        `[faults] ${engine}: PostgreSQL down ${OUTAGE_MS} ms; API while down: ${during.length} requests, answers ${codes.join(' | ')}, ` +
          `slowest ${Math.max(...during.map((p) => p.ms))} ms; health ${health.status}; ${settledMs} ms after it was back: ${JSON.stringify(byStatus)}; ` +
          `worker exits: ${exits.length}`,
      );

      // While it was away: 503 with Retry-After and a code that says why, answered at once.
      expect(during.length).toBeGreaterThan(6);
      const wrong = during.filter((p) => p.status !== 503 || !p.retryAfter || p.code !== 'DATABASE_UNAVAILABLE' || p.ms > 2000);
      expect.soft(wrong, JSON.stringify(during)).toEqual([]);
      expect.soft(health.status).toBe(503);
      expect.soft(health.code, 'health with a key: the health answer, not an error').toBeUndefined();
      expect.soft(docs.status).toBe(200);
      // Metrics are scraped through the outage: the process's series, without those read from the database.
      expect.soft(scrape.status).toBe(200);
      expect.soft(scraped).toContain('brainops_http_request_duration_seconds');
      expect.soft(scraped).toContain('# brainops_table_bytes: not collected, its engine cannot be reached');
      expect.soft(JSON.parse(healthBody).checks.database).toBe('error: unreachable');
      expect.soft(healthBody).not.toContain(String(server.port));
      // No process died: this one answers, and every worker is still the one we started.
      expect.soft(exits, workers.output.join('\n')).toEqual([]);
      expect.soft(workers.live.size).toBe(WORKERS);
      // No task lost, none stuck: all succeeded within SETTLE_MS of the database's return.
      expect(tasks).toHaveLength(TASKS);
      expect(
        tasks.filter((t) => t.status !== 'succeeded'),
        workers.output.join('\n'),
      ).toEqual([]);
      expect((await app.call('GET', '/health')).status).toBe(200);
    }, 150_000);
  });
}
