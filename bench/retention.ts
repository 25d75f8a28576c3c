/**
 * A retention simulation: many short tasks written straight into the tables, day by simulated
 * day, with the real retention pass (runtime/retention.ts) run at the end of each day, so the
 * table sizes can be read as the days go by. No BullMQ job runs: one statement per day writes
 * that day's tasks with the rows a short task leaves behind (SHAPE), their timestamps spread
 * evenly over the day. After each pass a table is vacuumed when PostgreSQL's autovacuum would
 * have done it in a real day (dead rows since its last vacuum above autovacuum's default
 * threshold: 50 + 20 % of its rows), so freed space is reused as it is on a live server.
 * Used by `npm run bench retention` (bench/retention.bench.ts) and its test.
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Config } from '../runtime/config.ts';
import type { Db } from '../runtime/db/driver.ts';
import { RETAINED, retentionPass } from '../runtime/retention.ts';

/** What one short task (an estimate-sized run: one step) leaves in each table. */
export const SHAPE = { tasks: 1, task_events: 4, task_steps: 1, audit_events: 1 } as const;

type Table = (typeof RETAINED)[number]['table'];

export interface DaySample {
  day: number;
  /** Tasks written so far. */
  tasks: number;
  rows: Record<Table, number>;
  /** Table + indexes + TOAST (pg_total_relation_size). */
  bytes: Record<Table, number>;
  /** That day's retention pass: rows deleted, and how long it took. */
  deleted: number;
  passMs: number;
}

export interface SimulationOptions {
  tasks: number;
  days: number;
  /** Sample the sizes every this many days (and on the last day). */
  every: number;
  /** The first simulated day starts here. */
  start?: Date;
  onSample?: (s: DaySample) => void;
}

/** One statement: `n` finished tasks of `day`, with their events, journal and audit rows. */
const WRITE_DAY = `
WITH t AS (
  INSERT INTO tasks (id, tenant_id, agent, status, input, output, attempts, created_by, created_at, updated_at, started_at, finished_at)
  SELECT gen_random_uuid(), 'default', 'estimator', 'succeeded',
         jsonb_build_object('roofAreaSqFt', 1500 + g % 1000, 'pitch', '6/12', 'material', 'architectural_shingle', 'region', 'texas'),
         jsonb_build_object('totals', jsonb_build_object('subtotal', 12000 + g % 500, 'tax', 600, 'total', 12600 + g % 500), 'squares', 15 + g % 10),
         1, '{"type": "api_key", "id": "bench"}'::jsonb,
         at, at + interval '2 seconds', at + interval '50 milliseconds', at + interval '2 seconds'
  FROM generate_series(1, $2::int) g, LATERAL (SELECT $1::timestamptz + (g - 1) * (interval '1 day' / $2::int) AS at) a
  RETURNING id, created_at, finished_at
), s AS (
  INSERT INTO task_steps (task_id, tenant_id, name, seq, result, attempt, started_at, finished_at)
  SELECT id, 'default', 'price', 1, '{"total": 12600}'::jsonb, 1, created_at, finished_at FROM t
), e AS (
  INSERT INTO task_events (task_id, tenant_id, type, data, created_at)
  SELECT t.id, 'default', x.type, x.data, t.created_at + x.after
  FROM t CROSS JOIN (VALUES
    ('status', '{"status": "running"}'::jsonb, interval '50 milliseconds'),
    ('step', '{"name": "price", "state": "ran"}'::jsonb, interval '1 second'),
    ('progress', '{"percent": 100, "message": "done"}'::jsonb, interval '2 seconds'),
    ('status', '{"status": "succeeded"}'::jsonb, interval '2 seconds')) AS x(type, data, after)
)
INSERT INTO audit_events (tenant_id, actor, action, subject, details, at)
SELECT 'default', '{"type": "api_key", "id": "bench"}'::jsonb, 'task.created', 'task:' || id,
       jsonb_build_object('taskId', id, 'agent', 'estimator'), created_at
FROM t`;

const TABLES = RETAINED.map((r) => r.table);

/**
 * Foreign keys to `tasks` whose column leads no index: deleting a task makes PostgreSQL find
 * the referencing rows (ON DELETE SET NULL / CASCADE) by scanning the whole referencing
 * table, once per deleted task, so a retention batch of tasks costs batch × table size.
 */
export async function unindexedTaskReferences(db: Db): Promise<{ table: string; column: string }[]> {
  const r = await db.system((tx) =>
    tx.query<{ table: string; column: string }>(
      `SELECT c.conrelid::regclass::text AS table, a.attname AS column
       FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       WHERE c.contype = 'f' AND c.confrelid = 'public.tasks'::regclass
         AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
       ORDER BY 1, 2`,
    ),
  );
  return r.rows;
}

/**
 * Writes `tasks` tasks over `days` simulated days and runs a retention pass (with `config`'s
 * settings) at the end of each day; returns the sizes every `every` days.
 */
export async function simulateRetention(db: Db, config: Config, o: SimulationOptions): Promise<DaySample[]> {
  const start = o.start ?? new Date(Date.UTC(2026, 0, 1));
  const samples: DaySample[] = [];
  const deadSinceVacuum = Object.fromEntries(TABLES.map((t) => [t, 0])) as Record<Table, number>;
  const live = Object.fromEntries(TABLES.map((t) => [t, 0])) as Record<Table, number>;
  let written = 0;
  for (let day = 1; day <= o.days; day++) {
    const n = Math.floor((o.tasks * day) / o.days) - written;
    const dayStart = new Date(start.getTime() + (day - 1) * 86_400_000);
    if (n > 0) await db.system((tx) => tx.query(WRITE_DAY, [dayStart, n]));
    written += n;
    for (const t of TABLES) live[t] += n * SHAPE[t];

    const t0 = performance.now();
    const deleted = await retentionPass(db, config, { now: new Date(dayStart.getTime() + 86_400_000) });
    const passMs = performance.now() - t0;
    for (const t of TABLES) {
      // (A task's cascade deletes nothing here: its events and steps went first, in the same pass.)
      live[t] -= deleted[t];
      deadSinceVacuum[t] += deleted[t];
      if (deadSinceVacuum[t] > 50 + 0.2 * live[t]) {
        // VACUUM cannot run inside a transaction: one statement on the pool, as the owner role.
        await db.pool.query(`VACUUM (ANALYZE) ${t}`);
        deadSinceVacuum[t] = 0;
      }
    }

    if (day % o.every === 0 || day === o.days) {
      const s: DaySample = {
        day,
        tasks: written,
        rows: {} as Record<Table, number>,
        bytes: {} as Record<Table, number>,
        deleted: Object.values(deleted).reduce((a, b) => a + b, 0),
        passMs,
      };
      await db.system(async (tx) => {
        for (const t of TABLES) {
          const r = await tx.query<{ n: string; bytes: string }>(
            `SELECT count(*) AS n, pg_total_relation_size('public.${t}') AS bytes FROM ${t}`,
          );
          s.rows[t] = Number(r.rows[0]!.n);
          s.bytes[t] = Number(r.rows[0]!.bytes);
        }
      });
      samples.push(s);
      o.onSample?.(s);
    }
  }
  return samples;
}
