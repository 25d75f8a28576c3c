/**
 * The lifecycle's hot statements (a journaled step's write, a claim) run on the generic plan
 * PostgreSQL caches for a prepared statement, not re-planned on every call
 * (runtime/db/group.ts `groupStatement`): checked in `pg_prepared_statements` of the one
 * connection that ran them, with enough tasks in the table that a plan over `unnest`'s
 * 10-row guess was re-planned every time. And what a step's write records besides its row:
 * spending moves the task into today's spend.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPgDb, type Db } from '../runtime/db/driver.ts';
import { migrate } from '../runtime/db/migrate.ts';
import * as lifecycle from '../runtime/lifecycle.ts';
import { spentToday } from '../runtime/guardrails/budgets.ts';
import { freshDatabase } from './harness.ts';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let client: pg.Client;

beforeAll(async () => {
  fresh = await freshDatabase();
  db = createPgDb({ kind: 'postgres', url: fresh.url, poolSize: 2 });
  await migrate(db.pool);
  await db.query(`INSERT INTO tenants (id, name) VALUES ('default', 'default') ON CONFLICT DO NOTHING`);
  await db.query(
    `INSERT INTO tasks (id, tenant_id, agent, input, created_by, status)
     SELECT gen_random_uuid(), 'default', 'probe', '{}', '{}', 'succeeded' FROM generate_series(1, 5000)`,
  );
  await db.query('ANALYZE tasks');
  client = new pg.Client({ connectionString: fresh.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.close();
  await fresh?.drop();
});

it('claims and journals steps on a cached generic plan', async () => {
  // Every statement through one connection, so that its prepared statements can be read back.
  const one: Db = { ...db, statement: (name, text, values) => client.query({ name, text, values: values as unknown[] }) as never };
  const defaults = { dailyUsd: undefined, maxRunning: 0 };
  for (let k = 0; k < 10; k++) {
    const { task } = await lifecycle.create(
      db,
      'default',
      { id: randomUUID(), agent: 'probe', input: {}, createdBy: { type: 'test' } },
      { actor: { type: 'test' }, details: {} },
    );
    const claimed = await lifecycle.claim(one, task.id, 'default', { resumed: false, admitted: true, defaults });
    expect(claimed?.task.status).toBe('running');
    const fence = { taskId: task.id, tenantId: 'default', attempt: claimed!.task.attempts };
    const step = { name: 's1', seq: 1, result: k, startedAt: new Date(), event: { name: 's1', state: 'finished', seq: 1 } };
    expect(await lifecycle.recordStep(one, fence, step, { events: [] })).toBe('live');
  }
  const plans = await client.query<{ name: string; generic_plans: string; custom_plans: string }>(
    `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'brainops_claim%' OR name LIKE 'brainops_group_write%' ORDER BY name`,
  );
  expect(plans.rows.map((r) => r.name)).toEqual(['brainops_claim_1', 'brainops_group_write_1']);
  for (const r of plans.rows) expect(Number(r.generic_plans), r.name).toBeGreaterThan(0);
  const steps = await db.query<{ n: string }>(`SELECT count(*) AS n FROM task_steps`);
  expect(Number(steps.rows[0]!.n)).toBe(10);
});

it('counts a task that spends today in today’s spend, though it was last touched yesterday', async () => {
  const { task } = await lifecycle.create(
    db,
    'default',
    { id: randomUUID(), agent: 'probe', input: {}, createdBy: { type: 'test' } },
    { actor: { type: 'test' }, details: {} },
  );
  const claimed = await lifecycle.claim(db, task.id, 'default', {
    resumed: false,
    admitted: true,
    defaults: { dailyUsd: undefined, maxRunning: 0 },
  });
  expect(claimed).toBeDefined();
  // Claimed before midnight (UTC): its row was last touched yesterday.
  await db.query(
    `UPDATE tasks SET updated_at = date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 hour' WHERE id = $1`,
    [task.id],
  );
  const spent = () => db.tenant('default', (tx) => spentToday(tx));
  const before = await spent();
  const written = await lifecycle.recordStep(
    db,
    { taskId: task.id, tenantId: 'default', attempt: claimed!.task.attempts },
    {
      name: 'summary',
      seq: 1,
      result: 'text',
      usage: { inputTokens: 200, outputTokens: 300, costUsd: 0.25 },
      startedAt: new Date(),
      event: { seq: 1, name: 'summary', state: 'finished' },
    },
    { events: [] },
  );
  expect(written).toBe('live');
  expect((await spent()) - before).toBeCloseTo(0.25, 6);
});
