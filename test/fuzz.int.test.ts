/**
 * The schema-driven fuzzer (test/fuzz.ts) against a real BrainOps: at least 5,000 seeded
 * requests over every operation of /openapi.json. Every answer is below 500; every refusal
 * has the API.md error shape; no refused request writes a row (a row trigger on every table
 * logs when each committed write happened; none may fall in a refused request's time). Prints the counts: requests, routes, statuses, and the seed
 * (FUZZ_SEED=<n> replays a run; FUZZ_REQUESTS=<n> changes its size).
 */
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRequest, operations, rng, schedule, send, type FuzzResponse } from './fuzz.ts';
import { startTestApp, workerEnv, workerProcesses, type TestApp, type WorkerProcesses } from './harness.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5200);
const ERROR_CODE = /^[A-Z][A-Z0-9_]*$/;

/** Whether `res` is in the API.md error shape: {"error": {"code": "SNAKE_CASE", "message": "...", "details"?}}. */
function hasErrorShape(res: FuzzResponse): boolean {
  if (!res.contentType.startsWith('application/json')) return false;
  try {
    const body = JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } };
    return (
      typeof body.error?.code === 'string' &&
      ERROR_CODE.test(body.error.code) &&
      typeof body.error.message === 'string' &&
      body.error.message.length > 0
    );
  } catch {
    return false;
  }
}

describe('schema-driven fuzzer', () => {
  let app: TestApp;
  let owner: pg.Client;
  let workers: WorkerProcesses;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    app = await startTestApp('pg', { worker: false, env: { PUBLIC_RATE_LIMIT: '100000' } });
    owner = new pg.Client({ connectionString: app.config.DATABASE_URL });
    await owner.connect();
    // Counts every committed row write on every table (api_keys: only its last_used_at moves),
    // except the worker's: the tasks that accepted requests queued run in a worker process of
    // their own, whose sessions are named (PGAPPNAME), so every row counted is a request's own.
    await owner.query(`
      CREATE TABLE fuzz_writes (at timestamptz NOT NULL, tbl text NOT NULL);
      CREATE FUNCTION fuzz_count() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN
          IF current_setting('application_name') <> 'brainops-fuzz-worker' THEN INSERT INTO public.fuzz_writes VALUES (clock_timestamp(), TG_TABLE_NAME); END IF;
          RETURN NULL;
        END $$;
      DO $$ DECLARE t text; BEGIN
        FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('fuzz_writes', 'api_keys', 'schema_migrations') LOOP
          EXECUTE format('CREATE TRIGGER fuzz_count AFTER INSERT OR UPDATE OR DELETE ON public.%I FOR EACH ROW EXECUTE FUNCTION fuzz_count()', t);
        END LOOP;
      END $$;`);
    workers = workerProcesses(workerEnv(app, { PGAPPNAME: 'brainops-fuzz-worker', LOG_LEVEL: 'info' }));
    await workers.spawnReady(1, []);
  }, 90_000);
  afterAll(async () => {
    agent.destroy();
    await workers?.killAll();
    await owner?.end();
    await app?.stop();
  });

  it(`answers ${REQUESTS} bad and odd requests over every route with a clean 4xx (or success), writing nothing when refusing`, async () => {
    const doc = (await app.call('GET', '/openapi.json')).body;
    const ops = operations(doc);
    const r = rng(SEED);
    const plan = schedule(ops, REQUESTS, r);
    const state = { ids: new Map<string, string[]>(), key: app.key };
    const base = new URL(app.url);
    const statuses = new Map<number, number>();
    const routes = new Set<string>();
    const failures: string[] = [];
    /** Each request's time window (ms) and whether it was refused: a row written inside a refused request's window only is that request's. */
    const windows: { start: number; end: number; refused: boolean; what: string }[] = [];
    const started = Date.now();
    const timeByRoute = new Map<string, number>();
    for (const [i, op] of plan.entries()) {
      const req = makeRequest(op, r, state);
      routes.add(`${op.method} ${op.template}`);
      let res: FuzzResponse;
      const t0 = Date.now();
      try {
        res = await send(base, req, agent);
      } catch (err) {
        failures.push(`#${i} ${req.kind} ${req.method} ${req.path.slice(0, 120)}: ${(err as Error).message}`);
        continue;
      }
      const what = `#${i} ${req.kind} ${req.method} ${req.path.slice(0, 120)} → ${res.status} ${res.text.slice(0, 200)}`;
      // An agent-backed route answers 4xx with the task when its task ran and failed in time:
      // the request was accepted (the task is its row), only the task's work was refused.
      const refused = res.status >= 400 && !/"details":\{"task":\{"id":/.test(res.text);
      windows.push({ start: t0 - 1, end: Date.now() + 1, refused, what });
      const route = `${op.method} ${op.template}`;
      timeByRoute.set(route, (timeByRoute.get(route) ?? 0) + Date.now() - t0);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      // The one 5xx that is not ours: a URL the tenant saved (its CRM source) that cannot be
      // reached — this sandbox has no internet — is the upstream's outage, answered 503 with
      // OUTBOUND_UNREACHABLE (retryable) by contract. Any other 5xx is a failure.
      if (res.status >= 500 && !(res.status === 503 && /^\{"error":\{"code":"OUTBOUND_UNREACHABLE"/.test(res.text))) failures.push(what);
      else if (res.status >= 400 && !hasErrorShape(res)) failures.push(`not the error shape: ${what}`);
      if (res.status < 300 && (req.method === 'POST' || req.method === 'PUT') && !req.template.includes('{')) {
        try {
          const body = JSON.parse(res.text) as Record<string, { id?: unknown } | undefined>;
          for (const v of Object.values(body)) {
            if (v && typeof v === 'object' && typeof v.id === 'string')
              state.ids.set(req.template, [...(state.ids.get(req.template) ?? []), v.id]);
          }
        } catch {
          // not JSON
        }
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const written = await owner.query<{ at: Date; tbl: string }>('SELECT at, tbl FROM fuzz_writes ORDER BY at');
    for (const w of written.rows) {
      const t = w.at.getTime();
      const during = windows.filter((x) => x.start <= t && t <= x.end);
      if (during.length && during.every((x) => x.refused)) failures.push(`refused but wrote a row of ${w.tbl}: ${during[0]!.what}`);
    }
    if (process.env.FUZZ_LOG) (await import('node:fs')).writeFileSync(process.env.FUZZ_LOG, failures.join('\n'));
    const byStatus = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
    console.log(
      `fuzz: seed ${SEED}, ${REQUESTS} requests over ${routes.size} routes (of ${ops.length} in /openapi.json) in ${seconds} s; statuses ${byStatus}; failures ${failures.length}; rows written ${written.rowCount}; slowest routes ${[
        ...timeByRoute.entries(),
      ]
        .sort(([, a], [, b]) => b - a)
        .slice(0, 4)
        .map(([route, ms]) => `${route} ${(ms / 1000).toFixed(1)} s`)
        .join(', ')}`,
    );
    expect(routes.size).toBe(ops.length);
    expect(failures.slice(0, 25), `${failures.length} failures`).toEqual([]);
  }, 300_000);
});
